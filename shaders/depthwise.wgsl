// DepthwiseConv2D on NHWC activations with Keras filters w[ky][kx][c][m]:
// each input channel c is convolved with its own M filters, and output
// channel o = c·M + m (M is the depth multiplier, CM = C·M):
//   y[n][oy][ox][o] = b[o] + Σ x[n][oy·sy+ky−pt][ox·sx+kx−pl][o / M] · w[ky][kx][o]
// (w flattened to [KH·KW][CM]), taps in the padding reading zero. Its
// gradients dx (a gather over the taps that read each input pixel, no
// atomics) and dw (a reduction over the batch's output pixels); the bias
// gradient is conv2d.wgsl's bias_grad.
//
// Two variants of each:
//   *_simple  one output value per invocation;
//   *_reg     each invocation keeps TP pixels (dw: TP taps) × 4·NV channels
//             in registers, no workgroup memory, no barriers, with vec4
//             loads where the layout allows (CPU adapters load storage
//             buffers one SIMD lane at a time, so loads are what costs).
//
// Constants from the engine:
//   WG   workgroup size (1-D)
//   TP   pixels (dw_reg: taps) per invocation in the _reg variants
//   NV   vec4s of channels per invocation in the _reg variants
//   VEC  bool: M = 1 and C is a multiple of 4, so channel runs of x, w and
//        dy can be read as aligned vec4 through the *4 views
//   SPLIT invocations sharing one output block of dw_reg

