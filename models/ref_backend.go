package models

import (
	"fmt"

	"github.com/hubelviz/hubel/gpu/ref"
)

// CPU runs plans on the CPU reference (package gpu/ref), in float64: the
// oracle for the GPU backend and the fallback where WebGPU is missing.
type CPU struct{}

// CPUGraph is a plan laid out on the CPU.
type CPUGraph = Graph[[]float64, func()]

// Alloc implements Backend.
func (CPU) Alloc(_ string, n int) ([]float64, error) { return make([]float64, n), nil }

// Const implements Backend.
func (CPU) Const(_ string, v []float32) ([]float64, error) {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out, nil
}

// Accumulate implements Backend.
func (CPU) Accumulate(dst, src []float64) (func(), error) {
	return func() {
		for i := range dst {
			dst[i] += src[i]
		}
	}, nil
}

// Copy implements Backend.
func (CPU) Copy(dst, src []float64) (func(), error) {
	if len(dst) != len(src) {
		return nil, fmt.Errorf("copy of %d floats into %d", len(src), len(dst))
	}
	return func() { copy(dst, src) }, nil
}

func geom(n *Node, batch int) ref.ConvGeom {
	h, w, c := hw(n.Inputs[0])
	return ref.ConvGeom{N: batch, H: h, W: w, C: c, KH: n.Kernel[0], KW: n.Kernel[1], SY: n.Strides[0], SX: n.Strides[1], Same: n.Same}
}

func refPool(n *Node, batch int) ref.Pool {
	h, w, c := hw(n.Inputs[0])
	return ref.Pool{N: batch, H: h, W: w, C: c, KH: n.Kernel[0], KW: n.Kernel[1], SH: n.Strides[0], SW: n.Strides[1], Same: n.Same}
}

func refAct(a Act) ref.Act {
	switch a.Kind {
	case "relu", "leaky":
		return ref.Act{Kind: ref.ActReLU, Slope: a.Slope, Cap: a.Cap}
	case "sigmoid":
		return ref.Act{Kind: ref.ActSigmoid}
	case "tanh":
		return ref.Act{Kind: ref.ActTanh}
	}
	return ref.Act{}
}

// set returns an op storing f's result into out.
func set(out []float64, f func() []float64) func() { return func() { copy(out, f()) } }

// Forward implements Backend.
func (CPU) Forward(n *Node, batch int, w Weights[[]float64], ins [][]float64, out []float64) (func(), error) {
	x := ins[0]
	in := n.Inputs[0]
	switch n.Op {
	case OpConv:
		return set(out, func() []float64 { return ref.Conv2D(geom(n, batch), n.Shape[2], x, w.W, w.B) }), nil
	case OpDepthwise:
		return set(out, func() []float64 { return ref.Depthwise(geom(n, batch), n.Multiplier, x, w.W, w.B) }), nil
	case OpDense:
		rows, k := rowsCols(in, batch)
		s := ref.GEMMShape{Batch: 1, M: rows, K: k, N: n.Shape[len(n.Shape)-1], Alpha: 1}
		return set(out, func() []float64 { return ref.GEMM(s, x, w.W, nil, w.B) }), nil
	case OpAffine:
		return set(out, func() []float64 { return ref.ChannelAffine(x, w.Scale, w.Shift) }), nil
	case OpAct:
		return set(out, func() []float64 { return ref.Activate(refAct(n.Act), x) }), nil
	case OpPad:
		h, wd, c := hw(in)
		return set(out, func() []float64 { return ref.Pad(batch, h, wd, c, n.Pad[0], n.Pad[1], n.Pad[2], n.Pad[3], 0, x) }), nil
	case OpUpsample:
		h, wd, c := hw(in)
		return set(out, func() []float64 { return ref.Upsample(batch, h, wd, c, n.Kernel[0], n.Kernel[1], x) }), nil
	case OpMaxPool:
		return set(out, func() []float64 { return ref.MaxPool(refPool(n, batch), x) }), nil
	case OpAvgPool:
		return set(out, func() []float64 { return ref.AvgPool(refPool(n, batch), x) }), nil
	case OpGlobalAvgPool, OpGlobalMaxPool:
		h, wd, c := hw(in)
		if n.Op == OpGlobalAvgPool {
			return set(out, func() []float64 { return ref.GlobalAvgPool(batch, h*wd, c, x) }), nil
		}
		return set(out, func() []float64 { return ref.GlobalMaxPool(batch, h*wd, c, x) }), nil
	case OpSoftmax:
		_, c := rowsCols(in, batch)
		return set(out, func() []float64 { return ref.Softmax(c, x) }), nil
	case OpConcat:
		h, wd, _ := hw(n)
		cs := concatShape(n, batch).C
		return set(out, func() []float64 { return ref.Concat(batch, h, wd, cs, ins) }), nil
	case OpAdd:
		return func() {
			copy(out, x)
			for _, y := range ins[1:] {
				for i := range out {
					out[i] += y[i]
				}
			}
		}, nil
	case OpMultiply:
		return func() {
			copy(out, x)
			for _, y := range ins[1:] {
				for i := range out {
					out[i] *= y[i]
				}
			}
		}, nil
	}
	return nil, fmt.Errorf("the CPU backend does not run %s", n.Op)
}

