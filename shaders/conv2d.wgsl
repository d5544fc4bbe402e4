// Conv2D on NHWC activations with Keras HWIO filters w[ky][kx][c][f]:
//   y[n][oy][ox][f] = b[f] + Σ x[n][oy·sy+ky−pt][ox·sx+kx−pl][c] · w[ky][kx][c][f]
// with taps outside the input reading zero ("same"/"valid" padding is only
// a choice of output size and pt, pl, made by the launcher). Its gradients:
//   dx (input gradient)  written as a gather over the taps that read each
//                        input pixel, so no atomics are needed;
//   dw (filter gradient) a reduction over every output pixel of the batch;
//   db (bias gradient)   the sum of dy over pixels, per channel (bias_grad,
//                        also used for depthwise convolutions, and to add up
//                        the partial filter gradients of dw_reg).
//
// Two variants of each of y, dx and dw:
//   *_direct  one output value per invocation;
//   *_reg     each invocation keeps a block of outputs in registers (TP
//             pixels × 4·NV channels), so every value it loads feeds several
//             multiply-adds. No workgroup memory and no barriers: on CPU
//             adapters (lavapipe, SwiftShader) barriers are expensive.
// CPU adapters run a workgroup as SIMD lanes and load storage buffers one
// lane at a time, several components per lane visit: the _reg variants are
// built to need few loads, and vec4 ones, per multiply-add.
//
// Constants from the engine:
//   WG   workgroup size (1-D)
//   TP   pixels per invocation in the _reg variants
//   NV   vec4s of channels per invocation in the _reg variants
//   VEC  bool: F (output channels) is a multiple of 4, so rows of w and
//        pixels of dy can be read as aligned vec4 through the w4/dy4 views
//   VECX bool: C (input channels) is a multiple of 4: pixels of x can be
//        read as aligned vec4 through the x4 view
//   SPLIT invocations sharing one output block of dw_reg

struct Params {
    n: u32,
    h: u32,
    w: u32,
    c: u32, // input channels
    oh: u32,
    ow: u32,
    f: u32, // output channels
    kh: u32,
    kw: u32,
    sy: u32,
    sx: u32,
    pt: u32, // padding above and left of the input
    pl: u32,
    has_bias: u32,
    pix: u32, // bias_grad: pixels to sum over
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
@group(0) @binding(8) var<storage, read_write> db: array<f32>;
// vec4 views of w and dy (the same buffers bound again), read when VEC.
@group(0) @binding(9) var<storage, read> w4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(11) var<storage, read> x4: array<vec4<f32>>;

//!include lib/dispatch.wgsl
//!include lib/window.wgsl

fn bias_at(f: u32) -> f32 {
    if (p.has_bias != 0u) {
        return bias[f];
    }
    return 0.0;
}

// w[i..i+3], for i inside one (ky, kx, c) row of F floats with i+3 in it too.
fn w_row4(i: u32) -> vec4<f32> {
    if (VEC) {
        return w4[i >> 2u];
    }
    return vec4<f32>(w[i], w[i + 1u], w[i + 2u], w[i + 3u]);
}

// Filters f..f+3 of the F-float row starting at base (a row of w or a pixel
// of dy). Entries past F are clamped to in-row values, which feed only
// outputs that are never stored.
fn w_f4(base: u32, f: u32) -> vec4<f32> {
    if (VEC) {
        return w4[(base + min(f, p.f - 4u)) >> 2u];
    }
    let l = p.f - 1u;
    return vec4<f32>(w[base + min(f, l)], w[base + min(f + 1u, l)], w[base + min(f + 2u, l)], w[base + min(f + 3u, l)]);
}

fn dy_f4(base: u32, f: u32) -> vec4<f32> {
    if (VEC) {
        return dy4[(base + min(f, p.f - 4u)) >> 2u];
    }
    let l = p.f - 1u;
    return vec4<f32>(dy[base + min(f, l)], dy[base + min(f + 1u, l)], dy[base + min(f + 2u, l)], dy[base + min(f + 3u, l)]);
}

// Input channels c..c+3 of the pixel whose C floats start at base, clamped
// like w_f4.
fn x_c4(base: u32, c: u32) -> vec4<f32> {
    if (VECX) {
        return x4[(base + min(c, p.c - 4u)) >> 2u];
    }
    let l = p.c - 1u;
    return vec4<f32>(x[base + min(c, l)], x[base + min(c + 1u, l)], x[base + min(c + 2u, l)], x[base + min(c + 3u, l)]);
}

// dy[i..i+3], for i inside one pixel's F floats with i+3 in it too.
fn dy_row4(i: u32) -> vec4<f32> {
    if (VEC) {
        return dy4[i >> 2u];
    }
    return vec4<f32>(dy[i], dy[i + 1u], dy[i + 2u], dy[i + 3u]);
}

// ---------------------------------------------------------------- forward

@compute @workgroup_size(WG)
fn fwd_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.n * p.oh * p.ow * p.f) {
        return;
    }
    let f = i % p.f;
    let pix = i / p.f;
    let ox = pix % p.ow;
    let oy = (pix / p.ow) % p.oh;
    let n = pix / (p.ow * p.oh);
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
            let xb = ((n * p.h + u32(iy)) * p.w + u32(ix)) * p.c;
            let wb = (ky * p.kw + kx) * p.c * p.f + f;
            for (var c = 0u; c < p.c; c++) {
                acc += x[xb + c] * w[wb + c * p.f];
            }
        }
    }
    y[i] = acc + bias_at(f);
}

