package gpu

import (
	"fmt"
	"math"
	"slices"
)

// Launchers for shaders/conv2d.wgsl: Conv2D forward, input, filter and bias
// gradients. Activations are NHWC, filters Keras HWIO ([kh][kw][in][out]).

// ConvOut is the output geometry of a convolution: output height and width
// and the zero padding implied around the input.
type ConvOut struct {
	H, W                     int
	Top, Bottom, Left, Right int
}

// convWindow computes the output geometry of a KH×KW window with strides
// sy, sx over an H×W input, Keras/TF style: "same" gives out =
// ceil(in/stride) with pad_total = max((out-1)*stride + k - in, 0), the odd
// pixel going bottom/right; "valid" gives out = (in-k)/stride + 1 and no
// padding.
func convWindow(op string, n, h, w, c, kh, kw, sy, sx int, same bool) (ConvOut, error) {
	if n < 1 || h < 1 || w < 1 || c < 1 {
		return ConvOut{}, fmt.Errorf("gpu: %s: input %dx%dx%dx%d (NHWC) must have positive dimensions", op, n, h, w, c)
	}
	if kh < 1 || kw < 1 {
		return ConvOut{}, fmt.Errorf("gpu: %s: kernel %dx%d must have positive dimensions", op, kh, kw)
	}
	if sy < 1 || sx < 1 {
		return ConvOut{}, fmt.Errorf("gpu: %s: strides %dx%d must be positive", op, sy, sx)
	}
	if !same && (kh > h || kw > w) {
		return ConvOut{}, fmt.Errorf("gpu: %s: \"valid\" %dx%d kernel does not fit the %dx%d input", op, kh, kw, h, w)
	}
	dim := func(in, k, s int) (out, before, after int) {
		out, before = poolDim(in, k, s, same)
		if same {
			after = max((out-1)*s+k-in, 0) - before
		}
		return out, before, after
	}
	var o ConvOut
	o.H, o.Top, o.Bottom = dim(h, kh, sy)
	o.W, o.Left, o.Right = dim(w, kw, sx)
	return o, nil
}

// convFits fails when a tensor is too large for the kernels' u32 indices.
func convFits(op string, lens ...int) error {
	for _, n := range lens {
		if n >= math.MaxUint32/2 {
			return fmt.Errorf("gpu: %s: tensor of %d floats exceeds the kernels' 2³¹ limit", op, n)
		}
	}
	return nil
}

// strides returns sy, sx with 0 meaning 1 (negative values are left for
// convWindow to reject).
func strides(sy, sx int) (int, int) {
	if sy == 0 {
		sy = 1
	}
	if sx == 0 {
		sx = 1
	}
	return sy, sx
}

// ConvShape describes a Conv2D: a batch of N H×W×C NHWC images, KH×KW
// filters from C to F channels, strides SY, SX (0 means 1) and Keras padding
// ("same" when Same, else "valid").
type ConvShape struct {
	N, H, W, C int
	KH, KW, F  int
	SY, SX     int
	Same       bool
	// Variant forces one of ConvVariants; "" uses the variant this device
	// measured fastest (Device.Pick("conv2d")).
	Variant string
}

// Out validates the shape and returns its output size and padding.
func (s ConvShape) Out() (ConvOut, error) {
	sy, sx := strides(s.SY, s.SX)
	o, err := convWindow("conv2d", s.N, s.H, s.W, s.C, s.KH, s.KW, sy, sx, s.Same)
	if err != nil {
		return o, err
	}
	if s.F < 1 {
		return o, fmt.Errorf("gpu: conv2d: %d output channels, want at least 1", s.F)
	}
	if err := convFits("conv2d", s.XLen(), s.WLen(), s.N*o.H*o.W*s.F); err != nil {
		return o, err
	}
	if s.Variant != "" && !slices.Contains(ConvVariants, s.Variant) {
		return o, fmt.Errorf("gpu: conv2d: unknown variant %q (want one of %v)", s.Variant, ConvVariants)
	}
	return o, nil
}

// XLen, WLen and YLen are the float counts of the input, the filter and the
// output.
func (s ConvShape) XLen() int { return s.N * s.H * s.W * s.C }

// WLen is the float count of the filter, KH·KW·C·F.
func (s ConvShape) WLen() int { return s.KH * s.KW * s.C * s.F }

// YLen is the float count of the output (0 for an invalid shape).
func (s ConvShape) YLen() int {
	o, err := s.Out()
	if err != nil {
		return 0
	}
	return s.N * o.H * o.W * s.F
}

