package models

import (
	"fmt"

	"github.com/hubelviz/hubel/gpu"
)

// GPU runs plans on the compute engine.
type GPU struct {
	D *gpu.Device
	// own holds what the backend allocated, released by Release.
	own []interface{ Release() }
}

// GPUGraph is a plan laid out on the GPU.
type GPUGraph = Graph[*gpu.Buffer, gpu.Op]

// NewGPU returns a backend on d.
func NewGPU(d *gpu.Device) *GPU { return &GPU{D: d} }

// Release frees every buffer and dispatch the backend made.
func (g *GPU) Release() {
	for _, r := range g.own {
		r.Release()
	}
	g.own = nil
}

func (g *GPU) keep(r interface{ Release() }) { g.own = append(g.own, r) }

// Alloc implements Backend. The buffer is zeroed from the host: a new
// buffer's contents are undefined (on lavapipe, what a released buffer
// left), and a buffer-clear command is not reliable in gogpu v0.34.5.
func (g *GPU) Alloc(label string, n int) (*gpu.Buffer, error) {
	b, err := g.D.NewZeros(label, n)
	if err != nil {
		return nil, err
	}
	g.keep(b)
	return b, nil
}

// Const implements Backend.
func (g *GPU) Const(label string, v []float32) (*gpu.Buffer, error) {
	b, err := g.D.Upload(label, v)
	if err == nil {
		g.keep(b)
	}
	return b, err
}

// op keeps a prepared op for release and passes errors through.
func (g *GPU) op(op gpu.Op, err error) (gpu.Op, error) {
	if err != nil {
		return nil, err
	}
	if r, ok := op.(interface{ Release() }); ok {
		g.keep(r)
	}
	return op, nil
}

// Accumulate implements Backend.
func (g *GPU) Accumulate(dst, src *gpu.Buffer) (gpu.Op, error) {
	return g.op(g.D.Accumulate(dst, src, 1))
}

// Copy implements Backend. It is a kernel (z = 1·x + 0·x), not a
// CopyBufferToBuffer: gogpu v0.34.5 puts consecutive copies outside a
// compute pass into one usage scope, so a buffer written by one copy and
// read by the next fails validation ("incompatible usages in same scope").
func (g *GPU) Copy(dst, src *gpu.Buffer) (gpu.Op, error) {
	if dst.Len != src.Len {
		return nil, fmt.Errorf("copy of %d floats into %d", src.Len, dst.Len)
	}
	return g.op(g.D.AXPBY(dst, src, src, 1, 0))
}

// pointwise reports whether a convolution is a 1×1, stride-1 product over
// channels, which the GEMM kernels compute fastest.
func pointwise(n *Node) bool {
	return n.Op == OpConv && n.Kernel == [2]int{1, 1} && n.Strides == [2]int{1, 1}
}

// rowsCols views a node's input as rows × channels for GEMM.
func rowsCols(in *Node, batch int) (rows, cols int) {
	c := in.Shape[len(in.Shape)-1]
	return batch * numel(in.Shape) / c, c
}

// Forward implements Backend.
func (g *GPU) Forward(n *Node, batch int, w Weights[*gpu.Buffer], ins []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
	d := g.D
	switch {
	case pointwise(n) || n.Op == OpDense:
		rows, k := rowsCols(n.Inputs[0], batch)
		return g.op(d.GEMM(gpu.GEMMShape{M: rows, K: k, N: n.Shape[len(n.Shape)-1], Alpha: 1}, out, ins[0], w.W, w.B))
	}
	in := n.Inputs[0]
	switch n.Op {
	case OpConv:
		return g.op(d.Conv2D(convShape(n, batch), out, ins[0], w.W, w.B))
	case OpDepthwise:
		return g.op(d.Depthwise(dwShape(n, batch), out, ins[0], w.W, w.B))
	case OpAffine:
		return g.op(d.ChannelAffine(nhwcOf(in, batch), ins[0], w.Scale, w.Shift, out))
	case OpAct:
		return g.op(d.Activate(gpuAct(n.Act), ins[0], out))
	case OpPad:
		return g.op(d.Pad(padShape(n, batch), ins[0], out))
	case OpUpsample:
		return g.op(d.Upsample(upShape(n, batch), ins[0], out))
	case OpMaxPool:
		return g.op(d.MaxPool(poolShape(n, batch), ins[0], out))
	case OpAvgPool:
		return g.op(d.AvgPool(poolShape(n, batch), ins[0], out))
	case OpGlobalAvgPool:
		return g.op(d.GlobalAvgPool(nhwcOf(in, batch), ins[0], out))
	case OpGlobalMaxPool:
		return g.op(d.GlobalMaxPool(nhwcOf(in, batch), ins[0], out))
	case OpSoftmax:
		rows, c := rowsCols(in, batch)
		return g.op(d.Softmax(rows, c, ins[0], out))
	case OpConcat:
		return g.op(d.Concat(concatShape(n, batch), ins, out))
	case OpAdd:
		seq := gpu.Seq{}
		op, err := g.op(d.AXPBY(out, ins[0], ins[1], 1, 1))
		if err != nil {
			return nil, err
		}
		seq = append(seq, op)
		for _, in := range ins[2:] {
			op, err := g.op(d.Accumulate(out, in, 1))
			if err != nil {
				return nil, err
			}
			seq = append(seq, op)
		}
		return seq, nil
	case OpMultiply:
		if len(ins) != 2 {
			return nil, fmt.Errorf("multiply of %d inputs: only 2 are supported", len(ins))
		}
		return g.op(d.Mul(out, ins[0], ins[1]))
	}
	return nil, fmt.Errorf("the GPU backend does not run %s yet", n.Op)
}

