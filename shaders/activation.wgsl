// Pointwise activations and their gradients, selected by a uniform kind:
// 0 identity, 1 ReLU family (y = min(x, cap) above 0, slope*x below: ReLU,
// ReLU6, leaky ReLU), 2 sigmoid, 3 tanh. Plus Lucid's redirected ReLU
// gradient for the first steps of an optimisation: relu_lucid writes the
// ordinary gradient as Lucid's override computes it, reduce.wgsl sums its
// squares per image, and relu_redirect replaces the gradient of every image
// where nothing passed.
// Constants from the engine: WG (workgroup size).

struct Params {
    n: u32,     // elements
    kind: u32,  // see above
    slope: f32, // ReLU family: slope below 0
    cap: f32,   // ReLU family: upper clamp (the largest f32 when none)
    inner: u32, // relu_redirect: elements per image
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read> norm2: array<f32>;

//!include lib/dispatch.wgsl

// Exponentials of non-positive numbers only, so nothing overflows.
fn sigmoid(v: f32) -> f32 {
    let e = exp(-abs(v));
    if (v >= 0.0) {
        return 1.0 / (1.0 + e);
    }
    return e / (1.0 + e);
}

// tanh is within an ulp of ±1 beyond |v| = 9; clamping keeps any exp-based
// implementation of the builtin away from overflow.
fn tanh_(v: f32) -> f32 {
    return tanh(clamp(v, -15.0, 15.0));
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.n) {
        return;
    }
    let v = x[i];
    var r = v;
    switch p.kind {
        case 1u: {
            r = select(p.slope * v, min(v, p.cap), v > 0.0);
        }
        case 2u: {
            r = sigmoid(v);
        }
        case 3u: {
            r = tanh_(v);
        }
        default: {}
    }
    y[i] = r;
}

// backward: dx = dy * f'(x). At the ReLU kinks it follows TF.js: the
// gradient passes for 0 < x <= cap, is slope for x <= 0, 0 above cap.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.n) {
        return;
    }
    let v = x[i];
    var d = 1.0;
    switch p.kind {
        case 1u: {
            d = select(select(0.0, 1.0, v <= p.cap), p.slope, v <= 0.0);
        }
        case 2u: {
            let s = sigmoid(v);
            d = s * (1.0 - s);
        }
        case 3u: {
            let t = tanh_(v);
            d = 1.0 - t * t;
        }
        default: {}
    }
    dx[i] = dy[i] * d;
}

// relu_lucid: the ordinary gradient as Lucid's redirected_relu_grad and
// redirected_relu6_grad compute it (x = 0 and x = cap count as on).
@compute @workgroup_size(WG)
fn relu_lucid(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i < p.n) {
        let v = x[i];
        dx[i] = select(0.0, dy[i], v >= 0.0 && v <= p.cap);
    }
}

// relu_redirect: for images where the ordinary gradient is zero everywhere
// (norm2 = 0), let dy through except where gradient descent (which moves x
// by -dy) would push x further out of [0, cap]: below 0 with dy > 0, above
// cap with dy < 0.
@compute @workgroup_size(WG)
fn relu_redirect(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.n || norm2[i / p.inner] > 0.0) {
        return;
    }
    let v = x[i];
    let g = dy[i];
    let blocked = (v < 0.0 && g > 0.0) || (v > p.cap && g < 0.0);
    dx[i] = select(g, 0.0, blocked);
}