// Variants shared by the convolution families. "direct" (depthwise:
// "simple") computes one output per invocation; "regPxQ" keeps up to P
// pixels (filter gradients: input channels or taps) × Q channels per
// invocation in registers, shrunk per shape where a full tile would waste
// more than a quarter of its work (see convTile.fit).
type convTile struct {
	tp, nv int  // pixels, vec4s of channels
	direct bool // the one-output-per-invocation kernels instead
}

var convTiles = map[string]convTile{
	"reg4x4": {tp: 4, nv: 1}, "reg4x8": {tp: 4, nv: 2}, "reg8x8": {tp: 8, nv: 2}, "reg8x16": {tp: 8, nv: 4},
}

// fit shrinks t for rows of width positions along its TP direction and ch
// channels along its NV direction.
func (t convTile) fit(width, ch int) convTile {
	if t.direct {
		return t
	}
	return convTile{tp: fitBlock(t.tp, width), nv: fitBlock(t.nv, Ceil(ch, 4))}
}

// fitBlock halves a power-of-two block size b until covering n items
// with blocks of b wastes at most a quarter of the covered items.
func fitBlock(b, n int) int {
	for b > 1 {
		covered := Ceil(n, b) * b
		if 4*(covered-n) <= covered {
			break
		}
		b /= 2
	}
	return max(b, 1)
}

// Conv2D variants, in the order the tuner tries them.
const (
	// ConvDirect computes one output value per invocation.
	ConvDirect = "direct"
	// ConvReg4x4 computes 4 pixels × 4 channels per invocation in registers.
	ConvReg4x4 = "reg4x4"
	// ConvReg4x8 computes 4 pixels × 8 channels per invocation in registers.
	ConvReg4x8 = "reg4x8"
	// ConvReg8x8 computes 8 pixels × 8 channels per invocation in registers.
	ConvReg8x8 = "reg8x8"
	// ConvReg8x16 computes 8 pixels × 16 channels per invocation in
	// registers (the fastest on lavapipe).
	ConvReg8x16 = "reg8x16"
)

// ConvVariants lists every Conv2D variant.
var ConvVariants = []string{ConvDirect, ConvReg4x4, ConvReg4x8, ConvReg8x8, ConvReg8x16}

const convWG = 64

// convConsts are the specialisation constants of conv2d.wgsl and
// depthwise.wgsl; zero values mean 1 (tp, nv, split) and convWG (wg).
type convConsts struct {
	tile      convTile
	wg, split int
	vec, vecx bool
}

func (c convConsts) workgroup() int {
	if c.wg == 0 {
		return convWG
	}
	return c.wg
}

// convKernel compiles entry of file specialised by c.
func (d *Device) convKernel(file, entry string, c convConsts, bufs []Binding) (*Kernel, error) {
	u := func(x int) string { return fmt.Sprintf("%du", max(x, 1)) }
	return d.Kernel(KernelSpec{File: file, Entry: entry, Bufs: bufs, Consts: map[string]string{
		"WG": u(c.workgroup()), "TP": u(c.tile.tp), "NV": u(c.tile.nv), "SPLIT": u(c.split),
		"VEC": fmt.Sprint(c.vec), "VECX": fmt.Sprint(c.vecx),
	}})
}

// reduceConsts sizes a filter-gradient kernel (dw_reg) with blocks output
// blocks of an n-float gradient, each a sum over rows output rows: blocks
// are split over up to 64 invocations (each taking every split-th row)
// until there are enough invocations to keep a GPU busy, within 2²² floats
// of partial sums.
func reduceConsts(t convTile, blocks, rows, n int) convConsts {
	split := 1
	for 2*split <= min(64, rows) && blocks*split < 2048 && 2*split*n <= 1<<22 {
		split *= 2
	}
	return convConsts{tile: t, split: split}
}

// filterGrad prepares a filter gradient: reg (when not direct), whose
// kernel writes c.split partial sums into scratch slices that bias_grad
// then adds into dw, or direct.
func (d *Device) filterGrad(op, file, v string, p Params, direct bool, c convConsts, dw *Buffer, directRun, reg convKernelRun) (*Chain, error) {
	return build(func(ch *Chain) error {
		if direct || c.split == 1 {
			return ch.add(d.convLaunch(op, file, v, p, direct, directRun, reg))
		}
		part, err := ch.scratch(d, op+" partial sums", c.split*dw.Len)
		if err != nil {
			return err
		}
		reg.bufs[2] = part // the dw slot
		if err := ch.add(d.convLaunch(op, file, v, p, false, directRun, reg)); err != nil {
			return err
		}
		return ch.add(d.biasGrad(op, c.split, dw.Len, dw, part))
	})
}