// Backward implements Backend.
func (g *GPU) Backward(n *Node, batch int, w Weights[*gpu.Buffer], ins []*gpu.Buffer, out, dout *gpu.Buffer, dins []*gpu.Buffer, redirect bool) (gpu.Op, error) {
	d := g.D
	switch {
	case pointwise(n) || n.Op == OpDense:
		if dins[0] == nil {
			return gpu.Seq{}, nil
		}
		rows, k := rowsCols(n.Inputs[0], batch)
		// dX = dY·Wᵀ: W is stored [in][out], so op(B) = Wᵀ is out×in.
		return g.op(d.GEMM(gpu.GEMMShape{M: rows, K: n.Shape[len(n.Shape)-1], N: k, TransB: true, Alpha: 1}, dins[0], dout, w.W, nil))
	}
	in := n.Inputs[0]
	dx := dins[0]
	if n.Op != OpAdd && n.Op != OpMultiply && n.Op != OpConcat && dx == nil {
		return gpu.Seq{}, nil
	}
	switch n.Op {
	case OpConv:
		return g.op(d.Conv2DInputGrad(convShape(n, batch), dx, dout, w.W))
	case OpDepthwise:
		return g.op(d.DepthwiseInputGrad(dwShape(n, batch), dx, dout, w.W))
	case OpAffine:
		return g.op(d.ChannelAffineBackward(nhwcOf(in, batch), ins[0], w.Scale, dout, dx, nil, nil))
	case OpAct:
		a := gpuAct(n.Act)
		if redirect && a.Kind == gpu.ActReLU && a.Slope == 0 {
			return g.op(d.ActivationBackwardRedirected(a, batch, ins[0], dout, dx))
		}
		return g.op(d.ActivationBackward(a, ins[0], dout, dx))
	case OpPad:
		return g.op(d.PadBackward(padShape(n, batch), dout, dx))
	case OpUpsample:
		return g.op(d.UpsampleBackward(upShape(n, batch), dout, dx))
	case OpMaxPool:
		return g.op(d.MaxPoolBackward(poolShape(n, batch), ins[0], dout, dx))
	case OpAvgPool:
		return g.op(d.AvgPoolBackward(poolShape(n, batch), dout, dx))
	case OpGlobalAvgPool:
		return g.op(d.GlobalAvgPoolBackward(nhwcOf(in, batch), dout, dx))
	case OpGlobalMaxPool:
		return g.op(d.GlobalMaxPoolBackward(nhwcOf(in, batch), ins[0], dout, dx))
	case OpSoftmax:
		rows, c := rowsCols(in, batch)
		return g.op(d.SoftmaxBackward(rows, c, out, dout, dx))
	case OpConcat:
		return g.op(d.ConcatBackward(concatShape(n, batch), dout, dins))
	case OpAdd:
		var seq gpu.Seq
		for _, din := range dins {
			if din != nil {
				op, err := g.Copy(din, dout)
				if err != nil {
					return nil, err
				}
				seq = append(seq, op)
			}
		}
		return seq, nil
	case OpMultiply:
		var seq gpu.Seq
		for i, din := range dins {
			if din != nil {
				op, err := g.op(d.Mul(din, dout, ins[1-i]))
				if err != nil {
					return nil, err
				}
				seq = append(seq, op)
			}
		}
		return seq, nil
	}
	return nil, fmt.Errorf("the GPU backend does not differentiate %s yet", n.Op)
}