// Each invocation: TP consecutive output pixels of one row × 4·NV filters;
// the invocation index runs over pixel blocks, then filter blocks.
// Invocations past the end compute on clamped indices and store nothing, so
// that control flow stays uniform.
@compute @workgroup_size(WG)
fn fwd_reg(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let owb = (p.ow + TP - 1u) / TP;
    let npb = p.n * p.oh * owb;
    let total = npb * ((p.f + 4u * NV - 1u) / (4u * NV));
    let q = flat(gid, nwg);
    let live = q < total;
    let qq = min(q, total - 1u);
    let pb = qq % npb;
    let f0 = (qq / npb) * 4u * NV;
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
            var xb = array<u32, TP>();
            var ok = array<bool, TP>();
            for (var t = 0u; t < TP; t++) {
                let ix = in_pos(ox0 + t, p.sx, kx, p.pl);
                ok[t] = row_ok && inside(ix, p.w);
                xb[t] = select(0u, (row + u32(ix)) * p.c, ok[t]);
            }
            let wb = (ky * p.kw + kx) * p.c * p.f;
            var c = 0u;
            if (VECX) {
                // Four input channels at a time: one vec4 of x per pixel,
                // a 4×4 block of w per vec4 of filters.
                for (; c < p.c; c += 4u) {
                    var m = array<mat4x4<f32>, NV>();
                    for (var v = 0u; v < NV; v++) {
                        let f = f0 + 4u * v;
                        let r = wb + c * p.f;
                        m[v] = mat4x4<f32>(w_f4(r, f), w_f4(r + p.f, f), w_f4(r + 2u * p.f, f), w_f4(r + 3u * p.f, f));
                    }
                    for (var t = 0u; t < TP; t++) {
                        let xv = select(vec4<f32>(), x_c4(xb[t], c), ok[t]);
                        for (var v = 0u; v < NV; v++) {
                            acc[t][v] += m[v] * xv;
                        }
                    }
                }
            }
            for (; c < p.c; c++) {
                var wv = array<vec4<f32>, NV>();
                for (var v = 0u; v < NV; v++) {
                    wv[v] = w_f4(wb + c * p.f, f0 + 4u * v);
                }
                for (var t = 0u; t < TP; t++) {
                    let xv = select(0.0, x[xb[t] + c], ok[t]);
                    for (var v = 0u; v < NV; v++) {
                        acc[t][v] += xv * wv[v];
                    }
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
        let yb = ((n * p.oh + oy) * p.ow + ox) * p.f;
        for (var v = 0u; v < NV; v++) {
            for (var j = 0u; j < 4u; j++) {
                let f = f0 + 4u * v + j;
                if (f < p.f) {
                    y[yb + f] = acc[t][v][j] + bias_at(f);
                }
            }
        }
    }
}

// ---------------------------------------------------------- input gradient

@compute @workgroup_size(WG)
fn dx_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
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
            let yb = ((n * p.oh + u32(oy)) * p.ow + u32(ox)) * p.f;
            let wb = ((ky * p.kw + kx) * p.c + c) * p.f;
            for (var f = 0u; f < p.f; f++) {
                acc += dy[yb + f] * w[wb + f];
            }
        }
    }
    dx[i] = acc;
}

