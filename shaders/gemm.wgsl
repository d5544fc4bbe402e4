// Batched GEMM: for each problem z of a batch,
//   C_z = alpha * op(A_z) * op(B_z) + beta * C_z (+ bias[j] on every row),
// op(X) = X or Xᵀ, op(A) M×K, op(B) K×N, C M×N, all row-major. Problem z's
// matrices start at off + z*stride in their buffers (stride 0 shares one
// matrix across the batch).
//
// Four variants of the same product, because the fastest one depends on the
// adapter (see gpu.Tuner): naive (one output per invocation), wg16 (16×16
// tiles in workgroup memory), reg4x4 (4×4 outputs per invocation in
// registers, no workgroup memory: best on CPU adapters, where barriers are
// expensive) and wg64reg4 (64×64 workgroup tiles, 4×4 per invocation: best on
// real GPUs).
//
// Constants from the engine:
//   TA, TB  bool: op(A) = Aᵀ, op(B) = Bᵀ (index arithmetic folds at compile time)
//   VEC     bool: every row stride and every offset/batch stride is a
//           multiple of 4, so 4 consecutive floats of a row can be read as
//           one aligned vec4 through the a4/b4 views of the same buffers
//   WX, WY  workgroup shape of naive and reg4x4 (WX alone: colsum)
//   TK      depth of a wg64reg4 k-tile (a multiple of 16)

