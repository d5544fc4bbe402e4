// Lucid's Fourier image parameterisation: spectrum -> image by a scaled
// inverse real 2-D DFT (numpy/TF irfft2 semantics), as two separable passes,
// and the exact adjoint of both passes for the backward.
//
// Spectrum layout: [B][C][2 (re, im)][H][WF]. Image layout: NHWC [B][H][W][C].
// The transform width WT = 2*(WF-1) is W (even W) or W+1 (odd W, cropped to
// W as Lucid does). Intermediate Z (after the pass along y): [B][C][2][H][WF].
// Twiddles come from tables (cos, sin of 2*pi*k/N for N = H and N = WT),
// indexed by (k*n mod N) so the angle stays exact for any size.
// Constants from the engine: WG.

struct Params {
    b: u32,
    c: u32,
    h: u32,
    w: u32,
    wf: u32,
    wt: u32,
    out_scale: f32, // 1/4 in Lucid
    wfp: u32,       // the gemm variant's padded row length (WF rounded up to 4)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> spec: array<f32>;    // spectrum (or dZ in the adjoint)
@group(0) @binding(2) var<storage, read> freq_scale: array<f32>; // [H][WF]
@group(0) @binding(3) var<storage, read> tw_y: array<f32>;    // [2][H]: cos, sin of 2*pi*k/H
@group(0) @binding(4) var<storage, read> tw_x: array<f32>;    // [2][WT]
@group(0) @binding(5) var<storage, read_write> z: array<f32>; // Z (forward y pass) or dSpectrum (adjoint)
@group(0) @binding(6) var<storage, read> zin: array<f32>;     // Z (forward x pass)
@group(0) @binding(7) var<storage, read_write> img: array<f32>; // image (forward x pass)
@group(0) @binding(8) var<storage, read> dimg: array<f32>;    // image gradient (adjoint x pass)
@group(0) @binding(9) var<storage, read_write> dz: array<f32>; // dZ (adjoint x pass)

//!include lib/dispatch.wgsl

// Forward pass 1, along y (complex inverse DFT, 1/H folded in), with the
// frequency scaling applied to the spectrum as it is read.
// One invocation per (b, c, y, kx).
@compute @workgroup_size(WG)
fn forward_y(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    let hw = p.h * p.wf;
    if (i >= p.b * p.c * hw) {
        return;
    }
    let kx = i % p.wf;
    let y = (i / p.wf) % p.h;
    let bc = i / hw;
    let re0 = bc * 2u * hw;
    let im0 = re0 + hw;
    var zr = 0.0;
    var zi = 0.0;
    for (var ky = 0u; ky < p.h; ky++) {
        let s = freq_scale[ky * p.wf + kx];
        let xr = spec[re0 + ky * p.wf + kx] * s;
        let xi = spec[im0 + ky * p.wf + kx] * s;
        let k = (ky * y) % p.h;
        let cs = tw_y[k];
        let sn = tw_y[p.h + k];
        zr += cs * xr - sn * xi;
        zi += sn * xr + cs * xi;
    }
    let inv_h = 1.0 / f32(p.h);
    z[re0 + y * p.wf + kx] = zr * inv_h;
    z[im0 + y * p.wf + kx] = zi * inv_h;
}

// a_kx of the real inverse DFT: the DC and Nyquist bins count once, the
// others twice (their conjugate twins are implicit).
fn herm(kx: u32) -> f32 {
    if (kx == 0u || 2u * kx == p.wt) {
        return 1.0;
    }
    return 2.0;
}

// Forward pass 2, along x (real inverse DFT of length WT, cropped to W),
// writing NHWC. One invocation per (b, y, x, c).
@compute @workgroup_size(WG)
fn forward_x(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.b * p.h * p.w * p.c) {
        return;
    }
    let c = i % p.c;
    let x = (i / p.c) % p.w;
    let y = (i / (p.c * p.w)) % p.h;
    let b = i / (p.c * p.w * p.h);
    let hw = p.h * p.wf;
    let re0 = (b * p.c + c) * 2u * hw + y * p.wf;
    let im0 = re0 + hw;
    var acc = 0.0;
    for (var kx = 0u; kx < p.wf; kx++) {
        let k = (kx * x) % p.wt;
        acc += herm(kx) * (zin[re0 + kx] * tw_x[k] - zin[im0 + kx] * tw_x[p.wt + k]);
    }
    img[i] = acc * p.out_scale / f32(p.wt);
}