// hw views a node's shape as height, width, channels (vectors are 1×1×C).
func hw(n *Node) (h, w, c int) {
	if len(n.Shape) == 3 {
		return n.Shape[0], n.Shape[1], n.Shape[2]
	}
	return 1, 1, n.Shape[len(n.Shape)-1]
}

func nhwcOf(n *Node, batch int) gpu.NHWC {
	h, w, c := hw(n)
	return gpu.NHWC{N: batch, H: h, W: w, C: c}
}

func convShape(n *Node, batch int) gpu.ConvShape {
	h, w, c := hw(n.Inputs[0])
	return gpu.ConvShape{N: batch, H: h, W: w, C: c, KH: n.Kernel[0], KW: n.Kernel[1], F: n.Shape[2],
		SY: n.Strides[0], SX: n.Strides[1], Same: n.Same}
}

func dwShape(n *Node, batch int) gpu.DepthwiseShape {
	h, w, c := hw(n.Inputs[0])
	return gpu.DepthwiseShape{N: batch, H: h, W: w, C: c, KH: n.Kernel[0], KW: n.Kernel[1], Mult: n.Multiplier,
		SY: n.Strides[0], SX: n.Strides[1], Same: n.Same}
}

func poolShape(n *Node, batch int) gpu.PoolShape {
	h, w, c := hw(n.Inputs[0])
	return gpu.PoolShape{N: batch, H: h, W: w, C: c, KH: n.Kernel[0], KW: n.Kernel[1], SH: n.Strides[0], SW: n.Strides[1], Same: n.Same}
}

func upShape(n *Node, batch int) gpu.UpsampleShape {
	h, w, c := hw(n.Inputs[0])
	return gpu.UpsampleShape{N: batch, H: h, W: w, C: c, SH: n.Kernel[0], SW: n.Kernel[1]}
}

func padShape(n *Node, batch int) gpu.PadShape {
	h, w, c := hw(n.Inputs[0])
	return gpu.PadShape{N: batch, H: h, W: w, C: c, Top: n.Pad[0], Bottom: n.Pad[1], Left: n.Pad[2], Right: n.Pad[3]}
}

func concatShape(n *Node, batch int) gpu.ConcatShape {
	h, w, _ := hw(n)
	s := gpu.ConcatShape{N: batch, H: h, W: w}
	for _, in := range n.Inputs {
		_, _, c := hw(in)
		s.C = append(s.C, c)
	}
	return s
}

func gpuAct(a Act) gpu.Activation {
	switch a.Kind {
	case "relu", "leaky":
		return gpu.Activation{Kind: gpu.ActReLU, Slope: a.Slope, Cap: a.Cap}
	case "sigmoid":
		return gpu.Sigmoid()
	case "tanh":
		return gpu.Tanh()
	}
	return gpu.Activation{}
}

// ParamGrad implements Backend.
func (g *GPU) ParamGrad(n *Node, batch int, w Weights[*gpu.Buffer], ins []*gpu.Buffer, dout *gpu.Buffer, dw Weights[*gpu.Buffer]) (gpu.Op, error) {
	d := g.D
	switch {
	case pointwise(n) || n.Op == OpDense:
		rows, k := rowsCols(n.Inputs[0], batch)
		s := gpu.GEMMShape{M: rows, K: k, N: n.Shape[len(n.Shape)-1], Alpha: 1}
		op, err := d.GEMMBackward(s, nil, dw.W, dw.B, dout, ins[0], w.W)
		if err != nil {
			return nil, err
		}
		for _, x := range op.(gpu.Seq) {
			g.op(x, nil)
		}
		return op, nil
	}
	var seq gpu.Seq
	add := func(op gpu.Op, err error) error {
		op, err = g.op(op, err)
		if err == nil {
			seq = append(seq, op)
		}
		return err
	}
	var err error
	switch n.Op {
	case OpConv:
		s := convShape(n, batch)
		if dw.W != nil {
			err = add(d.Conv2DFilterGrad(s, dw.W, ins[0], dout))
		}
		if err == nil && dw.B != nil {
			err = add(d.Conv2DBiasGrad(s, dw.B, dout))
		}
	case OpDepthwise:
		s := dwShape(n, batch)
		if dw.W != nil {
			err = add(d.DepthwiseFilterGrad(s, dw.W, ins[0], dout))
		}
		if err == nil && dw.B != nil {
			err = add(d.DepthwiseBiasGrad(s, dw.B, dout))
		}
	case OpAffine:
		err = add(d.ChannelAffineBackward(nhwcOf(n.Inputs[0], batch), ins[0], w.Scale, dout, nil, dw.Scale, dw.Shift))
	default:
		return nil, fmt.Errorf("the GPU backend has no parameter gradients for %s", n.Op)
	}
	return seq, err
}
