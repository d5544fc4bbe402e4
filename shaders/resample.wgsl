// Bilinear resampling of NHWC images by one 2×3 affine matrix per image
// (hubel's composed pad / jitter / scale / rotate / jitter transform), and
// its exact adjoint written as a gather.
//
// Pixel centres are at integer coordinates. Output pixel (ox, oy) of image n
// samples the input at (sx, sy) = A_n · (ox, oy, 1), where A_n is
// mats[6n .. 6n+5] = (a0 a1 a2 ; a3 a4 a5), row-major. The input is
// extended by the constant p.fill outside its bounds, so a sample that
// straddles the edge blends border pixels with the fill.
//
// Both entries run one invocation per (pixel, group of 4 channels), the
// channel group innermost so neighbouring invocations touch neighbouring
// memory. forward: src = x [n][h][w][c], dst = y [n][oh][ow][c].
// adjoint: src = dy [n][oh][ow][c], dst = dx [n][h][w][c].
// Constants from the engine: WG (workgroup size).

struct Params {
    n: u32,
    h: u32,
    w: u32,
    c: u32,
    oh: u32,
    ow: u32,
    chunks: u32, // ceil(c / 4)
    total: u32,  // invocations: pixels of the dispatch's grid × chunks
    fill: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> mats: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

// The adjoint widens the tent footprint |s - p| < 1 to 1 + SLACK in its
// candidate search, far more than f32 rounding of the coordinates (~1e-5 at
// a few hundred pixels), so no output with a non-zero weight is missed; the
// exact weight test then rejects the extra candidates. MARGIN does the same,
// in output pixels, for the row range computed through the inverse.
const SLACK = 1e-3;
const MARGIN = 0.01;

//!include lib/dispatch.wgsl

// sample_point is the one place the sample coordinates are computed, so the
// forward and the adjoint agree on the weights to the last bit.
fn sample_point(r0: vec3<f32>, r1: vec3<f32>, ox: f32, oy: f32) -> vec2<f32> {
    return vec2<f32>(r0.x * ox + r0.y * oy + r0.z, r1.x * ox + r1.y * oy + r1.z);
}

// load4 reads channels c0 .. c0+3 (those below p.c) of the pixel at base.
fn load4(base: u32, c0: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    for (var j = 0u; j < 4u; j++) {
        if (c0 + j < p.c) {
            v[j] = src[base + j];
        }
    }
    return v;
}

fn store4(base: u32, c0: u32, v: vec4<f32>) {
    for (var j = 0u; j < 4u; j++) {
        if (c0 + j < p.c) {
            dst[base + j] = v[j];
        }
    }
}

// texel is input pixel (x, y) of image n, or the fill outside the image.
fn texel(n: u32, x: i32, y: i32, c0: u32) -> vec4<f32> {
    if (x < 0 || y < 0 || x >= i32(p.w) || y >= i32(p.h)) {
        return vec4<f32>(p.fill);
    }
    return load4(((n * p.h + u32(y)) * p.w + u32(x)) * p.c + c0, c0);
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.total) {
        return;
    }
    let c0 = (i % p.chunks) * 4u;
    let pix = i / p.chunks;
    let ox = pix % p.ow;
    let oy = (pix / p.ow) % p.oh;
    let n = pix / (p.ow * p.oh);
    let r0 = vec3<f32>(mats[6u * n], mats[6u * n + 1u], mats[6u * n + 2u]);
    let r1 = vec3<f32>(mats[6u * n + 3u], mats[6u * n + 4u], mats[6u * n + 5u]);
    // Clamping keeps floor() within i32 and leaves a far-away sample's four
    // pixels all outside the image, so it still reads as pure fill.
    let s = clamp(sample_point(r0, r1, f32(ox), f32(oy)), vec2<f32>(-2.0), vec2<f32>(f32(p.w) + 1.0, f32(p.h) + 1.0));
    let f = floor(s);
    let t = s - f;
    let x0 = i32(f.x);
    let y0 = i32(f.y);
    let v = (1.0 - t.x) * (1.0 - t.y) * texel(n, x0, y0, c0)
        + t.x * (1.0 - t.y) * texel(n, x0 + 1, y0, c0)
        + (1.0 - t.x) * t.y * texel(n, x0, y0 + 1, c0)
        + t.x * t.y * texel(n, x0 + 1, y0 + 1, c0);
    store4(pix * p.c + c0, c0, v);
}