// Each invocation: TP input pixels of one row, sx apart (so that they are
// read by the same taps, from consecutive output pixels) × 4·NV channels.
// Columns are grouped by residue r = ix mod sx; ix = r + sx·(j0 + t). Only
// the taps that reach this row and residue are visited: ky ≡ iy+pt and
// kx ≡ r+pl (mod stride).
@compute @workgroup_size(WG)
fn dx_reg(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let wj = (p.w + p.sx - 1u) / p.sx; // columns per residue, at most
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
            // Output column read by pixel t = 0 (negative: in the padding).
            let ox0 = exact_div(i32(r + p.pl) - i32(kx), p.sx) + i32(j0);
            var yb = array<u32, TP>();
            var ok = array<bool, TP>();
            for (var t = 0u; t < TP; t++) {
                let ox = ox0 + i32(t);
                ok[t] = row_ok && inside(ox, p.ow);
                yb[t] = select(0u, (row + u32(ox)) * p.f, ok[t]);
            }
            let wb = (ky * p.kw + kx) * p.c;
            // Rows w[ky][kx][c][·] of this invocation's channels (clamped).
            var wr = array<u32, 4 * NV>();
            for (var u = 0u; u < 4u * NV; u++) {
                wr[u] = (wb + min(c0 + u, p.c - 1u)) * p.f;
            }
            let f4 = p.f / 4u;
            for (var g = 0u; g < f4; g++) {
                var m = array<mat4x4<f32>, NV>();
                for (var v = 0u; v < NV; v++) {
                    m[v] = mat4x4<f32>(w_row4(wr[4u * v] + 4u * g), w_row4(wr[4u * v + 1u] + 4u * g),
                                       w_row4(wr[4u * v + 2u] + 4u * g), w_row4(wr[4u * v + 3u] + 4u * g));
                }
                for (var t = 0u; t < TP; t++) {
                    let d = select(vec4<f32>(), dy_row4(yb[t] + 4u * g), ok[t]);
                    for (var v = 0u; v < NV; v++) {
                        acc[t][v] += d * m[v];
                    }
                }
            }
            for (var f = 4u * f4; f < p.f; f++) {
                for (var t = 0u; t < TP; t++) {
                    let d = select(0.0, dy[yb[t] + f], ok[t]);
                    for (var v = 0u; v < NV; v++) {
                        acc[t][v] += d * vec4<f32>(w[wr[4u * v] + f], w[wr[4u * v + 1u] + f], w[wr[4u * v + 2u] + f], w[wr[4u * v + 3u] + f]);
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

// --------------------------------------------------------- filter gradient

@compute @workgroup_size(WG)
fn dw_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i >= p.kh * p.kw * p.c * p.f) {
        return;
    }
    let f = i % p.f;
    let c = (i / p.f) % p.c;
    let k = i / (p.f * p.c);
    let ky = k / p.kw;
    let kx = k % p.kw;
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
                acc += x[((n * p.h + u32(iy)) * p.w + u32(ix)) * p.c + c] * dy[((n * p.oh + oy) * p.ow + ox) * p.f + f];
            }
        }
    }
    dw[i] = acc;
}