struct Params {
    n: u32,
    h: u32,
    w: u32,
    c: u32,
    oh: u32,
    ow: u32,
    m: u32, // depth multiplier
    kh: u32,
    kw: u32,
    sy: u32,
    sx: u32,
    pt: u32,
    pl: u32,
    has_bias: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
// When there is no bias the launcher binds w here and has_bias is 0.
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> dw: array<f32>;
// vec4 views of x, w and dy (the same buffers bound again), read when VEC.
@group(0) @binding(8) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> w4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> dy4: array<vec4<f32>>;

//!include lib/dispatch.wgsl
//!include lib/window.wgsl

// Output channels o..o+3 of a run of CM floats starting at base (a tap of w,
// a pixel of dy), clamped to the run; clamped entries are never stored.
fn w_o4(base: u32, o: u32) -> vec4<f32> {
    let cm = p.c * p.m;
    if (VEC) {
        return w4[(base + min(o, cm - 4u)) >> 2u];
    }
    let l = cm - 1u;
    return vec4<f32>(w[base + min(o, l)], w[base + min(o + 1u, l)], w[base + min(o + 2u, l)], w[base + min(o + 3u, l)]);
}

fn dy_o4(base: u32, o: u32) -> vec4<f32> {
    let cm = p.c * p.m;
    if (VEC) {
        return dy4[(base + min(o, cm - 4u)) >> 2u];
    }
    let l = cm - 1u;
    return vec4<f32>(dy[base + min(o, l)], dy[base + min(o + 1u, l)], dy[base + min(o + 2u, l)], dy[base + min(o + 3u, l)]);
}

// The input channels feeding output channels o..o+3 of the pixel whose C
// floats start at base, clamped like w_o4.
fn x_o4(base: u32, o: u32) -> vec4<f32> {
    if (VEC) {
        return x4[(base + min(o, p.c - 4u)) >> 2u];
    }
    let l = p.c * p.m - 1u;
    return vec4<f32>(x[base + min(o, l) / p.m], x[base + min(o + 1u, l) / p.m], x[base + min(o + 2u, l) / p.m], x[base + min(o + 3u, l) / p.m]);
}

fn bias_at(o: u32) -> f32 {
    if (p.has_bias != 0u) {
        return bias[o];
    }
    return 0.0;
}

// ---------------------------------------------------------------- forward

@compute @workgroup_size(WG)
fn fwd_simple(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let cm = p.c * p.m;
    let i = flat(gid, nwg);
    if (i >= p.n * p.oh * p.ow * cm) {
        return;
    }
    let o = i % cm;
    let pix = i / cm;
    let ox = pix % p.ow;
    let oy = (pix / p.ow) % p.oh;
    let n = pix / (p.ow * p.oh);
    let c = o / p.m;
    var acc = 0.0;
    for (var ky = 0u; ky < p.kh; ky++) {
        let iy = in_pos(oy, p.sy, ky, p.pt);
        if (!inside(iy, p.h)) {
            continue;
        }
        for (var kx = 0u; kx < p.kw; kx++) {
            let ix = in_pos(ox, p.sx, kx, p.pl);
            if (!inside(ix, p.w)) {
                continue;
            }
            acc += x[((n * p.h + u32(iy)) * p.w + u32(ix)) * p.c + c] * w[(ky * p.kw + kx) * cm + o];
        }
    }
    y[i] = acc + bias_at(o);
}

// Each invocation: TP consecutive output pixels of one row × 4·NV output
// channels. Out-of-range invocations compute on clamped indices and store
// nothing, so that control flow stays uniform.
@compute @workgroup_size(WG)
fn fwd_reg(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let cm = p.c * p.m;
    let owb = (p.ow + TP - 1u) / TP;
    let npb = p.n * p.oh * owb;
    let total = npb * ((cm + 4u * NV - 1u) / (4u * NV));
    let q = flat(gid, nwg);
    let live = q < total;
    let qq = min(q, total - 1u);
    let pb = qq % npb;
    let o0 = (qq / npb) * 4u * NV;
    let ox0 = (pb % owb) * TP;
    let oy = (pb / owb) % p.oh;
    let n = pb / (owb * p.oh);
    // Locals are zeroed explicitly: gogpu's naga (v0.19) gives `var x: T;` no
    // initialiser in SPIR-V, and NVIDIA's driver leaves such memory undefined.
    var acc = array<array<vec4<f32>, NV>, TP>();
    for (var ky = 0u; ky < p.kh; ky++) {
        let iy = in_pos(oy, p.sy, ky, p.pt);
        let row_ok = inside(iy, p.h);
        let row = (n * p.h + u32(max(iy, 0))) * p.w;
        for (var kx = 0u; kx < p.kw; kx++) {
            var wv = array<vec4<f32>, NV>();
            for (var v = 0u; v < NV; v++) {
                wv[v] = w_o4((ky * p.kw + kx) * cm, o0 + 4u * v);
            }
            for (var t = 0u; t < TP; t++) {
                let ix = in_pos(ox0 + t, p.sx, kx, p.pl);
                let ok = row_ok && inside(ix, p.w);
                let xb = select(0u, (row + u32(ix)) * p.c, ok);
                for (var v = 0u; v < NV; v++) {
                    acc[t][v] += select(vec4<f32>(), x_o4(xb, o0 + 4u * v), ok) * wv[v];
                }
            }
        }
    }
    if (!live) {
        return;
    }
    for (var t = 0u; t < TP; t++) {
        let ox = ox0 + t;
        if (ox >= p.ow) {
            break;
        }
        let yb = ((n * p.oh + oy) * p.ow + ox) * cm;
        for (var v = 0u; v < NV; v++) {
            for (var j = 0u; j < 4u; j++) {
                let o = o0 + 4u * v + j;
                if (o < cm) {
                    y[yb + o] = acc[t][v][j] + bias_at(o);
                }
            }
        }
    }
}

// ---------------------------------------------------------- input gradient

@compute @workgroup_size(WG)
fn dx_simple(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let cm = p.c * p.m;
    let i = flat(gid, nwg);
    if (i >= p.n * p.h * p.w * p.c) {
        return;
    }
    let c = i % p.c;
    let pix = i / p.c;
    let ix = pix % p.w;
    let iy = (pix / p.w) % p.h;
    let n = pix / (p.w * p.h);
    var acc = 0.0;
    for (var ky = 0u; ky < p.kh; ky++) {
        let oy = out_pos(iy, p.sy, ky, p.pt, p.oh);
        if (oy < 0) {
            continue;
        }
        for (var kx = 0u; kx < p.kw; kx++) {
            let ox = out_pos(ix, p.sx, kx, p.pl, p.ow);
            if (ox < 0) {
                continue;
            }
            let yb = ((n * p.oh + u32(oy)) * p.ow + u32(ox)) * cm + c * p.m;
            let wb = (ky * p.kw + kx) * cm + c * p.m;
            for (var m = 0u; m < p.m; m++) {
                acc += dy[yb + m] * w[wb + m];
            }
        }
    }
    dx[i] = acc;
}

// Each invocation: TP input pixels of one row, sx apart (read by the same
// taps from consecutive output pixels: ix = r + sx·(j0 + t) for a residue
// r < sx) × 4·NV input channels. Only the taps that reach this row and
// residue are visited.
@compute @workgroup_size(WG)
fn dx_reg(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let cm = p.c * p.m;
    let wj = (p.w + p.sx - 1u) / p.sx;
    let jb = (wj + TP - 1u) / TP;
    let hy = (p.h + p.sy - 1u) / p.sy; // rows per row residue, at most
    let npb = p.n * hy * p.sy * p.sx * jb;
    let total = npb * ((p.c + 4u * NV - 1u) / (4u * NV));
    let q = flat(gid, nwg);
    let qq = min(q, total - 1u);
    let pb = qq % npb;
    let c0 = (qq / npb) * 4u * NV;
    // Block index, fastest first: column block, image, row within its
    // residue class, column residue r, row residue. Neighbouring lanes share
    // both residues, so they visit the same taps (CPU adapters run the
    // lanes of a loop in lockstep).
    let j0 = (pb % jb) * TP;
    let n = (pb / jb) % p.n;
    let a = pb / (jb * p.n);
    let r = (a / hy) % p.sx;
    let iy_ = (a / (hy * p.sx)) + p.sy * (a % hy);
    let live = q < total && iy_ < p.h;
    let iy = min(iy_, p.h - 1u);
    var acc = array<array<vec4<f32>, NV>, TP>();
    for (var ky = (iy + p.pt) % p.sy; ky < min(p.kh, iy + p.pt + 1u); ky += p.sy) {
        let oy = (iy + p.pt - ky) / p.sy;
        let row_ok = oy < p.oh;
        let row = (n * p.oh + oy) * p.ow;
        for (var kx = (r + p.pl) % p.sx; kx < p.kw; kx += p.sx) {
            let ox0 = exact_div(i32(r + p.pl) - i32(kx), p.sx) + i32(j0);
            let wb = (ky * p.kw + kx) * cm;
            for (var m = 0u; m < p.m; m++) {
                // Filters of channels c0+4v+j, multiplier m.
                var wv = array<vec4<f32>, NV>();
                for (var v = 0u; v < NV; v++) {
                    wv[v] = dw_c4(wb, c0 + 4u * v, m, true);
                }
                for (var t = 0u; t < TP; t++) {
                    let ox = ox0 + i32(t);
                    let ok = row_ok && inside(ox, p.ow);
                    let yb = select(0u, (row + u32(ox)) * cm, ok);
                    for (var v = 0u; v < NV; v++) {
                        acc[t][v] += select(vec4<f32>(), dw_c4(yb, c0 + 4u * v, m, false), ok) * wv[v];
                    }
                }
            }
        }
    }
    if (!live) {
        return;
    }
    for (var t = 0u; t < TP; t++) {
        let ix = r + p.sx * (j0 + t);
        if (ix >= p.w) {
            break;
        }
        let xb = ((n * p.h + iy) * p.w + ix) * p.c;
        for (var v = 0u; v < NV; v++) {
            for (var j = 0u; j < 4u; j++) {
                let c = c0 + 4u * v + j;
                if (c < p.c) {
                    dx[xb + c] = acc[t][v][j];
                }
            }
        }
    }
}

// Values for input channels c..c+3 (clamped to C), multiplier m, of the run
// of CM floats at base: from w when from_w, else from dy.
fn dw_c4(base: u32, c: u32, m: u32, from_w: bool) -> vec4<f32> {
    if (VEC) {
        let i = (base + min(c, p.c - 4u)) >> 2u;
        if (from_w) {
            return w4[i];
        }
        return dy4[i];
    }
    let l = p.c - 1u;
    let i = vec4<u32>(min(c, l), min(c + 1u, l), min(c + 2u, l), min(c + 3u, l)) * p.m + vec4<u32>(base + m);
    if (from_w) {
        return vec4<f32>(w[i.x], w[i.y], w[i.z], w[i.w]);
    }
    return vec4<f32>(dy[i.x], dy[i.y], dy[i.z], dy[i.w]);
}

// --------------------------------------------------------- filter gradient

@compute @workgroup_size(WG)
fn dw_simple(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let cm = p.c * p.m;
    let i = flat(gid, nwg);
    if (i >= p.kh * p.kw * cm) {
        return;
    }
    let o = i % cm;
    let k = i / cm;
    let ky = k / p.kw;
    let kx = k % p.kw;
    let c = o / p.m;
    var acc = 0.0;
    for (var n = 0u; n < p.n; n++) {
        for (var oy = 0u; oy < p.oh; oy++) {
            let iy = in_pos(oy, p.sy, ky, p.pt);
            if (!inside(iy, p.h)) {
                continue;
            }
            for (var ox = 0u; ox < p.ow; ox++) {
                let ix = in_pos(ox, p.sx, kx, p.pl);
                if (!inside(ix, p.w)) {
                    continue;
                }
                acc += x[((n * p.h + u32(iy)) * p.w + u32(ix)) * p.c + c] * dy[((n * p.oh + oy) * p.ow + ox) * cm + o];
            }
        }
    }
    dw[i] = acc;
}

// Each output block — TP consecutive taps (flattened ky·KW+kx) × 4·NV
// output channels — is summed over every output pixel by SPLIT consecutive
// invocations, each taking every SPLIT-th output row and writing its partial
// sums to slice s of dw (added up by the launcher, as in conv2d.wgsl). Each
// dy value loaded serves all TP taps.
@compute @workgroup_size(WG)
fn dw_reg(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let cm = p.c * p.m;
    let nk = p.kh * p.kw;
    let ob = (cm + 4u * NV - 1u) / (4u * NV);
    let total = ((nk + TP - 1u) / TP) * ob;
    let q = flat(gid, nwg);
    let s = q % SPLIT;
    let live = q / SPLIT < total;
    let qq = min(q / SPLIT, total - 1u);
    let o0 = (qq % ob) * 4u * NV;
    let k0 = (qq / ob) * TP;
    var acc = array<array<vec4<f32>, NV>, TP>();
    var ky = array<u32, TP>();
    var kx = array<u32, TP>();
    for (var t = 0u; t < TP; t++) {
        let k = min(k0 + t, nk - 1u);
        ky[t] = k / p.kw;
        kx[t] = k % p.kw;
    }
    // Lane s takes rows r0+s (uniform loop bounds keep the lanes of a
    // SIMD group in step), its row past the end masked.
    let rows = p.n * p.oh;
    for (var r0 = 0u; r0 < rows; r0 += SPLIT) {
        let rr = min(r0 + s, rows - 1u);
        let row_ok = r0 + s < rows;
        let n = rr / p.oh;
        let oy = rr % p.oh;
        for (var ox = 0u; ox < p.ow; ox++) {
            let yb = (rr * p.ow + ox) * cm;
            var d = array<vec4<f32>, NV>();
            for (var v = 0u; v < NV; v++) {
                d[v] = dy_o4(yb, o0 + 4u * v);
            }
            for (var t = 0u; t < TP; t++) {
                let iy = in_pos(oy, p.sy, ky[t], p.pt);
                let ix = in_pos(ox, p.sx, kx[t], p.pl);
                let ok = row_ok && inside(iy, p.h) && inside(ix, p.w);
                let xb = select(0u, ((n * p.h + u32(iy)) * p.w + u32(ix)) * p.c, ok);
                for (var v = 0u; v < NV; v++) {
                    acc[t][v] += select(vec4<f32>(), x_o4(xb, o0 + 4u * v), ok) * d[v];
                }
            }
        }
    }
    if (!live) {
        return;
    }
    let slice = s * nk * cm;
    for (var t = 0u; t < TP; t++) {
        let k = k0 + t;
        if (k >= nk) {
            break;
        }
        for (var v = 0u; v < NV; v++) {
            for (var j = 0u; j < 4u; j++) {
                let o = o0 + 4u * v + j;
                if (o < cm) {
                    dw[slice + k * cm + o] = acc[t][v][j];
                }
            }
        }
    }
}