struct Params {
    m: u32,
    n: u32,
    k: u32,
    sa: u32, // batch strides, in floats
    sb: u32,
    sc: u32,
    oa: u32, // offsets of problem 0, in floats
    ob: u32,
    oc: u32,
    alpha: f32,
    beta: f32,
    has_bias: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
// When the caller has no bias, the launcher binds A here and has_bias is 0.
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
// vec4 views of A and B (the same buffers bound again), used only when VEC.
@group(0) @binding(5) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> b4: array<vec4<f32>>;

// op(A)[i][k] of the problem starting at base.
fn a_at(base: u32, i: u32, k: u32) -> f32 {
    if (TA) {
        return a[base + k * p.m + i];
    }
    return a[base + i * p.k + k];
}

// op(B)[k][j].
fn b_at(base: u32, k: u32, j: u32) -> f32 {
    if (TB) {
        return b[base + j * p.k + k];
    }
    return b[base + k * p.n + j];
}

// op(A)[i][k..k+3]; the caller guarantees i < M and k+3 < K.
fn a_vk(base: u32, i: u32, k: u32) -> vec4<f32> {
    if (VEC && !TA) {
        return a4[(base + i * p.k + k) >> 2u];
    }
    return vec4<f32>(a_at(base, i, k), a_at(base, i, k + 1u), a_at(base, i, k + 2u), a_at(base, i, k + 3u));
}

// op(A)[i..i+3][k] for k < K. Rows past M read row M-1 (clamped, never out of
// bounds): they only feed outputs that are never stored.
fn a_vi(base: u32, i: u32, k: u32) -> vec4<f32> {
    if (VEC && TA) {
        // M is a multiple of 4 here, so the clamp keeps the read aligned.
        return a4[(base + k * p.m + min(i, p.m - 4u)) >> 2u];
    }
    let l = p.m - 1u;
    return vec4<f32>(a_at(base, min(i, l), k), a_at(base, min(i + 1u, l), k), a_at(base, min(i + 2u, l), k), a_at(base, min(i + 3u, l), k));
}

// op(B)[k][j..j+3] for k < K, columns past N clamped like a_vi's rows.
fn b_vj(base: u32, k: u32, j: u32) -> vec4<f32> {
    if (VEC && !TB) {
        return b4[(base + k * p.n + min(j, p.n - 4u)) >> 2u];
    }
    let l = p.n - 1u;
    return vec4<f32>(b_at(base, k, min(j, l)), b_at(base, k, min(j + 1u, l)), b_at(base, k, min(j + 2u, l)), b_at(base, k, min(j + 3u, l)));
}

// op(B)[k..k+3][j]; the caller guarantees j < N and k+3 < K.
fn b_vk(base: u32, k: u32, j: u32) -> vec4<f32> {
    if (VEC && TB) {
        return b4[(base + j * p.k + k) >> 2u];
    }
    return vec4<f32>(b_at(base, k, j), b_at(base, k + 1u, j), b_at(base, k + 2u, j), b_at(base, k + 3u, j));
}

// The 4×4 block op(A)[i..i+3][k..k+3] as a matrix whose column r is row i+r
// of the block, read along whichever dimension is contiguous in memory.
fn a_block(base: u32, i: u32, k: u32) -> mat4x4<f32> {
    if (TA) {
        return transpose(mat4x4<f32>(a_vi(base, i, k), a_vi(base, i, k + 1u), a_vi(base, i, k + 2u), a_vi(base, i, k + 3u)));
    }
    let l = p.m - 1u;
    return mat4x4<f32>(a_vk(base, min(i, l), k), a_vk(base, min(i + 1u, l), k), a_vk(base, min(i + 2u, l), k), a_vk(base, min(i + 3u, l), k));
}

// The 4×4 block op(B)[k..k+3][j..j+3] as a matrix whose column r is row k+r.
fn b_block(base: u32, k: u32, j: u32) -> mat4x4<f32> {
    if (TB) {
        let l = p.n - 1u;
        return transpose(mat4x4<f32>(b_vk(base, k, min(j, l)), b_vk(base, k, min(j + 1u, l)), b_vk(base, k, min(j + 2u, l)), b_vk(base, k, min(j + 3u, l))));
    }
    return mat4x4<f32>(b_vj(base, k, j), b_vj(base, k + 1u, j), b_vj(base, k + 2u, j), b_vj(base, k + 3u, j));
}

// Writes alpha*v + beta*C + bias to C[i][j]. beta = 0 never reads C, so
// whatever C held (NaN included) is ignored, as in BLAS.
fn finish(cb: u32, i: u32, j: u32, v: f32) {
    let idx = cb + i * p.n + j;
    var r = p.alpha * v;
    if (p.beta != 0.0) {
        r += p.beta * c[idx];
    }
    if (p.has_bias != 0u) {
        r += bias[j];
    }
    c[idx] = r;
}

// Stores row i, columns j..j+3 of an output block, skipping what lies
// outside C.
fn finish4(cb: u32, i: u32, j: u32, v: vec4<f32>) {
    if (i >= p.m) {
        return;
    }
    for (var q = 0u; q < 4u; q++) {
        if (j + q < p.n) {
            finish(cb, i, j + q, v[q]);
        }
    }
}

@compute @workgroup_size(WX, WY)
fn naive(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.y;
    let j = gid.x;
    if (i >= p.m || j >= p.n) {
        return;
    }
    let ab = p.oa + gid.z * p.sa;
    let bb = p.ob + gid.z * p.sb;
    var acc = 0.0;
    for (var k = 0u; k < p.k; k++) {
        acc += a_at(ab, i, k) * b_at(bb, k, j);
    }
    finish(p.oc + gid.z * p.sc, i, j, acc);
}

var<workgroup> t16a: array<f32, 256>; // [row][k]
var<workgroup> t16b: array<f32, 256>; // [k][col]

@compute @workgroup_size(16, 16)
fn wg16(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let ab = p.oa + wid.z * p.sa;
    let bb = p.ob + wid.z * p.sb;
    let i = wid.y * 16u + lid.y;
    let j = wid.x * 16u + lid.x;
    // Each invocation loads one element of each tile; neighbouring x read
    // neighbouring addresses whichever way the operand is stored.
    let ai = select(lid.y, lid.x, TA);
    let ak = select(lid.x, lid.y, TA);
    let bk = select(lid.y, lid.x, TB);
    let bj = select(lid.x, lid.y, TB);
    let ia = wid.y * 16u + ai;
    let jb = wid.x * 16u + bj;
    var acc = 0.0;
    for (var k0 = 0u; k0 < p.k; k0 += 16u) {
        let ka = k0 + ak;
        let kb = k0 + bk;
        var va = 0.0;
        if (ia < p.m && ka < p.k) {
            va = a_at(ab, ia, ka);
        }
        var vb = 0.0;
        if (kb < p.k && jb < p.n) {
            vb = b_at(bb, kb, jb);
        }
        t16a[ai * 16u + ak] = va;
        t16b[bk * 16u + bj] = vb;
        workgroupBarrier();
        for (var kk = 0u; kk < 16u; kk++) {
            acc += t16a[lid.y * 16u + kk] * t16b[kk * 16u + lid.x];
        }
        workgroupBarrier();
    }
    if (i < p.m && j < p.n) {
        finish(p.oc + wid.z * p.sc, i, j, acc);
    }
}

@compute @workgroup_size(WX, WY)
fn reg4x4(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.y * 4u;
    let j = gid.x * 4u;
    if (i >= p.m || j >= p.n) {
        return;
    }
    let ab = p.oa + gid.z * p.sa;
    let bb = p.ob + gid.z * p.sb;
    // acc[r] is row i+r of the 4×4 output block.
    var acc = mat4x4<f32>();
    var k = 0u;
    // Interior: k unrolled by 4, no bounds checks (rows/columns are clamped).
    for (; k + 4u <= p.k; k += 4u) {
        acc += b_block(bb, k, j) * a_block(ab, i, k);
    }
    for (; k < p.k; k++) {
        let av = a_vi(ab, i, k);
        let bv = b_vj(bb, k, j);
        acc[0] += av.x * bv;
        acc[1] += av.y * bv;
        acc[2] += av.z * bv;
        acc[3] += av.w * bv;
    }
    let cb = p.oc + gid.z * p.sc;
    for (var r = 0u; r < 4u; r++) {
        finish4(cb, i + r, j, acc[r]);
    }
}

// outer(a, b) is the 4×4 block whose row r is a[r]·b (as reg4x4's acc).
fn outer(a: vec4<f32>, b: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(a.x * b, a.y * b, a.z * b, a.w * b);
}

// reg8x8: an 8×8 block of C per invocation, as four 4×4 register blocks:
// per 4 steps of k, two blocks of A and two of B are read for four block
// products, half of reg4x4's loads per multiply-add. No workgroup memory.
@compute @workgroup_size(WX, WY)
fn reg8x8(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.y * 8u;
    let j = gid.x * 8u;
    if (i >= p.m || j >= p.n) {
        return;
    }
    let ab = p.oa + gid.z * p.sa;
    let bb = p.ob + gid.z * p.sb;
    // c_rc holds rows i+4r.. and columns j+4c.. of the 8×8 block.
    var c00 = mat4x4<f32>();
    var c01 = mat4x4<f32>();
    var c10 = mat4x4<f32>();
    var c11 = mat4x4<f32>();
    var k = 0u;
    for (; k + 4u <= p.k; k += 4u) {
        let a0 = a_block(ab, i, k);
        let a1 = a_block(ab, i + 4u, k);
        let b0 = b_block(bb, k, j);
        let b1 = b_block(bb, k, j + 4u);
        c00 += b0 * a0;
        c01 += b1 * a0;
        c10 += b0 * a1;
        c11 += b1 * a1;
    }
    for (; k < p.k; k++) {
        let a0 = a_vi(ab, i, k);
        let a1 = a_vi(ab, i + 4u, k);
        let b0 = b_vj(bb, k, j);
        let b1 = b_vj(bb, k, j + 4u);
        c00 += outer(a0, b0);
        c01 += outer(a0, b1);
        c10 += outer(a1, b0);
        c11 += outer(a1, b1);
    }
    let cb = p.oc + gid.z * p.sc;
    for (var r = 0u; r < 4u; r++) {
        finish4(cb, i + r, j, c00[r]);
        finish4(cb, i + r, j + 4u, c01[r]);
        finish4(cb, i + 4u + r, j, c10[r]);
        finish4(cb, i + 4u + r, j + 4u, c11[r]);
    }
}

// wg64reg4 tiles: w64a[k*16 + g] = op(A)[4g..4g+3][k] of the tile (16 groups
// of 4 rows), w64b[k*16 + g] = op(B)[k][4g..4g+3].
var<workgroup> w64a: array<vec4<f32>, TK * 16u>;
var<workgroup> w64b: array<vec4<f32>, TK * 16u>;

@compute @workgroup_size(16, 16)
fn wg64reg4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let ab = p.oa + wid.z * p.sa;
    let bb = p.ob + wid.z * p.sb;
    let i0 = wid.y * 64u;
    let j0 = wid.x * 64u;
    var acc = mat4x4<f32>();
    for (var k0 = 0u; k0 < p.k; k0 += TK) {
        // Each invocation fills TK/16 vec4 of each tile. Consecutive
        // invocations walk the operand's contiguous dimension: the group g
        // when it is the row/column (one vec4 load), k otherwise.
        for (var s = 0u; s < TK / 16u; s++) {
            let e = t + s * 256u;
            let ka = select(e % TK, e / 16u, TA);
            let ga = select(e / TK, e % 16u, TA);
            let kb = select(e / 16u, e % TK, TB);
            let gb = select(e % 16u, e / TK, TB);
            // Past K the tiles hold zeros, so the partial last tile adds nothing.
            let kal = min(k0 + ka, p.k - 1u);
            let kbl = min(k0 + kb, p.k - 1u);
            w64a[ka * 16u + ga] = select(vec4<f32>(), a_vi(ab, i0 + 4u * ga, kal), k0 + ka < p.k);
            w64b[kb * 16u + gb] = select(vec4<f32>(), b_vj(bb, kbl, j0 + 4u * gb), k0 + kb < p.k);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk++) {
            let av = w64a[kk * 16u + lid.y];
            let bv = w64b[kk * 16u + lid.x];
            acc[0] += av.x * bv;
            acc[1] += av.y * bv;
            acc[2] += av.z * bv;
            acc[3] += av.w * bv;
        }
        workgroupBarrier();
    }
    let cb = p.oc + wid.z * p.sc;
    let i = i0 + 4u * lid.y;
    let j = j0 + 4u * lid.x;
    for (var r = 0u; r < 4u; r++) {
        finish4(cb, i + r, j, acc[r]);
    }
}

// Column sums over every row of every problem: the bias gradient of a GEMM,
// dbias[j] = sum over z, i of dC_z[i][j], with dC in a (from p.oa, p.sa
// apart, p.k problems of p.m×p.n) and dbias in c. One invocation per column.
@compute @workgroup_size(WX)
fn colsum(@builtin(global_invocation_id) gid: vec3<u32>) {
    let j = gid.x;
    if (j >= p.n) {
        return;
    }
    var s = 0.0;
    for (var z = 0u; z < p.k; z++) {
        let base = p.oa + z * p.sa;
        for (var i = 0u; i < p.m; i++) {
            s += a[base + i * p.n + j];
        }
    }
    c[p.oc + j] = s;
}
