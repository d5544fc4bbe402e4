package models

import (
	"fmt"
	"math"
	"strings"
)

// OpKind is what a Node computes.
type OpKind int

// The operations a plan is made of. Keras layers map onto them; some layers
// vanish (Dropout, Reshape between equal layouts) and BatchNormalization is
// folded into the convolution before it where it can be.
const (
	OpInput     OpKind = iota
	OpConv             // Conv2D, with bias (folded batch norm lands here)
	OpDepthwise        // DepthwiseConv2D, with bias
	OpAffine           // per-channel x*Scale + Shift (batch norm not folded)
	OpAct              // activation: see Node.Act
	OpPad              // ZeroPadding2D
	OpMaxPool
	OpAvgPool
	OpGlobalAvgPool
	OpGlobalMaxPool
	OpDense    // y = x·W + b over the last axis
	OpReshape  // no data movement: NHWC and flat layouts agree
	OpAdd      // sum of inputs
	OpMultiply // product of inputs
	OpConcat   // along channels
	OpSoftmax  // over the last axis
	OpUpsample // nearest-neighbour upsampling by Kernel (UpSampling2D)
)

var opNames = [...]string{"input", "conv", "depthwise", "affine", "act", "pad", "maxpool", "avgpool",
	"gap", "gmp", "dense", "reshape", "add", "multiply", "concat", "softmax", "upsample"}

func (k OpKind) String() string { return opNames[k] }

// Act is an activation function with its parameters. Keras's ReLU layer
// (threshold, max_value, negative_slope) and LeakyReLU map onto Leaky/Cap.
type Act struct {
	Kind  string  // relu, relu6 (relu with Cap 6), leaky, sigmoid, tanh
	Slope float64 // below zero, for leaky/relu layers with negative_slope
	Cap   float64 // +Inf when uncapped
}

// Node is one operation of a plan, producing one tensor.
type Node struct {
	Name    string   // the Keras layer whose output this is
	Aliases []string // other layers with the same output (Dropout, Reshape, …)
	Folded  []string // layers folded into this node and no longer observable
	Op      OpKind
	Inputs  []*Node
	Shape   []int // output shape without batch
	Index   int   // position in Plan.Nodes

	// Geometry (OpConv, OpDepthwise, pooling).
	Kernel, Strides [2]int
	Same            bool
	Multiplier      int
	Pad             [4]int // OpPad: top, bottom, left, right

	// Parameters. Filters are HWIO (conv), HWCM (depthwise), [in][out]
	// (dense). Scale/Shift for OpAffine.
	W, B         []float32
	Scale, Shift []float32
	Act          Act
}

// Plan is a model lowered to nodes in execution order.
type Plan struct {
	Model  *Model
	Nodes  []*Node
	byName map[string]*Node
	folded map[string]string // layer → node that absorbed it
}

// Node returns the node whose output is the named layer's output.
func (p *Plan) Node(layer string) (*Node, error) {
	if n, ok := p.byName[layer]; ok {
		return n, nil
	}
	if into, ok := p.folded[layer]; ok {
		return nil, fmt.Errorf("models: layer %q was folded into %q at load (its own output no longer exists); use %q", layer, into, into)
	}
	return nil, fmt.Errorf("models: %s: no layer named %q", p.Model.Name, layer)
}

// Logits returns the node feeding the model's final softmax (the logits),
// or an error if the model does not end in a softmax.
func (p *Plan) Logits() (*Node, error) {
	n := p.byName[p.Model.Output.Name]
	for n != nil {
		switch n.Op {
		case OpSoftmax:
			return n.Inputs[0], nil
		case OpReshape:
			n = n.Inputs[0]
		default:
			return nil, fmt.Errorf("models: %s: the output %q is not a softmax, so it has no logits", p.Model.Name, p.Model.Output.Name)
		}
	}
	return nil, fmt.Errorf("models: %s: no output", p.Model.Name)
}

// Ancestors returns the nodes needed to compute target, in order.
func (p *Plan) Ancestors(target *Node) []*Node {
	need := make([]bool, len(p.Nodes))
	need[target.Index] = true
	for i := target.Index; i >= 0; i-- {
		if need[i] {
			for _, in := range p.Nodes[i].Inputs {
				need[in.Index] = true
			}
		}
	}
	var out []*Node
	for i, n := range p.Nodes {
		if need[i] {
			out = append(out, n)
		}
	}
	return out
}

