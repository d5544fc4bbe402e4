// Counter-based random numbers: Philox-4x32-10 (Salmon et al., "Parallel
// random numbers: as easy as 1, 2, 3", SC 2011; the Random123 generator),
// with u32 arithmetic only, so every adapter produces the same bits.
//
// Element i of a fill with key (seed) and counter c is lane i % 4 of
// Philox4x32-10(ctr = (i / 4, 0, c_lo, c_hi), key = (seed_lo, seed_hi)).
// From those bits:
//   bits:    the u32 itself, stored bit for bit (bitcast) in the f32 buffer
//   uniform: u = (x >> 8) · 2⁻²⁴ in [0, 1), exact in f32
//   normal:  Box–Muller on lanes (0, 1) and (2, 3): with
//            u1 = ((x_even >> 8) + 1) · 2⁻²⁴ in (0, 1] and
//            θ = π·(2·((x_odd >> 8) · 2⁻²⁴) − 1) in [−π, π) (kept within
//            [−π, π] where GPUs' sin and cos are accurate),
//            z_even = sqrt(−2 ln u1)·cos θ, z_odd = sqrt(−2 ln u1)·sin θ
// and then v = shift + scale·r, written (y = v) or added (y += v: noise for
// a Langevin step). One invocation per group of 4 elements.
// Constants from the engine: WG (workgroup size), KIND (0 bits, 1 uniform,
// 2 normal), ADD (bool).

struct Params {
    n: u32,
    blocks: u32, // ceil(n / 4)
    seed_lo: u32,
    seed_hi: u32,
    ctr_lo: u32,
    ctr_hi: u32,
    scale: f32,
    shift: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

const M0 = 0xD2511F53u;
const M1 = 0xCD9E8D57u;
const W0 = 0x9E3779B9u;
const W1 = 0xBB67AE85u;

// mulhi returns the high 32 bits of the 64-bit product a·b, from 16-bit
// halves (WGSL has no 64-bit integers); the low half is a·b, wrapping.
fn mulhi(a: u32, b: u32) -> u32 {
    let al = a & 0xFFFFu;
    let ah = a >> 16u;
    let bl = b & 0xFFFFu;
    let bh = b >> 16u;
    let ll = al * bl;
    let lh = al * bh;
    let hl = ah * bl;
    let mid = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
    return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn philox(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = ctr;
    var k = key;
    for (var r = 0u; r < 10u; r++) {
        if (r > 0u) {
            k += vec2<u32>(W0, W1);
        }
        let hi0 = mulhi(M0, c.x);
        let lo0 = M0 * c.x;
        let hi1 = mulhi(M1, c.z);
        let lo1 = M1 * c.z;
        c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

fn unit(x: u32) -> f32 {
    return f32(x >> 8u) * (1.0 / 16777216.0);
}

const PI = 3.14159265358979;

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let b = gid.x + gid.y * nwg.x * WG;
    if (b >= p.blocks) {
        return;
    }
    let x = philox(vec4<u32>(b, 0u, p.ctr_lo, p.ctr_hi), vec2<u32>(p.seed_lo, p.seed_hi));
    var v = vec4<f32>();
    if (KIND == 0u) {
        v = bitcast<vec4<f32>>(x);
    } else if (KIND == 1u) {
        v = vec4<f32>(unit(x.x), unit(x.y), unit(x.z), unit(x.w));
    } else {
        let r0 = sqrt(-2.0 * log(f32((x.x >> 8u) + 1u) * (1.0 / 16777216.0)));
        let r1 = sqrt(-2.0 * log(f32((x.z >> 8u) + 1u) * (1.0 / 16777216.0)));
        let t0 = PI * (2.0 * unit(x.y) - 1.0);
        let t1 = PI * (2.0 * unit(x.w) - 1.0);
        v = vec4<f32>(r0 * cos(t0), r0 * sin(t0), r1 * cos(t1), r1 * sin(t1));
    }
    if (KIND != 0u) {
        v = p.shift + p.scale * v;
    }
    for (var j = 0u; j < 4u; j++) {
        let i = 4u * b + j;
        if (i < p.n) {
            if (ADD) {
                y[i] += v[j];
            } else {
                y[i] = v[j];
            }
        }
    }
}
