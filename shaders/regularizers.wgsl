// Image regularisers, per image of an NHWC batch: their values, and their
// gradients added into a gradient buffer (grad += coef · dR/dx).
//
//   TV:  R = Σ pen(x[y][x+1] - x[y][x]) + pen(x[y+1][x] - x[y][x]) over every
//        pixel with a right (resp. lower) neighbour and every channel
//   pointwise (L1, L2): R = Σ pen(x - center)
//
// with pen(d) = d² (SQ) or the L1 penalty: sqrt(d² + eps) when eps > 0 (a
// smooth |d|), |d| when eps == 0 (gradient: the subgradient sign(d), 0 at 0).
//
// value: one workgroup per image; each invocation sums a strided share of
// the image's terms, then a tree reduction in workgroup memory (WG must be
// a power of two). Deterministic: no atomics.
// grad: one invocation per element, a gather over its neighbours.
// Constants from the engine: WG (workgroup size), TV (bool: total variation
// rather than pointwise), SQ (bool: squared rather than L1 penalty).

struct Params {
    n: u32,
    h: u32,
    w: u32,
    c: u32,
    per: u32,   // h * w * c, elements per image
    total: u32, // n * per
    coef: f32,
    eps: f32,
    center: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> values: array<f32>;

var<workgroup> part: array<f32, WG>;

fn pen(d: f32) -> f32 {
    if (SQ) {
        return d * d;
    }
    if (p.eps > 0.0) {
        return sqrt(d * d + p.eps);
    }
    return abs(d);
}

fn dpen(d: f32) -> f32 {
    if (SQ) {
        return 2.0 * d;
    }
    if (p.eps > 0.0) {
        return d / sqrt(d * d + p.eps);
    }
    return sign(d);
}

// term is element i's share of R: its differences to the right and below,
// or its own penalty.
fn term(i: u32) -> f32 {
    let v = x[i];
    if (!TV) {
        return pen(v - p.center);
    }
    let col = (i / p.c) % p.w;
    let row = (i / (p.c * p.w)) % p.h;
    var s = 0.0;
    if (col + 1u < p.w) {
        s += pen(x[i + p.c] - v);
    }
    if (row + 1u < p.h) {
        s += pen(x[i + p.c * p.w] - v);
    }
    return s;
}

@compute @workgroup_size(WG)
fn reg_value(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let b = wid.x;
    var s = 0.0;
    for (var j = lid; j < p.per; j += WG) {
        s += term(b * p.per + j);
    }
    part[lid] = s;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k = k / 2u) {
        if (lid < k) {
            part[lid] += part[lid + k];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        values[b] = part[0];
    }
}

@compute @workgroup_size(WG)
fn reg_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.total) {
        return;
    }
    let v = x[i];
    var g = 0.0;
    if (TV) {
        let col = (i / p.c) % p.w;
        let row = (i / (p.c * p.w)) % p.h;
        let dx = p.c;
        let dy = p.c * p.w;
        if (col > 0u) {
            g += dpen(v - x[i - dx]);
        }
        if (col + 1u < p.w) {
            g -= dpen(x[i + dx] - v);
        }
        if (row > 0u) {
            g += dpen(v - x[i - dy]);
        }
        if (row + 1u < p.h) {
            g -= dpen(x[i + dy] - v);
        }
    } else {
        g = dpen(v - p.center);
    }
    grad[i] += p.coef * g;
}
