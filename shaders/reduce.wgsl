// Reductions over tensors viewed as [n segments][r rows][cin columns]
// (NHWC: segments are images, rows positions, columns channels): sums of a
// or a*b, and maxima with the row of the first maximum, per column and
// segment. Each workgroup reduces a slice of rows as a tree in workgroup
// memory and writes one partial per column; when there are several row
// groups, finish sums (or takes the maximum of) the few partials. They
// serve the per-channel gradients of affine layers, global pooling, the
// redirected-ReLU check, and the AM objectives, whose neuron gather and
// gradients are here too.
// Constants from the engine: WG (workgroup size, a power of two).

struct Params {
    n: u32,      // segments (images)
    r: u32,      // rows per segment
    cin: u32,    // columns of the input: its row stride
    cout: u32,   // columns reduced: cin, or 1 when sel
    ct: u32,     // column lanes per workgroup, a power of two dividing WG
    g: u32,      // row groups, each writing one partial per column
    sel: u32,    // 1: segment s reduces only column idx[s]
    prod: u32,   // cols: 1 sums a*b instead of a
    alpha: f32,  // scale of the result
    w: u32,      // pick, grad: image width (r = h*w)
    kind: u32,   // grad: 0 channel mean, 1 neuron, 2 mean square
    acc: u32,    // grad: 1 adds into dx instead of overwriting it
    use_dy: u32, // grad: 1 scales by dy[s], else by 1
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> idx: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> outi: array<f32>;
@group(0) @binding(6) var<storage, read> part: array<f32>;
@group(0) @binding(7) var<storage, read> parti: array<f32>;
@group(0) @binding(8) var<storage, read> dy: array<f32>;
@group(0) @binding(9) var<storage, read_write> dx: array<f32>;

var<workgroup> sv: array<f32, WG>;
var<workgroup> si: array<u32, WG>;

const NONE = 0xffffffffu;

//!include lib/dispatch.wgsl

// Indices are small integers stored as f32 (exact below 2^24); clamping
// keeps a bad index from reading outside the tensor.
fn index(i: u32, limit: u32) -> u32 {
    return min(u32(max(idx[i], 0.0)), limit - 1u);
}

// The input column that column lane c of segment s reads.
fn column(s: u32, c: u32) -> u32 {
    if (p.sel == 1u) {
        return index(s, p.cin);
    }
    return c;
}

// Lane li of workgroup (x, g, s) handles column x*ct + li%ct and rows
// li/ct + rt*(g + G*k): consecutive lanes read consecutive columns.
@compute @workgroup_size(WG)
fn cols(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let rt = WG / p.ct;
    let lr = li / p.ct;
    let c = wid.x * p.ct + li % p.ct;
    let s = wid.z;
    var acc = 0.0;
    if (c < p.cout) {
        let base = s * p.r * p.cin + column(s, c);
        for (var r = lr + rt * wid.y; r < p.r; r += rt * p.g) {
            let i = base + r * p.cin;
            if (p.prod == 1u) {
                acc += a[i] * b[i];
            } else {
                acc += a[i];
            }
        }
    }
    sv[li] = acc;
    workgroupBarrier();
    for (var h = rt / 2u; h > 0u; h /= 2u) {
        if (lr < h) {
            sv[li] += sv[li + h * p.ct];
        }
        workgroupBarrier();
    }
    if (lr == 0u && c < p.cout) {
        out[(s * p.g + wid.y) * p.cout + c] = p.alpha * sv[li];
    }
}

// better says whether (v, i) beats (bv, bi): larger, or equal and earlier.
fn better(v: f32, i: u32, bv: f32, bi: u32) -> bool {
    return i != NONE && (bi == NONE || v > bv || (v == bv && i < bi));
}

// cols_max is cols for the maximum, also writing the row of the first
// maximum (as f32) to outi.
@compute @workgroup_size(WG)
fn cols_max(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let rt = WG / p.ct;
    let lr = li / p.ct;
    let c = wid.x * p.ct + li % p.ct;
    let s = wid.z;
    var bv = 0.0;
    var bi = NONE;
    if (c < p.cout) {
        let base = s * p.r * p.cin + column(s, c);
        for (var r = lr + rt * wid.y; r < p.r; r += rt * p.g) {
            let v = a[base + r * p.cin];
            if (better(v, r, bv, bi)) {
                bv = v;
                bi = r;
            }
        }
    }
    sv[li] = bv;
    si[li] = bi;
    workgroupBarrier();
    for (var h = rt / 2u; h > 0u; h /= 2u) {
        if (lr < h) {
            let o = li + h * p.ct;
            if (better(sv[o], si[o], sv[li], si[li])) {
                sv[li] = sv[o];
                si[li] = si[o];
            }
        }
        workgroupBarrier();
    }
    if (lr == 0u && c < p.cout) {
        let o = (s * p.g + wid.y) * p.cout + c;
        out[o] = sv[li];
        outi[o] = f32(si[li]);
    }
}

// finish combines the g partials [n][g][cout] of each column.
@compute @workgroup_size(WG)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = flat(gid, nwg);
    if (j >= p.n * p.cout) {
        return;
    }
    let s = j / p.cout;
    let c = j % p.cout;
    var acc = 0.0;
    for (var g = 0u; g < p.g; g++) {
        acc += part[(s * p.g + g) * p.cout + c];
    }
    out[j] = p.alpha * acc;
}

@compute @workgroup_size(WG)
fn finish_max(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = flat(gid, nwg);
    if (j >= p.n * p.cout) {
        return;
    }
    let s = j / p.cout;
    let c = j % p.cout;
    var bv = 0.0;
    var bi = NONE;
    for (var g = 0u; g < p.g; g++) {
        let o = (s * p.g + g) * p.cout + c;
        let i = u32(parti[o]);
        if (better(part[o], i, bv, bi)) {
            bv = part[o];
            bi = i;
        }
    }
    out[j] = bv;
    outi[j] = f32(bi);
}

// The neuron of segment s at (x, y, channel) = idx[3s .. 3s+2].
fn neuron(s: u32) -> u32 {
    let h = p.r / p.w;
    return (s * p.r + index(3u * s + 1u, h) * p.w + index(3u * s, p.w)) * p.cin + index(3u * s + 2u, p.cin);
}

// pick gathers one neuron per segment: out[s] = alpha * a[neuron(s)].
@compute @workgroup_size(WG)
fn pick(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let s = flat(gid, nwg);
    if (s < p.n) {
        out[s] = p.alpha * a[neuron(s)];
    }
}

// grad writes the gradient of an objective (alpha * dy[s] times the
// derivative of segment s's value) over the whole input, a plain write per
// element, so no clearing pass is needed.
@compute @workgroup_size(WG)
fn grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    let m = p.r * p.cin;
    if (i >= p.n * m) {
        return;
    }
    let s = i / m;
    var scale = p.alpha;
    if (p.use_dy == 1u) {
        scale *= dy[s];
    }
    var v = 0.0;
    switch p.kind {
        case 0u: {
            if (i % p.cin == index(s, p.cin)) {
                v = scale;
            }
        }
        case 1u: {
            if (i == neuron(s)) {
                v = scale;
            }
        }
        default: {
            v = 2.0 * scale * a[i];
        }
    }
    if (p.acc == 1u) {
        dx[i] += v;
    } else {
        dx[i] = v;
    }
}