// Adjoint of pass 2: dZ from the image gradient. One invocation per
// (b, c, y, kx).
@compute @workgroup_size(WG)
fn adjoint_x(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    let hw = p.h * p.wf;
    if (i >= p.b * p.c * hw) {
        return;
    }
    let kx = i % p.wf;
    let y = (i / p.wf) % p.h;
    let bc = i / hw;
    let b = bc / p.c;
    let c = bc % p.c;
    let row = ((b * p.h + y) * p.w) * p.c + c;
    var ar = 0.0;
    var ai = 0.0;
    for (var x = 0u; x < p.w; x++) {
        let g = dimg[row + x * p.c];
        let k = (kx * x) % p.wt;
        ar += g * tw_x[k];
        ai -= g * tw_x[p.wt + k];
    }
    let s = herm(kx) * p.out_scale / f32(p.wt);
    let re0 = bc * 2u * hw;
    dz[re0 + y * p.wf + kx] = ar * s;
    dz[re0 + hw + y * p.wf + kx] = ai * s;
}

// Adjoint of pass 1 (including the frequency scaling): dSpectrum from dZ.
// One invocation per (b, c, ky, kx).
@compute @workgroup_size(WG)
fn adjoint_y(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    let hw = p.h * p.wf;
    if (i >= p.b * p.c * hw) {
        return;
    }
    let kx = i % p.wf;
    let ky = (i / p.wf) % p.h;
    let bc = i / hw;
    let re0 = bc * 2u * hw;
    let im0 = re0 + hw;
    var ar = 0.0;
    var ai = 0.0;
    for (var y = 0u; y < p.h; y++) {
        let gr = spec[re0 + y * p.wf + kx];
        let gi = spec[im0 + y * p.wf + kx];
        let k = (ky * y) % p.h;
        let cs = tw_y[k];
        let sn = tw_y[p.h + k];
        ar += cs * gr + sn * gi;
        ai += cs * gi - sn * gr;
    }
    let s = freq_scale[ky * p.wf + kx] / f32(p.h);
    z[re0 + ky * p.wf + kx] = ar * s;
    z[im0 + ky * p.wf + kx] = ai * s;
}

// The "gemm" variant computes both passes as matrix products on the GEMM
// kernels; these three entries are its elementwise glue.

// Frequency scaling, elementwise, into rows padded from WF to WFP floats
// (zeros in the padding, so the GEMMs read whole vec4s): z = spec ⊙
// freq_scale, broadcast over [B][C][2]. One invocation per padded entry.
@compute @workgroup_size(WG)
fn scale_pad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.b * p.c * 2u * p.h * p.wfp) {
        return;
    }
    let kx = i % p.wfp;
    let row = i / p.wfp; // (b, c, re/im, ky)
    if (kx >= p.wf) {
        z[i] = 0.0;
        return;
    }
    z[i] = spec[row * p.wf + kx] * freq_scale[(row % p.h) * p.wf + kx];
}

// The adjoint of scale_pad: dspectrum (z) = padded dZ (spec) ⊙ freq_scale,
// dropping the padding. One invocation per spectrum entry.
@compute @workgroup_size(WG)
fn scale_unpad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    let hw = p.h * p.wf;
    if (i >= p.b * p.c * 2u * hw) {
        return;
    }
    let kx = i % p.wf;
    let row = i / p.wf;
    z[i] = spec[row * p.wfp + kx] * freq_scale[i % hw];
}

// Planar [B][C][H][W] (zin) to NHWC (img). One invocation per output.
@compute @workgroup_size(WG)
fn to_nhwc(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.b * p.h * p.w * p.c) {
        return;
    }
    let c = i % p.c;
    let x = (i / p.c) % p.w;
    let y = (i / (p.c * p.w)) % p.h;
    let b = i / (p.c * p.w * p.h);
    img[i] = zin[((b * p.c + c) * p.h + y) * p.w + x];
}

// NHWC (dimg) to planar [B][C][H][W] (dz): the adjoint of to_nhwc. One
// invocation per output.
@compute @workgroup_size(WG)
fn from_nhwc(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.b * p.h * p.w * p.c) {
        return;
    }
    let x = i % p.w;
    let y = (i / p.w) % p.h;
    let c = (i / (p.w * p.h)) % p.c;
    let b = i / (p.w * p.h * p.c);
    dz[i] = dimg[((b * p.h + y) * p.w + x) * p.c + c];
}