// dxBlocks is the number of pixel blocks of an input gradient kernel
// (dx_reg): per image, row residue, column residue and row, the columns of
// that residue in blocks of the tile's TP.
func dxBlocks(n, h, w, sy, sx int, t convTile) int {
	return n * Ceil(h, sy) * sy * sx * Ceil(Ceil(w, sx), t.tp)
}

// pickTile resolves a variant name: "" asks the device for family fam's
// fastest; simple is the family's one-output-per-invocation name.
func (d *Device) pickTile(fam, v, simple string) (string, convTile, error) {
	if v == "" {
		var err error
		if v, err = d.Pick(fam); err != nil {
			return "", convTile{}, fmt.Errorf("gpu: %s: %w", fam, err)
		}
	}
	if v == simple {
		return v, convTile{tp: 1, nv: 1, direct: true}, nil
	}
	t, ok := convTiles[v]
	if !ok {
		return "", convTile{}, fmt.Errorf("gpu: %s: unknown variant %q", fam, v)
	}
	return v, t, nil
}

// vecView returns the buffer to bind as a vec4 view: b itself, or when the
// kernel will not read the view (vec false) any buffer of at least one vec4
// (WebGPU's minimum binding size for array<vec4<f32>>). nil when there is
// none, in which case the caller uses its direct kernel.
func vecView(vec bool, b *Buffer, others ...*Buffer) *Buffer {
	if vec || b.Len >= 4 {
		return b
	}
	for _, o := range others {
		if o != nil && o.Len >= 4 {
			return o
		}
	}
	return nil
}

// checkBufs checks that each named buffer is non-nil and holds exactly want
// floats, and that out is none of the inputs.
func checkConvBufs(op string, out convBuf, ins ...convBuf) error {
	for _, b := range append([]convBuf{out}, ins...) {
		if b.b == nil {
			if b.optional {
				continue
			}
			return fmt.Errorf("gpu: %s: %s buffer is nil", op, b.name)
		}
		if b.b.Len != b.want {
			return fmt.Errorf("gpu: %s: %s has %d values, want %s = %d", op, b.name, b.b.Len, b.dims, b.want)
		}
	}
	for _, b := range ins {
		if b.b != nil && b.b == out.b {
			return fmt.Errorf("gpu: %s: %s and %s are the same buffer", op, out.name, b.name)
		}
	}
	return nil
}

type convBuf struct {
	name     string
	b        *Buffer
	want     int
	dims     string
	optional bool
}

func convDims(xs ...int) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += "*"
		}
		s += fmt.Sprint(x)
	}
	return s
}

// params encodes the uniform block shared by conv2d.wgsl's entries.
func (s ConvShape) params(o ConvOut, hasBias bool) Params {
	sy, sx := strides(s.SY, s.SX)
	return Params{U(s.N), U(s.H), U(s.W), U(s.C), U(o.H), U(o.W), U(s.F), U(s.KH), U(s.KW),
		U(sy), U(sx), U(o.Top), U(o.Left), b2u(hasBias), 0}
}

func (s ConvShape) bufs(o ConvOut) (x, w, y convBuf) {
	return convBuf{"input", nil, s.XLen(), convDims(s.N, s.H, s.W, s.C), false},
		convBuf{"filter", nil, s.WLen(), convDims(s.KH, s.KW, s.C, s.F), false},
		convBuf{"output", nil, s.N * o.H * o.W * s.F, convDims(s.N, o.H, o.W, s.F), false}
}

func (nb convBuf) of(b *Buffer) convBuf { nb.b = b; return nb }