// Each output block — one tap (ky, kx) × TP input channels × 4·NV filters —
// is summed over every output pixel by SPLIT consecutive invocations, each
// taking every SPLIT-th output row. Invocation s writes its partial sums to
// slice s of dw, which then holds SPLIT filter-sized slices that the
// launcher adds up with bias_grad (SPLIT = 1 writes the gradient itself).
// No workgroup memory: a barrier would make lavapipe compile this kernel
// for tens of seconds. The block index runs over (tap, channel block), then
// filter blocks.
@compute @workgroup_size(WG)
fn dw_reg(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let cb = (p.c + TP - 1u) / TP;
    let nkc = p.kh * p.kw * cb;
    let total = nkc * ((p.f + 4u * NV - 1u) / (4u * NV));
    let q = flat(gid, nwg);
    let s = q % SPLIT;
    let live = q / SPLIT < total;
    let qq = min(q / SPLIT, total - 1u);
    let kc = qq % nkc;
    let f0 = (qq / nkc) * 4u * NV;
    let c0 = (kc % cb) * TP;
    let k = kc / cb;
    let ky = k / p.kw;
    let kx = k % p.kw;
    var acc = array<array<vec4<f32>, NV>, TP>();
    // Lane s takes rows r0+s (uniform loop bounds keep the lanes of a
    // SIMD group in step), its row past the end masked.
    let rows = p.n * p.oh;
    for (var r0 = 0u; r0 < rows; r0 += SPLIT) {
        let rr = min(r0 + s, rows - 1u);
        let n = rr / p.oh;
        let oy = rr % p.oh;
        let iy = in_pos(oy, p.sy, ky, p.pt);
        let row_ok = r0 + s < rows && inside(iy, p.h);
        let row = (n * p.h + u32(max(iy, 0))) * p.w;
        for (var ox = 0u; ox < p.ow; ox++) {
            let ix = in_pos(ox, p.sx, kx, p.pl);
            let ok = row_ok && inside(ix, p.w);
            let xb = select(0u, (row + u32(ix)) * p.c, ok);
            let yb = (rr * p.ow + ox) * p.f;
            var d = array<vec4<f32>, NV>();
            for (var v = 0u; v < NV; v++) {
                d[v] = dy_f4(yb, f0 + 4u * v);
            }
            // TP channels, four at a time when TP keeps c0 aligned
            // (clamped reads past C feed rows that are never stored).
            if (TP % 4u == 0u) {
                for (var t = 0u; t < TP; t += 4u) {
                    let xv = select(vec4<f32>(), x_c4(xb, c0 + t), ok);
                    for (var u = 0u; u < 4u; u++) {
                        for (var v = 0u; v < NV; v++) {
                            acc[t + u][v] += xv[u] * d[v];
                        }
                    }
                }
            } else {
                for (var t = 0u; t < TP; t++) {
                    let xv = select(0.0, x[xb + min(c0 + t, p.c - 1u)], ok);
                    for (var v = 0u; v < NV; v++) {
                        acc[t][v] += xv * d[v];
                    }
                }
            }
        }
    }
    if (!live) {
        return;
    }
    let slice = s * p.kh * p.kw * p.c * p.f;
    for (var t = 0u; t < TP; t++) {
        let c = c0 + t;
        if (c >= p.c) {
            break;
        }
        let wb = slice + (k * p.c + c) * p.f;
        for (var v = 0u; v < NV; v++) {
            for (var j = 0u; j < 4u; j++) {
                let f = f0 + 4u * v + j;
                if (f < p.f) {
                    dw[wb + f] = acc[t][v][j];
                }
            }
        }
    }
}

// ----------------------------------------------------------- bias gradient

// db[f] = Σ over p.pix pixels of dy[pixel][f], for p.f channels.
@compute @workgroup_size(WG)
fn bias_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let f = flat(gid, nwg);
    if (f >= p.f) {
        return;
    }
    var acc = 0.0;
    for (var i = 0u; i < p.pix; i++) {
        acc += dy[i * p.f + f];
    }
    db[f] = acc;
}
