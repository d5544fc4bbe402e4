// Elementwise arithmetic on flat f32 arrays: z = alpha*x + beta*y (add,
// subtract, scale, copy), z = x*y, y = alpha*x + beta in place,
// z += alpha*x (gradient accumulation); z clamped between x and y.
// Constants from the engine: WG (workgroup size).

struct Params {
    n: u32,
    alpha: f32,
    beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;

//!include lib/dispatch.wgsl

@compute @workgroup_size(WG)
fn axpby(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i < p.n) {
        z[i] = p.alpha * x[i] + p.beta * y[i];
    }
}

@compute @workgroup_size(WG)
fn mul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i < p.n) {
        z[i] = x[i] * y[i];
    }
}

@compute @workgroup_size(WG)
fn scale_shift(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i < p.n) {
        z[i] = p.alpha * z[i] + p.beta;
    }
}

@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i < p.n) {
        z[i] += p.alpha * x[i];
    }
}

// clamp: z = min(max(z, x), y) in place, elementwise bounds x (low) and y
// (high), e.g. DGN-AM's clipping of a code to the range seen on real data.
@compute @workgroup_size(WG)
fn clamp_between(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i < p.n) {
        z[i] = min(max(z[i], x[i]), y[i]);
    }
}
