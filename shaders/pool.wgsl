// Pooling over NHWC tensors: max and average pooling over windows with
// Keras's padding (pad_top/pad_left given; padding is never part of a
// window, so averages count only pixels inside the image), their gradients
// written as gathers over the windows that contain each input pixel (no
// atomics, deterministic), and the gradients of global pooling (whose
// forward passes are column reductions in reduce.wgsl).
// Constants from the engine: WG (workgroup size).

struct Params {
    total: u32,  // invocations: output elements forward, input elements backward
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
    pt: u32,     // padding above the first row
    pl: u32,     // padding left of the first column
    alpha: f32,  // gap_backward: 1/(h*w)
    is_max: u32, // backward: 1 for max pooling, 0 for average
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read> idx: array<f32>;
@group(0) @binding(6) var<storage, read_write> arg: array<f32>;

//!include lib/dispatch.wgsl

// The window of output o along one axis (stride st, padding before pad,
// size k, input size n) covers inputs [lo, hi): clipped to the image, so
// padding is excluded (every window holds at least one pixel under Keras's
// padding).
fn window(o: u32, st: u32, pad: u32, k: u32, n: u32) -> vec2<u32> {
    let first = i32(o * st) - i32(pad);
    return vec2<u32>(u32(max(first, 0)), u32(min(first + i32(k), i32(n))));
}

fn rows(oy: u32) -> vec2<u32> {
    return window(oy, p.sh, p.pt, p.kh, p.h);
}

fn cols(ox: u32) -> vec2<u32> {
    return window(ox, p.sw, p.pl, p.kw, p.w);
}

// The outputs along one axis whose windows contain input i: [lo, hi), of
// nout outputs.
fn covering(i: u32, st: u32, pad: u32, k: u32, nout: u32) -> vec2<u32> {
    let first = i32(i + pad) - i32(k) + 1;
    var lo = 0u;
    if (first > 0) {
        lo = (u32(first) + st - 1u) / st;
    }
    return vec2<u32>(lo, min((i + pad) / st + 1u, nout));
}

// Element i of a [n][h][w][c] tensor as (b, y, x, ch).
fn split(i: u32, h: u32, w: u32) -> vec4<u32> {
    let ch = i % p.c;
    var t = i / p.c;
    let col = t % w;
    t /= w;
    return vec4<u32>(t / h, t % h, col, ch);
}

fn at(b: u32, iy: u32, ix: u32, ch: u32) -> u32 {
    return ((b * p.h + iy) * p.w + ix) * p.c + ch;
}

// argmax returns the position (iy, ix) of the largest value of the window
// of output (b, oy, ox, ch): the first in row-major window order on ties.
fn argmax(b: u32, oy: u32, ox: u32, ch: u32) -> vec2<u32> {
    let ry = rows(oy);
    let rx = cols(ox);
    var best = vec2<u32>(ry.x, rx.x);
    var bv = x[at(b, ry.x, rx.x, ch)];
    for (var iy = ry.x; iy < ry.y; iy++) {
        for (var ix = rx.x; ix < rx.y; ix++) {
            let v = x[at(b, iy, ix, ch)];
            if (v > bv) {
                bv = v;
                best = vec2<u32>(iy, ix);
            }
        }
    }
    return best;
}

// The offset of input (iy, ix) in the unclipped window of output (oy, ox),
// ky*kw + kx: a small integer, exact as f32.
fn offset(iy: u32, ix: u32, oy: u32, ox: u32) -> u32 {
    return (iy + p.pt - oy * p.sh) * p.kw + (ix + p.pl - ox * p.sw);
}

@compute @workgroup_size(WG)
fn max_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = flat(gid, nwg);
    if (o < p.total) {
        let q = split(o, p.oh, p.ow);
        let m = argmax(q.x, q.y, q.z, q.w);
        y[o] = x[at(q.x, m.x, m.y, q.w)];
    }
}

// max_argmax writes each window's argmax as its offset, for max_backward
// (finding it once per window rather than once per input it covers).
@compute @workgroup_size(WG)
fn max_argmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = flat(gid, nwg);
    if (o < p.total) {
        let q = split(o, p.oh, p.ow);
        let m = argmax(q.x, q.y, q.z, q.w);
        arg[o] = f32(offset(m.x, m.y, q.y, q.z));
    }
}

@compute @workgroup_size(WG)
fn avg_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = flat(gid, nwg);
    if (o >= p.total) {
        return;
    }
    let q = split(o, p.oh, p.ow);
    let ry = rows(q.y);
    let rx = cols(q.z);
    var s = 0.0;
    for (var iy = ry.x; iy < ry.y; iy++) {
        for (var ix = rx.x; ix < rx.y; ix++) {
            s += x[at(q.x, iy, ix, q.w)];
        }
    }
    y[o] = s / f32((ry.y - ry.x) * (rx.y - rx.x));
}

// backward: each input pixel gathers the gradients of the windows that
// contain it: for max pooling (is_max = 1) those whose maximum it is (idx:
// the offsets from max_argmax), for average pooling each divided by its
// window's pixel count.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.total) {
        return;
    }
    let q = split(i, p.h, p.w);
    let ry = covering(q.y, p.sh, p.pt, p.kh, p.oh);
    let rx = covering(q.z, p.sw, p.pl, p.kw, p.ow);
    var s = 0.0;
    for (var oy = ry.x; oy < ry.y; oy++) {
        let wy = rows(oy);
        for (var ox = rx.x; ox < rx.y; ox++) {
            let o = ((q.x * p.oh + oy) * p.ow + ox) * p.c + q.w;
            if (p.is_max == 0u) {
                let wx = cols(ox);
                s += dy[o] / f32((wy.y - wy.x) * (wx.y - wx.x));
            } else if (u32(idx[o]) == offset(q.y, q.z, oy, ox)) {
                s += dy[o];
            }
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