// Conv2D prepares y = conv(x, w) + bias. bias (F floats) may be nil.
//
// A 1×1 convolution with stride 1 is a matrix product over the N·H·W
// pixels: Y = X·W (+bias), dX = dY·Wᵀ, dW = Xᵀ·dY, with X [NHW×C], W [C×F];
// callers may route such layers to Device.GEMM. The kernels here handle
// them too.
func (d *Device) Conv2D(s ConvShape, y, x, w, bias *Buffer) (*Dispatch, error) {
	o, err := s.Out()
	if err != nil {
		return nil, err
	}
	nx, nw, ny := s.bufs(o)
	if err := checkConvBufs("conv2d", ny.of(y), nx.of(x), nw.of(w), convBuf{"bias", bias, s.F, convDims(s.F), true}); err != nil {
		return nil, err
	}
	v, t, err := d.pickTile("conv2d", s.Variant, ConvDirect)
	if err != nil {
		return nil, err
	}
	b := bias
	if b == nil {
		b = w // never read: has_bias is 0
	}
	c := convConsts{tile: t.fit(o.W, s.F), vec: s.F%4 == 0, vecx: s.C%4 == 0}
	w4, x4 := vecView(c.vec, w, x, y), vecView(c.vecx, x, w, y)
	p := s.params(o, bias != nil)
	g := Groups1D(s.N*o.H*Ceil(o.W, c.tile.tp)*Ceil(s.F, 4*c.tile.nv), convWG)
	return d.convLaunch("conv2d", "conv2d.wgsl", v, p, t.direct,
		convKernelRun{"fwd_direct", convConsts{}, Bindings(Read, Read, Read, ReadWrite), Groups1D(y.Len, convWG), []*Buffer{x, w, b, y}},
		convKernelRun{"fwd_reg", c, []Binding{{1, Read}, {2, Read}, {3, Read}, {4, ReadWrite}, {9, Read}, {11, Read}}, g, []*Buffer{x, w, b, y, w4, x4}})
}

// Conv2DInputGrad prepares dx = ∂L/∂x from dy = ∂L/∂y and the filter w. dx
// is overwritten.
func (d *Device) Conv2DInputGrad(s ConvShape, dx, dy, w *Buffer) (*Dispatch, error) {
	o, err := s.Out()
	if err != nil {
		return nil, err
	}
	nx, nw, ny := s.bufs(o)
	nx.name, ny.name = "input gradient", "output gradient"
	if err := checkConvBufs("conv2d input gradient", nx.of(dx), ny.of(dy), nw.of(w)); err != nil {
		return nil, err
	}
	v, t, err := d.pickTile("conv2d", s.Variant, ConvDirect)
	if err != nil {
		return nil, err
	}
	sy, sx := strides(s.SY, s.SX)
	c := convConsts{tile: t.fit(Ceil(s.W, sx), s.C), vec: s.F%4 == 0}
	w4, dy4 := vecView(c.vec, w, dy, dx), vecView(c.vec, dy, w, dx)
	p := s.params(o, false)
	g := Groups1D(dxBlocks(s.N, s.H, s.W, sy, sx, c.tile)*Ceil(s.C, 4*c.tile.nv), convWG)
	return d.convLaunch("conv2d input gradient", "conv2d.wgsl", v, p, t.direct,
		convKernelRun{"dx_direct", convConsts{}, []Binding{{5, Read}, {2, Read}, {6, ReadWrite}}, Groups1D(dx.Len, convWG), []*Buffer{dy, w, dx}},
		convKernelRun{"dx_reg", c, []Binding{{5, Read}, {2, Read}, {6, ReadWrite}, {9, Read}, {10, Read}}, g, []*Buffer{dy, w, dx, w4, dy4}})
}

// Conv2DFilterGrad prepares dw = ∂L/∂w from the input x and dy = ∂L/∂y,
// summed over the batch. dw is overwritten. The register-tiled variants
// may add up partial sums from a scratch buffer the chain owns.
func (d *Device) Conv2DFilterGrad(s ConvShape, dw, x, dy *Buffer) (*Chain, error) {
	o, err := s.Out()
	if err != nil {
		return nil, err
	}
	nx, nw, ny := s.bufs(o)
	nw.name, ny.name = "filter gradient", "output gradient"
	if err := checkConvBufs("conv2d filter gradient", nw.of(dw), nx.of(x), ny.of(dy)); err != nil {
		return nil, err
	}
	v, t, err := d.pickTile("conv2d", s.Variant, ConvDirect)
	if err != nil {
		return nil, err
	}
	t = t.fit(s.C, s.F) // TP runs over input channels here
	blocks := s.KH * s.KW * Ceil(s.C, t.tp) * Ceil(s.F, 4*t.nv)
	c := reduceConsts(t, blocks, s.N*o.H, dw.Len)
	c.vec, c.vecx = s.F%4 == 0, s.C%4 == 0
	dy4, x4 := vecView(c.vec, dy, x, dw), vecView(c.vecx, x, dy, dw)
	return d.filterGrad("conv2d filter gradient", "conv2d.wgsl", v, s.params(o, false), t.direct || dy4 == nil || x4 == nil, c, dw,
		convKernelRun{"dw_direct", convConsts{}, []Binding{{1, Read}, {5, Read}, {7, ReadWrite}}, Groups1D(dw.Len, convWG), []*Buffer{x, dy, dw}},
		convKernelRun{"dw_reg", c, []Binding{{1, Read}, {5, Read}, {7, ReadWrite}, {10, Read}, {11, Read}}, Groups1D(blocks*c.split, convWG), []*Buffer{x, dy, dw, dy4, x4}})
}