// Lower turns a model into a plan, folding each BatchNormalization into the
// convolution (or dense layer) before it when that layer has no activation
// and feeds nothing else.
func Lower(m *Model) (*Plan, error) {
	p := &Plan{Model: m, byName: map[string]*Node{}, folded: map[string]string{}}
	consumers := map[*Layer]int{}
	for _, l := range m.Layers {
		for _, in := range l.Inputs {
			consumers[in]++
		}
	}
	add := func(n *Node) *Node {
		n.Index = len(p.Nodes)
		p.Nodes = append(p.Nodes, n)
		p.byName[n.Name] = n
		return n
	}
	out := map[*Layer]*Node{} // layer → node holding its output
	for _, l := range m.Layers {
		var ins []*Node
		for _, in := range l.Inputs {
			ins = append(ins, out[in])
		}
		base := &Node{Name: l.Name, Inputs: ins, Shape: l.Shape, Kernel: l.Kernel, Strides: l.Strides, Same: l.Same, Multiplier: l.Multiplier}
		var n *Node
		switch l.Class {
		case "Conv2D", "DepthwiseConv2D", "Dense":
			base.Op = map[string]OpKind{"Conv2D": OpConv, "DepthwiseConv2D": OpDepthwise, "Dense": OpDense}[l.Class]
			wname := "kernel"
			if l.Class == "DepthwiseConv2D" {
				wname = "depthwise_kernel"
			}
			base.W = l.Weights[wname].Data
			base.B = biasOrZero(l, l.Shape[len(l.Shape)-1])
			n = add(base)
		case "SeparableConv2D":
			// depthwise then pointwise; the depthwise half is internal.
			dw := add(&Node{Name: l.Name + "/depthwise", Op: OpDepthwise, Inputs: ins, Kernel: l.Kernel, Strides: l.Strides, Same: l.Same,
				Multiplier: l.Multiplier, W: l.Weights["depthwise_kernel"].Data,
				Shape: []int{l.Shape[0], l.Shape[1], ins[0].Shape[2] * l.Multiplier}})
			dw.B = make([]float32, dw.Shape[2])
			n = add(&Node{Name: l.Name, Op: OpConv, Inputs: []*Node{dw}, Kernel: [2]int{1, 1}, Strides: [2]int{1, 1}, Same: true,
				W: l.Weights["pointwise_kernel"].Data, B: biasOrZero(l, l.Filters), Shape: l.Shape})
		case "BatchNormalization":
			scale, shift := bnAffine(l)
			src := ins[0]
			if len(src.Inputs) > 0 && (src.Op == OpConv || src.Op == OpDepthwise || src.Op == OpDense) &&
				consumers[m.byName[src.Name]] == 1 && p.byName[src.Name] == src && len(l.Shape) > 0 {
				foldInto(src, scale, shift)
				p.folded[src.Name] = l.Name
				delete(p.byName, src.Name)
				src.Folded = append(src.Folded, src.Name)
				src.Name = l.Name
				p.byName[l.Name] = src
				out[l] = src
				continue
			}
			base.Op, base.Scale, base.Shift = OpAffine, scale, shift
			n = add(base)
		case "Activation":
			if l.Activation == "softmax" {
				base.Op = OpSoftmax
			} else if l.Activation == "linear" {
				n = alias(p, l, ins[0])
				out[l] = n
				continue
			} else {
				base.Op, base.Act = OpAct, actOf(l.Activation)
			}
			n = add(base)
		case "ReLU", "LeakyReLU":
			base.Op = OpAct
			base.Act = Act{Kind: "leaky", Slope: l.NegativeSlope, Cap: l.MaxValue}
			if l.Threshold != 0 {
				return nil, fmt.Errorf("models: layer %q (ReLU): threshold %g is not supported", l.Name, l.Threshold)
			}
			if l.NegativeSlope == 0 {
				base.Act.Kind = "relu"
			}
			n = add(base)
		case "ZeroPadding2D":
			base.Op, base.Pad = OpPad, l.Pad
			n = add(base)
		case "Dropout":
			n = alias(p, l, ins[0])
			out[l] = n
			continue
		default:
			op, ok := plainOps[l.Class]
			if !ok {
				return nil, fmt.Errorf("models: layer %q: unsupported layer class %q", l.Name, l.Class)
			}
			base.Op = op
			n = add(base)
		}
		// A layer's own activation (Conv2D(activation="relu")) follows it
		// as a node named for the layer; the pre-activation is internal.
		if l.Activation != "linear" && l.Class != "Activation" && l.Class != "ReLU" && l.Class != "LeakyReLU" {
			pre := n
			delete(p.byName, pre.Name)
			pre.Name = l.Name + "/preact"
			p.byName[pre.Name] = pre
			a := &Node{Name: l.Name, Inputs: []*Node{pre}, Shape: l.Shape}
			if l.Activation == "softmax" {
				a.Op = OpSoftmax
			} else {
				a.Op, a.Act = OpAct, actOf(l.Activation)
			}
			n = add(a)
		}
		out[l] = n
	}
	return p, nil
}

