package gpu

import (
	"fmt"
	"slices"
)

// Launchers for shaders/depthwise.wgsl: DepthwiseConv2D forward, input,
// filter and bias gradients. Activations are NHWC, filters Keras's
// [kh][kw][c][mult], output channel c*mult + m.

// DepthwiseShape describes a DepthwiseConv2D: a batch of N H×W×C NHWC
// images, KH×KW filters with depth multiplier Mult (0 means 1), strides SY,
// SX (0 means 1) and Keras padding ("same" when Same, else "valid"). The
// output has C·Mult channels.
type DepthwiseShape struct {
	N, H, W, C int
	KH, KW     int
	Mult       int
	SY, SX     int
	Same       bool
	// Variant forces one of DepthwiseVariants; "" uses the variant this
	// device measured fastest (Device.Pick("depthwise")).
	Variant string
}

// Depthwise variants, in the order the tuner tries them. Their filter
// gradient kernels hold taps (not pixels) × channels.
const (
	// DepthwiseSimple computes one output value per invocation.
	DepthwiseSimple = "simple"
	// DepthwiseReg4x4 computes 4 pixels × 4 channels per invocation in
	// registers.
	DepthwiseReg4x4 = "reg4x4"
	// DepthwiseReg4x8 computes 4 pixels × 8 channels per invocation.
	DepthwiseReg4x8 = "reg4x8"
	// DepthwiseReg8x8 computes 8 pixels × 8 channels per invocation.
	DepthwiseReg8x8 = "reg8x8"
)

// DepthwiseVariants lists every depthwise variant.
var DepthwiseVariants = []string{DepthwiseSimple, DepthwiseReg4x4, DepthwiseReg4x8, DepthwiseReg8x8}

// mult returns the depth multiplier with 0 meaning 1.
func (s DepthwiseShape) mult() int {
	if s.Mult == 0 {
		return 1
	}
	return s.Mult
}

// Out validates the shape and returns its output size and padding.
func (s DepthwiseShape) Out() (ConvOut, error) {
	sy, sx := strides(s.SY, s.SX)
	o, err := convWindow("depthwise", s.N, s.H, s.W, s.C, s.KH, s.KW, sy, sx, s.Same)
	if err != nil {
		return o, err
	}
	if s.Mult < 0 {
		return o, fmt.Errorf("gpu: depthwise: depth multiplier %d, want at least 1", s.Mult)
	}
	if err := convFits("depthwise", s.XLen(), s.WLen(), s.N*o.H*o.W*s.C*s.mult()); err != nil {
		return o, err
	}
	if s.Variant != "" && !slices.Contains(DepthwiseVariants, s.Variant) {
		return o, fmt.Errorf("gpu: depthwise: unknown variant %q (want one of %v)", s.Variant, DepthwiseVariants)
	}
	return o, nil
}

// XLen is the float count of the input, N·H·W·C.
func (s DepthwiseShape) XLen() int { return s.N * s.H * s.W * s.C }

// WLen is the float count of the filter, KH·KW·C·Mult.
func (s DepthwiseShape) WLen() int { return s.KH * s.KW * s.C * s.mult() }

// YLen is the float count of the output (0 for an invalid shape).
func (s DepthwiseShape) YLen() int {
	o, err := s.Out()
	if err != nil {
		return 0
	}
	return s.N * o.H * o.W * s.C * s.mult()
}

func (s DepthwiseShape) params(o ConvOut, hasBias bool) Params {
	sy, sx := strides(s.SY, s.SX)
	return Params{U(s.N), U(s.H), U(s.W), U(s.C), U(o.H), U(o.W), U(s.mult()), U(s.KH), U(s.KW),
		U(sy), U(sx), U(o.Top), U(o.Left), b2u(hasBias)}
}

func (s DepthwiseShape) bufs(o ConvOut) (x, w, y convBuf) {
	m := s.mult()
	return convBuf{"input", nil, s.XLen(), convDims(s.N, s.H, s.W, s.C), false},
		convBuf{"filter", nil, s.WLen(), convDims(s.KH, s.KW, s.C, m), false},
		convBuf{"output", nil, s.N * o.H * o.W * s.C * m, convDims(s.N, o.H, o.W, s.C*m), false}
}

// vec reports whether the kernels may read channel runs as vec4.
func (s DepthwiseShape) vec() bool { return s.mult() == 1 && s.C%4 == 0 }

// Depthwise prepares y = depthwise(x, w) + bias. bias (C·Mult floats) may
// be nil.
func (d *Device) Depthwise(s DepthwiseShape, y, x, w, bias *Buffer) (*Dispatch, error) {
	o, err := s.Out()
	if err != nil {
		return nil, err
	}
	nx, nw, ny := s.bufs(o)
	cm := s.C * s.mult()
	if err := checkConvBufs("depthwise", ny.of(y), nx.of(x), nw.of(w), convBuf{"bias", bias, cm, convDims(cm), true}); err != nil {
		return nil, err
	}
	v, t, err := d.pickTile("depthwise", s.Variant, DepthwiseSimple)
	if err != nil {
		return nil, err
	}
	b := bias
	if b == nil {
		b = w // never read: has_bias is 0
	}
	c := convConsts{tile: t.fit(o.W, cm), vec: s.vec()}
	x4, w4 := vecView(c.vec, x, w, y), vecView(c.vec, w, x, y)
	p := s.params(o, bias != nil)
	g := Groups1D(s.N*o.H*Ceil(o.W, c.tile.tp)*Ceil(cm, 4*c.tile.nv), convWG)
	return d.convLaunch("depthwise", "depthwise.wgsl", v, p, t.direct,
		convKernelRun{"fwd_simple", convConsts{}, Bindings(Read, Read, Read, ReadWrite), Groups1D(y.Len, convWG), []*Buffer{x, w, b, y}},
		convKernelRun{"fwd_reg", c, []Binding{{1, Read}, {2, Read}, {3, Read}, {4, ReadWrite}, {8, Read}, {9, Read}}, g, []*Buffer{x, w, b, y, x4, w4}})
}

