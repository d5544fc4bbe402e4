// Percentile clipping of pixels with small norm (the survey's "clip pixels
// with small norm", Yosinski et al. 2015), per image of an NHWC batch: the
// pixels whose squared norm over the channels is below the k-th smallest
// squared norm of their image are set to zero.
//
// norms: one invocation per pixel writes its squared norm.
// threshold: one invocation per image finds the k-th smallest squared norm
// exactly, by bisection over the bit patterns of the (non-negative, so
// ordered like their bits) f32 squared norms: the smallest pattern v with
// more than k norms at or below it. 31 passes over the image's norms, no
// workgroup memory, no atomics: deterministic.
// apply: one invocation per pixel zeroes it if its norm is below.
//
// Norm clipping of rows (clip_norm): each row of n = hw values of img whose
// Euclidean norm exceeds lim is scaled down to norm lim, in place (a step
// whose size is capped, as gradient clipping does). One workgroup per row:
// its lanes sum the squares of a strided share of the row, a tree in
// workgroup memory adds the shares (a fixed order: deterministic), then
// every lane scales its share.
// Constants from the engine: WG (workgroup size, a power of two).

struct Params {
    n: u32,     // images
    hw: u32,    // pixels per image
    c: u32,     // channels
    k: u32,     // index of the threshold in the sorted norms (0 ≤ k < hw)
    lim: f32,   // clip_norm: the largest norm a row keeps
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> sq: array<f32>;
@group(0) @binding(3) var<storage, read> sq_in: array<f32>;
@group(0) @binding(4) var<storage, read_write> thr: array<f32>;
@group(0) @binding(5) var<storage, read_write> img: array<f32>;
@group(0) @binding(6) var<storage, read> thr_in: array<f32>;

//!include lib/dispatch.wgsl

@compute @workgroup_size(WG)
fn norms(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.n * p.hw) {
        return;
    }
    var s = 0.0;
    for (var ch = 0u; ch < p.c; ch++) {
        let v = x[i * p.c + ch];
        s += v * v;
    }
    sq[i] = s;
}

@compute @workgroup_size(WG)
fn threshold(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let b = flat(gid, nwg);
    if (b >= p.n) {
        return;
    }
    var lo = 0u;
    var hi = 0x7f800000u; // +Inf
    for (var it = 0u; it < 32u; it++) {
        if (lo >= hi) {
            break;
        }
        let mid = lo + (hi - lo) / 2u;
        var count = 0u;
        for (var q = 0u; q < p.hw; q++) {
            count += select(0u, 1u, bitcast<u32>(sq_in[b * p.hw + q]) <= mid);
        }
        if (count > p.k) {
            hi = mid;
        } else {
            lo = mid + 1u;
        }
    }
    thr[b] = bitcast<f32>(lo);
}

@compute @workgroup_size(WG)
fn apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.n * p.hw) {
        return;
    }
    if (sq_in[i] < thr_in[i / p.hw]) {
        for (var ch = 0u; ch < p.c; ch++) {
            img[i * p.c + ch] = 0.0;
        }
    }
}

var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn clip_norm(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = wid.x + wid.y * nwg.x;
    let live = row < p.n;
    let base = row * p.hw;
    var s = 0.0;
    if (live) {
        for (var q = li; q < p.hw; q += WG) {
            let v = img[base + q];
            s += v * v;
        }
    }
    part[li] = s;
    workgroupBarrier();
    for (var h = WG / 2u; h > 0u; h /= 2u) {
        if (li < h) {
            part[li] += part[li + h];
        }
        workgroupBarrier();
    }
    let norm = sqrt(part[0]);
    if (live && norm > p.lim) {
        let f = p.lim / norm;
        for (var q = li; q < p.hw; q += WG) {
            img[base + q] *= f;
        }
    }
}