// Conv2DBiasGrad prepares db = ∂L/∂bias, the sum of dy over the batch's
// output pixels per channel. db is overwritten.
func (d *Device) Conv2DBiasGrad(s ConvShape, db, dy *Buffer) (*Dispatch, error) {
	o, err := s.Out()
	if err != nil {
		return nil, err
	}
	return d.biasGrad("conv2d bias gradient", s.N*o.H*o.W, s.F, db, dy)
}

// biasGrad prepares db[c] = Σ over pix pixels of dy[pixel][c], for ch
// channels (conv2d.wgsl's bias_grad, shared with the depthwise family).
func (d *Device) biasGrad(op string, pix, ch int, db, dy *Buffer) (*Dispatch, error) {
	if err := checkConvBufs(op, convBuf{"bias gradient", db, ch, convDims(ch), false},
		convBuf{"output gradient", dy, pix * ch, fmt.Sprintf("%d pixels * %d", pix, ch), false}); err != nil {
		return nil, err
	}
	p := make(Params, 15)
	p[6], p[14] = U(ch), U(pix)
	r := convKernelRun{"bias_grad", convConsts{}, []Binding{{5, Read}, {8, ReadWrite}}, Groups1D(ch, convWG), []*Buffer{dy, db}}
	return d.convLaunch(op, "conv2d.wgsl", "", p, true, r, r)
}

// convKernelRun is one way to compute an op: an entry point of file with
// its constants, bindings, grid and buffers.
type convKernelRun struct {
	entry  string
	c      convConsts
	binds  []Binding
	groups [3]uint32
	bufs   []*Buffer
}

// convLaunch prepares reg, or direct when the variant is direct or one of
// reg's buffers (a vec4 view that vecView could not bind) is nil.
func (d *Device) convLaunch(op, file, v string, p Params, isDirect bool, direct, reg convKernelRun) (*Dispatch, error) {
	r := reg
	if isDirect || slices.Contains(reg.bufs, nil) {
		r = direct
	}
	k, err := d.convKernel(file, r.entry, r.c, r.binds)
	if err != nil {
		return nil, err
	}
	x, err := d.Dispatch(k, p, r.groups, r.bufs...)
	if err != nil {
		return nil, fmt.Errorf("gpu: %s (%s): %w", op, v, err)
	}
	return x, nil
}

func init() {
	RegisterTuner(Tuner{Family: "conv2d", Variants: ConvVariants, Trial: convTrial})
}

// convTrial times forward and input gradient (what activation maximisation
// runs) on two small MobileNet-like layers: a 3×3 convolution and a
// pointwise one.
func convTrial(d *Device, v string) (Op, func(), error) {
	c, err := build(func(c *Chain) error {
		for _, s := range []ConvShape{
			{N: 1, H: 14, W: 14, C: 32, KH: 3, KW: 3, F: 32, Same: true, Variant: v},
			{N: 1, H: 14, W: 14, C: 64, KH: 1, KW: 1, F: 64, Same: true, Variant: v},
		} {
			b, err := trialBufs(c, d, s.XLen(), s.WLen(), s.YLen(), s.XLen())
			if err != nil {
				return err
			}
			if err := c.add(d.Conv2D(s, b[2], b[0], b[1], nil)); err != nil {
				return err
			}
			if err := c.add(d.Conv2DInputGrad(s, b[3], b[2], b[1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return c, c.Release, nil
}

// trialBufs allocates zeroed scratch buffers of the given lengths in c.
func trialBufs(c *Chain, d *Device, lens ...int) ([]*Buffer, error) {
	bufs := make([]*Buffer, len(lens))
	for i, n := range lens {
		b, err := c.scratch(d, "tune", n)
		if err != nil {
			return nil, err
		}
		bufs[i] = b
	}
	return bufs, nil
}
