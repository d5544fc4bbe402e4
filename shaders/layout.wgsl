// Data movement between NHWC tensors: concatenation and splitting along
// channels, spatial padding and cropping. All four are one gather, "window":
// for every element (n, y, x, c) of a box of size [n][bh][bw][bc],
//
//   dst[n][y + d_oy][x + d_ox][c + d_oc] = src[n][y + s_oy][x + s_ox][c + s_oc]
//
// or p.fill where the source position falls outside src. Concatenation
// copies one part into a channel range of the output (box = the part), a
// split copies a channel range out (box = the part), a pad reads with
// negative offsets and fills the border, a crop reads with positive ones.
// Each invocation writes one element, so no two write the same place.
// Constants from the engine: WG (workgroup size).

struct Params {
    n: u32,
    bh: u32, // box
    bw: u32,
    bc: u32,
    total: u32, // n * bh * bw * bc
    sh: u32, // source tensor
    sw: u32,
    sc: u32,
    dh: u32, // destination tensor
    dw: u32,
    dc: u32,
    s_oy: i32, // offsets of the box in the source
    s_ox: i32,
    s_oc: i32,
    d_oy: u32, // offsets of the box in the destination (always inside)
    d_ox: u32,
    d_oc: u32,
    fill: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn window(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.total) {
        return;
    }
    let c = i % p.bc;
    var t = i / p.bc;
    let x = t % p.bw;
    t = t / p.bw;
    let y = t % p.bh;
    let n = t / p.bh;
    let sy = i32(y) + p.s_oy;
    let sx = i32(x) + p.s_ox;
    let sc = i32(c) + p.s_oc;
    var v = p.fill;
    if (sy >= 0 && sx >= 0 && sc >= 0 && sy < i32(p.sh) && sx < i32(p.sw) && sc < i32(p.sc)) {
        v = src[((n * p.sh + u32(sy)) * p.sw + u32(sx)) * p.sc + u32(sc)];
    }
    dst[((n * p.dh + y + p.d_oy) * p.dw + x + p.d_ox) * p.dc + c + p.d_oc] = v;
}