func alias(p *Plan, l *Layer, n *Node) *Node {
	n.Aliases = append(n.Aliases, l.Name)
	p.byName[l.Name] = n
	return n
}

func actOf(name string) Act {
	switch name {
	case "relu":
		return Act{Kind: "relu", Cap: math.Inf(1)}
	case "relu6":
		return Act{Kind: "relu", Cap: 6}
	default:
		return Act{Kind: name, Cap: math.Inf(1)}
	}
}

// plainOps are the layer classes whose node is the op alone: no weights
// and no settings beyond the ones every node carries (shape, kernel,
// strides, padding).
var plainOps = map[string]OpKind{
	"InputLayer":             OpInput,
	"UpSampling2D":           OpUpsample,
	"MaxPooling2D":           OpMaxPool,
	"AveragePooling2D":       OpAvgPool,
	"GlobalAveragePooling2D": OpGlobalAvgPool,
	"GlobalMaxPooling2D":     OpGlobalMaxPool,
	"Flatten":                OpReshape,
	"Reshape":                OpReshape,
	"Add":                    OpAdd,
	"Multiply":               OpMultiply,
	"Concatenate":            OpConcat,
}

func biasOrZero(l *Layer, n int) []float32 {
	if b, ok := l.Weights["bias"]; ok && (l.cfg.UseBias == nil || *l.cfg.UseBias) {
		return b.Data
	}
	return make([]float32, n)
}

// bnAffine turns inference-mode batch norm into y = x*scale + shift, in
// float64 before rounding so folding loses nothing measurable.
func bnAffine(l *Layer) (scale, shift []float32) {
	c := l.Channels()
	scale, shift = make([]float32, c), make([]float32, c)
	get := func(name string, def float64) func(int) float64 {
		w, ok := l.Weights[name]
		return func(i int) float64 {
			if !ok {
				return def
			}
			return float64(w.Data[i])
		}
	}
	gamma, beta := get("gamma", 1), get("beta", 0)
	mean, variance := get("moving_mean", 0), get("moving_variance", 1)
	for i := range c {
		s := gamma(i) / math.Sqrt(variance(i)+l.Epsilon)
		scale[i] = float32(s)
		shift[i] = float32(beta(i) - mean(i)*s)
	}
	return scale, shift
}

// foldInto rescales a linear layer's output channels: W[..., o] *= scale[o],
// b[o] = b[o]*scale[o] + shift[o]. The last axis of every filter layout hubel
// uses (HWIO, HWCM flattened to channel c*M+m, [in][out]) is the output
// channel, so one loop serves all three.
func foldInto(n *Node, scale, shift []float32) {
	c := len(scale)
	w := make([]float32, len(n.W))
	for i, v := range n.W {
		w[i] = float32(float64(v) * float64(scale[i%c]))
	}
	b := make([]float32, c)
	for o := range c {
		b[o] = float32(float64(n.B[o])*float64(scale[o]) + float64(shift[o]))
	}
	n.W, n.B = w, b
}

// Describe lists the plan's nodes, one per line, for debugging.
func (p *Plan) Describe() string {
	var b strings.Builder
	for _, n := range p.Nodes {
		fmt.Fprintf(&b, "%3d %-28s %-10s %v", n.Index, n.Name, n.Op, n.Shape)
		if len(n.Folded) > 0 {
			fmt.Fprintf(&b, " folded %v", n.Folded)
		}
		if len(n.Aliases) > 0 {
			fmt.Fprintf(&b, " aka %v", n.Aliases)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