// interval narrows [lo, hi] to the ox where |a*ox + b| < lim. A zero
// coefficient leaves it unchanged: the constraint then does not depend on
// ox, and the row range already accounts for it.
fn interval(lohi: vec2<f32>, a: f32, b: f32, lim: f32) -> vec2<f32> {
    if (a == 0.0) {
        return lohi;
    }
    let t1 = (-lim - b) / a;
    let t2 = (lim - b) / a;
    return vec2<f32>(max(lohi.x, min(t1, t2)), min(lohi.y, max(t1, t2)));
}

// adjoint gathers, for input pixel (px, py), every output pixel o whose
// bilinear footprint touches it: weight max(0, 1-|sx-px|)·max(0, 1-|sy-py|).
// Those o lie in the preimage of the square |s - p| < 1, a parallelogram in
// output space. Its row range comes from A's inverse (computed here from the
// six floats, so the matrix buffer is all the caller writes per step); in
// each row the two constraints |sx - px| < 1, |sy - py| < 1 are linear in
// ox, giving the exact column interval. Each output pixel is visited once
// per input pixel, so nothing is counted twice.
@compute @workgroup_size(WG)
fn adjoint(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.total) {
        return;
    }
    let c0 = (i % p.chunks) * 4u;
    let pix = i / p.chunks;
    let px = f32(pix % p.w);
    let py = f32((pix / p.w) % p.h);
    let n = pix / (p.w * p.h);
    let r0 = vec3<f32>(mats[6u * n], mats[6u * n + 1u], mats[6u * n + 2u]);
    let r1 = vec3<f32>(mats[6u * n + 3u], mats[6u * n + 4u], mats[6u * n + 5u]);
    let lim = 1.0 + SLACK;

    // o = M⁻¹ (s - t), M⁻¹ = (a4 -a1 ; -a3 a0) / det: the preimage's centre
    // row and its half-height lim·(|a3| + |a0|)/|det|.
    let det = r0.x * r1.y - r0.y * r1.x;
    let cy = (r0.x * (py - r1.z) - r1.x * (px - r0.z)) / det;
    let hy = lim * (abs(r1.x) + abs(r0.x)) / abs(det);
    // Clamped in f32 before converting (NaN from a singular matrix fails the
    // comparison and gathers nothing).
    let ylo = max(ceil(cy - hy - MARGIN), 0.0);
    let yhi = min(floor(cy + hy + MARGIN), f32(p.oh) - 1.0);
    var acc = vec4<f32>(0.0);
    if (ylo <= yhi) {
        for (var oy = i32(ylo); oy <= i32(yhi); oy++) {
            let fy = f32(oy);
            // sx - px = a0·ox + bx and sy - py = a3·ox + by along this row.
            let bx = r0.y * fy + r0.z - px;
            let by = r1.y * fy + r1.z - py;
            var lh = vec2<f32>(0.0, f32(p.ow) - 1.0);
            lh = interval(lh, r0.x, bx, lim);
            lh = interval(lh, r1.x, by, lim);
            if (lh.x > lh.y) {
                continue;
            }
            let row = (n * p.oh + u32(oy)) * p.ow;
            for (var ox = i32(ceil(lh.x)); ox <= i32(floor(lh.y)); ox++) {
                let d = abs(sample_point(r0, r1, f32(ox), fy) - vec2<f32>(px, py));
                if (d.x < 1.0 && d.y < 1.0) {
                    acc += (1.0 - d.x) * (1.0 - d.y) * load4((row + u32(ox)) * p.c + c0, c0);
                }
            }
        }
    }
    store4(pix * p.c + c0, c0, acc);
}
