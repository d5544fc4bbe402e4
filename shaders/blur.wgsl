// One pass of a separable Gaussian blur of NHWC images, along x or along y:
// the launcher runs it twice (horizontal, then vertical).
//
// A pass sees the tensor as lines of p.len elements p.stride apart (x: len
// W, stride C; y: len H, stride W*C). Output element i at position q of its
// line is Σ_{k=-r..r} w_k · src[line(mirror(q + k))], with
// w_k = exp(-k²/(2σ²)) · p.norm (p.norm makes Σ w_k = 1, computed in
// float64 by the launcher). The weights come from the recurrence
// w_{k+1} = w_k · ρ_k, ρ_{k+1} = ρ_k · e^{-2a} (a = 1/(2σ²), ρ_0 = e^{-a}),
// with no exp in the shader: CPU adapters pay dearly for one per tap.
//
// Border: half-sample symmetric reflection (… c b a | a b c … z | z y …,
// scipy.ndimage's "reflect"), periodic with period 2·len so any radius
// works, even past the image's size. With this border the pass's matrix is
// symmetric (the reflected images of a tap fold back onto pairs of pixels
// whose weights agree since w is even), so the blur is its own adjoint and
// its backward is the same two passes.
// Constants from the engine: WG (workgroup size).

struct Params {
    total: u32,
    len: u32,
    stride: u32,
    r: u32,
    rho0: f32, // e^{-a}
    q: f32,    // e^{-2a}
    norm: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

// mirror maps a position on the infinite, mirrored line into [0, len).
// A negative position is reflected first (−1 → 0, −2 → 1, the same
// half-sample reflection), so no remainder sees a negative operand: on
// NVIDIA's Vulkan driver an i32 % of a negative value through gogpu's
// SPIR-V gave the unsigned remainder.
fn mirror(t: i32) -> u32 {
    let n = p.len;
    let u = u32(select(t, -1 - t, t < 0)) % (2u * n);
    return select(u, 2u * n - 1u - u, u >= n);
}

@compute @workgroup_size(WG)
fn blur1d(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.total) {
        return;
    }
    let q = (i / p.stride) % p.len;
    let base = i - q * p.stride;
    var acc = p.norm * src[i];
    var wk = p.norm;
    var rho = p.rho0;
    for (var k = 1u; k <= p.r; k++) {
        wk *= rho;
        rho *= p.q;
        let a = src[base + mirror(i32(q) + i32(k)) * p.stride];
        let b = src[base + mirror(i32(q) - i32(k)) * p.stride];
        acc += wk * (a + b);
    }
    dst[i] = acc;
}
