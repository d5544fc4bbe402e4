// Softmax and log-softmax over the last axis of a [rows][n] tensor, and
// their gradients. One workgroup per row: its lanes stride over the row and
// combine their partial maxima and sums as trees in workgroup memory. The
// maximum is subtracted before exponentiating, so large logits do not
// overflow.
// Constants from the engine: WG (workgroup size, a power of two).

struct Params {
    rows: u32,
    n: u32,   // row length
    log: u32, // 1: log-softmax
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> yin: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

var<workgroup> red: array<f32, WG>;

// Rows beyond 65535 workgroups fold into y.
fn row_of(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

// The workgroup's sum (or maximum) of v, seen by every lane.
fn combine(li: u32, v: f32, is_max: bool) -> f32 {
    red[li] = v;
    workgroupBarrier();
    for (var h = WG / 2u; h > 0u; h /= 2u) {
        if (li < h) {
            if (is_max) {
                red[li] = max(red[li], red[li + h]);
            } else {
                red[li] += red[li + h];
            }
        }
        workgroupBarrier();
    }
    let r = red[0];
    workgroupBarrier(); // before red is written again
    return r;
}

@compute @workgroup_size(WG)
fn forward(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = row_of(wid, nwg);
    if (row >= p.rows) {
        return;
    }
    let base = row * p.n;
    var m = x[base]; // rows are never empty
    for (var j = li; j < p.n; j += WG) {
        m = max(m, x[base + j]);
    }
    m = combine(li, m, true);
    var s = 0.0;
    for (var j = li; j < p.n; j += WG) {
        s += exp(x[base + j] - m);
    }
    s = combine(li, s, false);
    if (p.log == 1u) {
        let ls = m + log(s);
        for (var j = li; j < p.n; j += WG) {
            y[base + j] = x[base + j] - ls;
        }
    } else {
        let inv = 1.0 / s;
        for (var j = li; j < p.n; j += WG) {
            y[base + j] = exp(x[base + j] - m) * inv;
        }
    }
}

// backward from the output y: softmax dx = y*(dy - Σ dy*y), log-softmax
// dx = dy - exp(y)*Σ dy.
@compute @workgroup_size(WG)
fn backward(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = row_of(wid, nwg);
    if (row >= p.rows) {
        return;
    }
    let base = row * p.n;
    var t = 0.0;
    for (var j = li; j < p.n; j += WG) {
        if (p.log == 1u) {
            t += dy[base + j];
        } else {
            t += dy[base + j] * yin[base + j];
        }
    }
    t = combine(li, t, false);
    for (var j = li; j < p.n; j += WG) {
        let i = base + j;
        if (p.log == 1u) {
            dx[i] = dy[i] - exp(yin[i]) * t;
        } else {
            dx[i] = yin[i] * (dy[i] - t);
        }
    }
}
