// Per-channel affine map over NHWC tensors, y = x*scale[c] + shift[c]:
// inference-mode batch normalisation when it could not be folded into a
// convolution. The gradients of scale and shift are column sums, computed
// by reduce.wgsl.
// Constants from the engine: WG (workgroup size).

struct Params {
    n: u32, // elements
    c: u32, // channels: the fastest-varying axis
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> shift: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

//!include lib/dispatch.wgsl

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i < p.n) {
        let c = i % p.c;
        y[i] = x[i] * scale[c] + shift[c];
    }
}

// backward_x: dx = dy * scale[c], with dy bound at x's slot and dx at y's.
@compute @workgroup_size(WG)
fn backward_x(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i < p.n) {
        y[i] = x[i] * scale[i % p.c];
    }
}