// DepthwiseInputGrad prepares dx = ∂L/∂x from dy = ∂L/∂y and the filter w.
// dx is overwritten.
func (d *Device) DepthwiseInputGrad(s DepthwiseShape, dx, dy, w *Buffer) (*Dispatch, error) {
	o, err := s.Out()
	if err != nil {
		return nil, err
	}
	nx, nw, ny := s.bufs(o)
	nx.name, ny.name = "input gradient", "output gradient"
	if err := checkConvBufs("depthwise input gradient", nx.of(dx), ny.of(dy), nw.of(w)); err != nil {
		return nil, err
	}
	v, t, err := d.pickTile("depthwise", s.Variant, DepthwiseSimple)
	if err != nil {
		return nil, err
	}
	sy, sx := strides(s.SY, s.SX)
	c := convConsts{tile: t.fit(Ceil(s.W, sx), s.C), vec: s.vec()}
	w4, dy4 := vecView(c.vec, w, dy, dx), vecView(c.vec, dy, w, dx)
	p := s.params(o, false)
	g := Groups1D(dxBlocks(s.N, s.H, s.W, sy, sx, c.tile)*Ceil(s.C, 4*c.tile.nv), convWG)
	return d.convLaunch("depthwise input gradient", "depthwise.wgsl", v, p, t.direct,
		convKernelRun{"dx_simple", convConsts{}, []Binding{{5, Read}, {2, Read}, {6, ReadWrite}}, Groups1D(dx.Len, convWG), []*Buffer{dy, w, dx}},
		convKernelRun{"dx_reg", c, []Binding{{5, Read}, {2, Read}, {6, ReadWrite}, {9, Read}, {10, Read}}, g, []*Buffer{dy, w, dx, w4, dy4}})
}

// DepthwiseFilterGrad prepares dw = ∂L/∂w from the input x and dy = ∂L/∂y,
// summed over the batch. dw is overwritten. The register-tiled variants
// may add up partial sums from a scratch buffer the chain owns.
func (d *Device) DepthwiseFilterGrad(s DepthwiseShape, dw, x, dy *Buffer) (*Chain, error) {
	o, err := s.Out()
	if err != nil {
		return nil, err
	}
	nx, nw, ny := s.bufs(o)
	nw.name, ny.name = "filter gradient", "output gradient"
	if err := checkConvBufs("depthwise filter gradient", nw.of(dw), nx.of(x), ny.of(dy)); err != nil {
		return nil, err
	}
	v, t, err := d.pickTile("depthwise", s.Variant, DepthwiseSimple)
	if err != nil {
		return nil, err
	}
	cm := s.C * s.mult()
	t = t.fit(s.KH*s.KW, cm) // TP runs over taps here
	blocks := Ceil(s.KH*s.KW, t.tp) * Ceil(cm, 4*t.nv)
	c := reduceConsts(t, blocks, s.N*o.H, dw.Len)
	c.vec = s.vec()
	x4, dy4 := vecView(c.vec, x, dy, dw), vecView(c.vec, dy, x, dw)
	return d.filterGrad("depthwise filter gradient", "depthwise.wgsl", v, s.params(o, false), t.direct || x4 == nil || dy4 == nil, c, dw,
		convKernelRun{"dw_simple", convConsts{}, []Binding{{1, Read}, {5, Read}, {7, ReadWrite}}, Groups1D(dw.Len, convWG), []*Buffer{x, dy, dw}},
		convKernelRun{"dw_reg", c, []Binding{{1, Read}, {5, Read}, {7, ReadWrite}, {8, Read}, {10, Read}}, Groups1D(blocks*c.split, convWG), []*Buffer{x, dy, dw, x4, dy4}})
}

// DepthwiseBiasGrad prepares db = ∂L/∂bias, the sum of dy over the batch's
// output pixels per output channel. db is overwritten.
func (d *Device) DepthwiseBiasGrad(s DepthwiseShape, db, dy *Buffer) (*Dispatch, error) {
	o, err := s.Out()
	if err != nil {
		return nil, err
	}
	return d.biasGrad("depthwise bias gradient", s.N*o.H*o.W, s.C*s.mult(), db, dy)
}

func init() {
	RegisterTuner(Tuner{Family: "depthwise", Variants: DepthwiseVariants, Trial: depthwiseTrial})
}

// depthwiseTrial times forward and input gradient of MobileNet-like 3×3
// depthwise layers, stride 1 and 2.
func depthwiseTrial(d *Device, v string) (Op, func(), error) {
	c, err := build(func(c *Chain) error {
		for _, s := range []DepthwiseShape{
			{N: 1, H: 56, W: 56, C: 32, KH: 3, KW: 3, Same: true, Variant: v},
			{N: 1, H: 56, W: 56, C: 32, KH: 3, KW: 3, SY: 2, SX: 2, Same: true, Variant: v},
		} {
			b, err := trialBufs(c, d, s.XLen(), s.WLen(), s.YLen(), s.XLen())
			if err != nil {
				return err
			}
			if err := c.add(d.Depthwise(s, b[2], b[0], b[1], nil)); err != nil {
				return err
			}
			if err := c.add(d.DepthwiseInputGrad(s, b[3], b[2], b[1])); err != nil {
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
