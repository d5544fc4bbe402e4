// Colour decorrelation of Lucid's image parameterisations: each pixel's 3
// channels t are mapped to rgb = sigmoid(t · Mᵀ), i.e.
// rgb_i = sigmoid(Σ_j M[i][j] t_j), and the backward pass
// dt_j = Σ_i M[i][j] · drgb_i · rgb_i (1 - rgb_i), computed from the
// forward's output rather than recomputing the sigmoid.
// Images whose channel count is not 3 (grey) have no colours to
// decorrelate: sigmoid and sigmoid_backward are the same with M = I, one
// invocation per value (p.pixels then counts values).
// The matrix arrives in the uniforms (row-major), so changing it does not
// recompile anything. One invocation per pixel.
// Constants from the engine: WG (workgroup size).

struct Params {
    pixels: u32,
    m00: f32, m01: f32, m02: f32,
    m10: f32, m11: f32, m12: f32,
    m20: f32, m21: f32, m22: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;  // t (forward) or drgb (backward)
@group(0) @binding(2) var<storage, read> rgb: array<f32>;  // the forward's output (backward)
@group(0) @binding(3) var<storage, read_write> dst: array<f32>; // rgb (forward) or dt (backward)

// mat returns M itself (WGSL constructs matrices from columns, hence the
// transpose), so that mat() * v is Σ_j M[i][j] v_j and v * mat() is Mᵀ v.
fn mat() -> mat3x3<f32> {
    return transpose(mat3x3<f32>(
        vec3<f32>(p.m00, p.m01, p.m02),
        vec3<f32>(p.m10, p.m11, p.m12),
        vec3<f32>(p.m20, p.m21, p.m22)));
}

fn load3(b: u32) -> vec3<f32> {
    return vec3<f32>(src[b], src[b + 1u], src[b + 2u]);
}

fn store3(b: u32, v: vec3<f32>) {
    dst[b] = v.x;
    dst[b + 1u] = v.y;
    dst[b + 2u] = v.z;
}

@compute @workgroup_size(WG)
fn to_rgb(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.pixels) {
        return;
    }
    let z = mat() * load3(3u * i);
    store3(3u * i, 1.0 / (1.0 + exp(-z)));
}

@compute @workgroup_size(WG)
fn to_rgb_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.pixels) {
        return;
    }
    let b = 3u * i;
    let y = vec3<f32>(rgb[b], rgb[b + 1u], rgb[b + 2u]);
    let dz = load3(b) * y * (1.0 - y);
    // dt = Mᵀ dz
    store3(b, dz * mat());
}

@compute @workgroup_size(WG)
fn sigmoid(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.pixels) {
        return;
    }
    dst[i] = 1.0 / (1.0 + exp(-src[i]));
}

@compute @workgroup_size(WG)
fn sigmoid_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.pixels) {
        return;
    }
    let y = rgb[i];
    dst[i] = src[i] * y * (1.0 - y);
}
