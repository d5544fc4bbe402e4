// Optimiser updates, in place on a parameter buffer x from its gradient g
// (the gradient of a loss being minimised). One invocation per element.
//
// adam: TensorFlow's ApplyAdam (tf.train.AdamOptimizer, which Lucid uses),
// written as TF's kernel writes it:
//   m += (g - m) * (1 - beta1)
//   v += (g² - v) * (1 - beta2)
//   x -= lr_t * m / (sqrt(v) + eps)
// with the bias correction folded into lr_t = lr·sqrt(1-beta2^t)/(1-beta1^t),
// computed by the launcher for each step t (epsilon is added after the
// square root, unlike the Adam paper's ε̂).
//
// momentum: TensorFlow's ApplyMomentum: v = mu·v + g; x -= lr·v.
// Constants from the engine: WG (workgroup size).

struct Params {
    n: u32,
    lr: f32, // adam: lr_t
    beta1: f32,
    beta2: f32,
    eps: f32,
    mu: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.n) {
        return;
    }
    let gi = g[i];
    let mi = m[i] + (gi - m[i]) * (1.0 - p.beta1);
    let vi = v[i] + (gi * gi - v[i]) * (1.0 - p.beta2);
    m[i] = mi;
    v[i] = vi;
    x[i] -= p.lr * mi / (sqrt(vi) + p.eps);
}

@compute @workgroup_size(WG)
fn momentum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.n) {
        return;
    }
    let vi = p.mu * v[i] + g[i];
    v[i] = vi;
    x[i] -= p.lr * vi;
}
