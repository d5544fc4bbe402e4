// Pooling over NHWC tensors: max and average pooling over windows with
// Keras's padding (pad_top/pad_left given; padding is never part of a
// window, so averages count only pixels inside the image), their gradients
// written as gathers over the windows that contain each input pixel (no
// atomics, deterministic), and the gradients of global pooling (whose
// forward passes are column reductions in reduce.wgsl).
// Constants from the engine: WG (workgroup size).

struct Params {
    total: u32, // invocations: output elements forward, input elements backward
    n: u32,
    h: u32,
    w: u32,
    c: u32,
    oh: u32,
    ow: u32,
    kh: u32,
    kw: u32,
    sh: u32,
    sw: u32,
    pt: u32,    // padding above the first row
    pl: u32,    // padding left of the first column
    alpha: f32, // gap_backward: 1/(h*w)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read> idx: array<f32>;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

// The window of output row oy covers input rows [lo, hi): clipped to the
// image, so padding is excluded (every window holds at least one pixel
// under Keras's padding).
fn rows(oy: u32) -> vec2<u32> {
    let top = i32(oy * p.sh) - i32(p.pt);
    return vec2<u32>(u32(max(top, 0)), u32(min(top + i32(p.kh), i32(p.h))));
}

fn cols(ox: u32) -> vec2<u32> {
    let left = i32(ox * p.sw) - i32(p.pl);
    return vec2<u32>(u32(max(left, 0)), u32(min(left + i32(p.kw), i32(p.w))));
}

// argmax returns the flat input index of the largest value of the window
// of output (b, oy, ox, ch): the first in row-major window order on ties.
fn argmax(b: u32, oy: u32, ox: u32, ch: u32) -> u32 {
    let ry = rows(oy);
    let rx = cols(ox);
    var best = ((b * p.h + ry.x) * p.w + rx.x) * p.c + ch;
    var bv = x[best];
    for (var iy = ry.x; iy < ry.y; iy++) {
        for (var ix = rx.x; ix < rx.y; ix++) {
            let i = ((b * p.h + iy) * p.w + ix) * p.c + ch;
            let v = x[i];
            if (v > bv) {
                bv = v;
                best = i;
            }
        }
    }
    return best;
}

// Output element o as (b, oy, ox, ch).
fn out_pos(o: u32) -> vec4<u32> {
    let ch = o % p.c;
    var t = o / p.c;
    let ox = t % p.ow;
    t /= p.ow;
    return vec4<u32>(t / p.oh, t % p.oh, ox, ch);
}

@compute @workgroup_size(WG)
fn max_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = flat(gid, nwg);
    if (o < p.total) {
        let q = out_pos(o);
        y[o] = x[argmax(q.x, q.y, q.z, q.w)];
    }
}

@compute @workgroup_size(WG)
fn avg_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = flat(gid, nwg);
    if (o >= p.total) {
        return;
    }
    let q = out_pos(o);
    let ry = rows(q.y);
    let rx = cols(q.z);
    var s = 0.0;
    for (var iy = ry.x; iy < ry.y; iy++) {
        for (var ix = rx.x; ix < rx.y; ix++) {
            s += x[((q.x * p.h + iy) * p.w + ix) * p.c + q.w];
        }
    }
    y[o] = s / f32((ry.y - ry.x) * (rx.y - rx.x));
}

// The outputs whose windows contain input row iy: [lo, hi).
fn out_rows(iy: u32) -> vec2<u32> {
    let first = i32(iy + p.pt) - i32(p.kh) + 1;
    var lo = 0u;
    if (first > 0) {
        lo = (u32(first) + p.sh - 1u) / p.sh;
    }
    return vec2<u32>(lo, min((iy + p.pt) / p.sh + 1u, p.oh));
}

fn out_cols(ix: u32) -> vec2<u32> {
    let first = i32(ix + p.pl) - i32(p.kw) + 1;
    var lo = 0u;
    if (first > 0) {
        lo = (u32(first) + p.sw - 1u) / p.sw;
    }
    return vec2<u32>(lo, min((ix + p.pl) / p.sw + 1u, p.ow));
}

// Input element i as (b, iy, ix, ch).
fn in_pos(i: u32) -> vec4<u32> {
    let ch = i % p.c;
    var t = i / p.c;
    let ix = t % p.w;
    t /= p.w;
    return vec4<u32>(t / p.h, t % p.h, ix, ch);
}

// max_backward: each input pixel gathers the gradients of the windows
// whose maximum it is.
@compute @workgroup_size(WG)
fn max_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.total) {
        return;
    }
    let q = in_pos(i);
    let ry = out_rows(q.y);
    let rx = out_cols(q.z);
    var s = 0.0;
    for (var oy = ry.x; oy < ry.y; oy++) {
        for (var ox = rx.x; ox < rx.y; ox++) {
            if (argmax(q.x, oy, ox, q.w) == i) {
                s += dy[((q.x * p.oh + oy) * p.ow + ox) * p.c + q.w];
            }
        }
    }
    dx[i] = s;
}

@compute @workgroup_size(WG)
fn avg_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.total) {
        return;
    }
    let q = in_pos(i);
    let ry = out_rows(q.y);
    let rx = out_cols(q.z);
    var s = 0.0;
    for (var oy = ry.x; oy < ry.y; oy++) {
        let wy = rows(oy);
        for (var ox = rx.x; ox < rx.y; ox++) {
            let wx = cols(ox);
            s += dy[((q.x * p.oh + oy) * p.ow + ox) * p.c + q.w] / f32((wy.y - wy.x) * (wx.y - wx.x));
        }
    }
    dx[i] = s;
}

// gap_backward: every position of channel ch of image b receives
// dy[b][ch] / (h*w).
@compute @workgroup_size(WG)
fn gap_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i < p.total) {
        let hwc = p.h * p.w * p.c;
        dx[i] = p.alpha * dy[i / hwc * p.c + i % p.c];
    }
}

// gmp_backward: dy[b][ch] goes to the position idx[b][ch] (the first
// maximum, found by reduce.wgsl's cols_max), 0 elsewhere.
@compute @workgroup_size(WG)
fn gmp_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i < p.total) {
        let hwc = p.h * p.w * p.c;
        let j = i / hwc * p.c + i % p.c;
        dx[i] = select(0.0, dy[j], (i % hwc) / p.c == u32(idx[j]));
    }
}
