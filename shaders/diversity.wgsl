// Lucid's diversity objective across a batch of B images, from their Gram
// matrices G_b (C×C, flattened to m = C² values): ĝ_b = G_b/‖G_b‖ (Lucid's
// l2_normalize, epsilon 1e-10), value_b = −(1/B)·Σ_{j≠b} ĝ_b·ĝ_j.
//
// normalize: ĝ = G·inv[b], inv[b] = 1/sqrt(max(m·ms[b], 1e-10)), ms[b] the
//            mean of squares of G_b (from the reduce kernels).
// sums:      S = Σ_b ĝ_b and Y = Σ_b dy[b]·ĝ_b, one invocation per entry.
// value:     value_b = −(ĝ_b·S − ĝ_b·ĝ_b)/B from gs[b] = ĝ_b·S (a GEMM);
//            ĝ_b·ĝ_b = m·ms[b]·inv[b]² (1 unless the epsilon acts).
// dghat:     U_b = ∂(Σ_i dy_i·value_i)/∂ĝ_b = −(1/B)·(dy_b·(S − ĝ_b) + Y − dy_b·ĝ_b).
// dgram:     D_b = (U_b − ĝ_b·q[b])·inv[b], q[b] = ĝ_b·U_b: the gradient
//            through the normalisation (the rest, dX = 2·X·D, is a GEMM).
// Constants from the engine: WG (workgroup size).

struct Params {
    n: u32,     // images
    m: u32,     // entries of a Gram matrix
    total: u32, // n * m
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> ms: array<f32>;
@group(0) @binding(3) var<storage, read_write> ghat_out: array<f32>;
@group(0) @binding(4) var<storage, read> ghat: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> s_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> y_out: array<f32>;
@group(0) @binding(8) var<storage, read> s_in: array<f32>;
@group(0) @binding(9) var<storage, read> y_in: array<f32>;
@group(0) @binding(10) var<storage, read_write> u_out: array<f32>;
@group(0) @binding(11) var<storage, read> u_in: array<f32>;
@group(0) @binding(12) var<storage, read> q: array<f32>;
@group(0) @binding(13) var<storage, read_write> d_out: array<f32>;
@group(0) @binding(14) var<storage, read> gs: array<f32>;
@group(0) @binding(15) var<storage, read_write> value_out: array<f32>;

//!include lib/dispatch.wgsl

fn inv(b: u32) -> f32 {
    return 1.0 / sqrt(max(f32(p.m) * ms[b], 1e-10));
}

@compute @workgroup_size(WG)
fn normalize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.total) {
        return;
    }
    ghat_out[i] = g[i] * inv(i / p.m);
}

@compute @workgroup_size(WG)
fn sums(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat(gid, nwg);
    if (e >= p.m) {
        return;
    }
    var s = 0.0;
    var y = 0.0;
    for (var b = 0u; b < p.n; b++) {
        let v = ghat[b * p.m + e];
        s += v;
        y += dy[b] * v;
    }
    s_out[e] = s;
    y_out[e] = y;
}

@compute @workgroup_size(WG)
fn value(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let b = flat(gid, nwg);
    if (b >= p.n) {
        return;
    }
    let r = inv(b);
    value_out[b] = -(gs[b] - f32(p.m) * ms[b] * r * r) / f32(p.n);
}

@compute @workgroup_size(WG)
fn dghat(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.total) {
        return;
    }
    let b = i / p.m;
    let e = i % p.m;
    let v = ghat[i];
    u_out[i] = -(dy[b] * (s_in[e] - v) + y_in[e] - dy[b] * v) / f32(p.n);
}

@compute @workgroup_size(WG)
fn dgram(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.total) {
        return;
    }
    let b = i / p.m;
    d_out[i] = (u_in[i] - ghat[i] * q[b]) * inv(b);
}