// Backward implements Backend.
func (CPU) Backward(n *Node, batch int, w Weights[[]float64], ins [][]float64, out, dout []float64, dins [][]float64, redirect bool) (func(), error) {
	x, dx := ins[0], dins[0]
	in := n.Inputs[0]
	if len(dins) == 1 && dx == nil {
		return func() {}, nil
	}
	switch n.Op {
	case OpConv:
		return set(dx, func() []float64 { return ref.Conv2DInputGrad(geom(n, batch), n.Shape[2], dout, w.W) }), nil
	case OpDepthwise:
		return set(dx, func() []float64 { return ref.DepthwiseInputGrad(geom(n, batch), n.Multiplier, dout, w.W) }), nil
	case OpDense:
		rows, k := rowsCols(in, batch)
		s := ref.GEMMShape{Batch: 1, M: rows, K: n.Shape[len(n.Shape)-1], N: k, TransB: true, Alpha: 1}
		return set(dx, func() []float64 { return ref.GEMM(s, dout, w.W, nil, nil) }), nil
	case OpAffine:
		return set(dx, func() []float64 { d, _, _ := ref.ChannelAffineBackward(x, w.Scale, dout); return d }), nil
	case OpAct:
		a := refAct(n.Act)
		if redirect && a.Kind == ref.ActReLU && a.Slope == 0 {
			return set(dx, func() []float64 { return ref.ReLUBackwardRedirected(a.Cap, batch, x, dout) }), nil
		}
		return set(dx, func() []float64 { return ref.ActivateBackward(a, x, dout) }), nil
	case OpPad:
		h, wd, c := hw(in)
		return set(dx, func() []float64 {
			return ref.Crop(batch, h+n.Pad[0]+n.Pad[1], wd+n.Pad[2]+n.Pad[3], c, n.Pad[0], n.Pad[1], n.Pad[2], n.Pad[3], dout)
		}), nil
	case OpUpsample:
		h, wd, c := hw(in)
		return set(dx, func() []float64 { return ref.UpsampleBackward(batch, h, wd, c, n.Kernel[0], n.Kernel[1], dout) }), nil
	case OpMaxPool:
		return set(dx, func() []float64 { return ref.MaxPoolBackward(refPool(n, batch), x, dout) }), nil
	case OpAvgPool:
		return set(dx, func() []float64 { return ref.AvgPoolBackward(refPool(n, batch), dout) }), nil
	case OpGlobalAvgPool:
		h, wd, c := hw(in)
		return set(dx, func() []float64 { return ref.GlobalAvgPoolBackward(batch, h*wd, c, dout) }), nil
	case OpGlobalMaxPool:
		h, wd, c := hw(in)
		return set(dx, func() []float64 { return ref.GlobalMaxPoolBackward(batch, h*wd, c, x, dout) }), nil
	case OpSoftmax:
		_, c := rowsCols(in, batch)
		return set(dx, func() []float64 { return ref.SoftmaxBackward(c, out, dout) }), nil
	case OpConcat:
		h, wd, _ := hw(n)
		cs := concatShape(n, batch).C
		return func() {
			parts := ref.Split(batch, h, wd, cs, dout)
			for i, d := range dins {
				if d != nil {
					copy(d, parts[i])
				}
			}
		}, nil
	case OpAdd:
		return func() {
			for _, d := range dins {
				if d != nil {
					copy(d, dout)
				}
			}
		}, nil
	case OpMultiply:
		if len(ins) != 2 {
			return nil, fmt.Errorf("multiply of %d inputs: only 2 are supported", len(ins))
		}
		return func() {
			for i, d := range dins {
				if d != nil {
					for j := range d {
						d[j] = dout[j] * ins[1-i][j]
					}
				}
			}
		}, nil
	}
	return nil, fmt.Errorf("the CPU backend does not differentiate %s", n.Op)
}

// ParamGrad implements Backend.
func (CPU) ParamGrad(n *Node, batch int, w Weights[[]float64], ins [][]float64, dout []float64, dw Weights[[]float64]) (func(), error) {
	x := ins[0]
	in := n.Inputs[0]
	put := func(dst, src []float64) {
		if dst != nil {
			copy(dst, src)
		}
	}
	switch n.Op {
	case OpConv:
		return func() {
			put(dw.W, ref.Conv2DFilterGrad(geom(n, batch), n.Shape[2], x, dout))
			put(dw.B, ref.BiasGrad(dout, n.Shape[2]))
		}, nil
	case OpDepthwise:
		return func() {
			put(dw.W, ref.DepthwiseFilterGrad(geom(n, batch), n.Multiplier, x, dout))
			put(dw.B, ref.BiasGrad(dout, len(w.B)))
		}, nil
	case OpDense:
		rows, k := rowsCols(in, batch)
		s := ref.GEMMShape{Batch: 1, M: rows, K: k, N: n.Shape[len(n.Shape)-1], Alpha: 1}
		return func() {
			_, dW, dB := ref.GEMMBackward(s, x, w.W, dout)
			put(dw.W, dW)
			put(dw.B, dB)
		}, nil
	case OpAffine:
		return func() {
			_, ds, dsh := ref.ChannelAffineBackward(x, w.Scale, dout)
			put(dw.Scale, ds)
			put(dw.Shift, dsh)
		}, nil
	}
	return nil, fmt.Errorf("the CPU backend has no parameter gradients for %s", n.Op)
}
