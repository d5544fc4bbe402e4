package models

import (
	"fmt"
	"slices"
)

// Resize returns the plan laid out for h×w input images instead of the size
// in model.json: the same nodes and weights, with every shape recomputed. A
// fully convolutional model (convolutions, pooling, element-wise layers, up
// to a global pooling) takes any size its kernels fit; a layer whose shape
// depends on the input size in another way (a Flatten, a Reshape or a Dense
// over spatial positions) is an error naming it, and the model then needs
// its own size. Resize to the model's own size returns p itself.
func (p *Plan) Resize(h, w int) (*Plan, error) {
	in := p.Nodes[0]
	if in.Op != OpInput || len(in.Shape) != 3 {
		return nil, fmt.Errorf("models: %s: the input %v is not an image", p.Model.Name, in.Shape)
	}
	if h == in.Shape[0] && w == in.Shape[1] {
		return p, nil
	}
	if h < 1 || w < 1 {
		return nil, fmt.Errorf("models: %s: input size %d×%d", p.Model.Name, h, w)
	}
	q := &Plan{Model: p.Model, byName: map[string]*Node{}, folded: p.folded}
	clone := map[*Node]*Node{}
	for _, n := range p.Nodes {
		c := *n
		c.Inputs = make([]*Node, len(n.Inputs))
		for i, x := range n.Inputs {
			c.Inputs[i] = clone[x]
		}
		c.Shape = nil
		if err := c.resizedShape(n, h, w); err != nil {
			return nil, fmt.Errorf("models: %s at %d×%d: layer %q (%s): %w", p.Model.Name, h, w, n.Name, n.Op, err)
		}
		clone[n] = &c
		q.Nodes = append(q.Nodes, &c)
	}
	for name, n := range p.byName {
		q.byName[name] = clone[n]
	}
	return q, nil
}

// resizedShape sets n.Shape from its (already resized) inputs; orig is the
// node at the model's own size.
func (n *Node) resizedShape(orig *Node, h, w int) error {
	if n.Op == OpInput {
		n.Shape = []int{h, w, orig.Shape[2]}
		return nil
	}
	in := n.Inputs[0].Shape
	unchanged := slices.Equal(in, orig.Inputs[0].Shape)
	spatial := func() error {
		if len(in) != 3 {
			return fmt.Errorf("input shape %v is not [height, width, channels]", in)
		}
		return nil
	}
	switch n.Op {
	case OpConv, OpDepthwise, OpMaxPool, OpAvgPool:
		if err := spatial(); err != nil {
			return err
		}
		oh, _ := ConvOut(in[0], n.Kernel[0], n.Strides[0], n.Same)
		ow, _ := ConvOut(in[1], n.Kernel[1], n.Strides[1], n.Same)
		if oh < 1 || ow < 1 {
			return fmt.Errorf("kernel %v does not fit input %v", n.Kernel, in)
		}
		n.Shape = []int{oh, ow, orig.Shape[2]}
	case OpPad:
		if err := spatial(); err != nil {
			return err
		}
		n.Shape = []int{in[0] + n.Pad[0] + n.Pad[1], in[1] + n.Pad[2] + n.Pad[3], in[2]}
	case OpUpsample:
		if err := spatial(); err != nil {
			return err
		}
		n.Shape = []int{in[0] * n.Kernel[0], in[1] * n.Kernel[1], in[2]}
	case OpGlobalAvgPool, OpGlobalMaxPool:
		n.Shape = slices.Clone(orig.Shape)
	case OpAffine, OpAct, OpSoftmax, OpAdd, OpMultiply:
		for _, x := range n.Inputs[1:] {
			if !slices.Equal(x.Shape, in) {
				return fmt.Errorf("input shapes %v and %v differ", in, x.Shape)
			}
		}
		n.Shape = slices.Clone(in)
	case OpConcat:
		s := slices.Clone(in)
		s[len(s)-1] = orig.Shape[len(orig.Shape)-1]
		for _, x := range n.Inputs[1:] {
			if len(x.Shape) != len(in) || !slices.Equal(x.Shape[:len(in)-1], in[:len(in)-1]) {
				return fmt.Errorf("input shapes %v and %v differ outside the channel axis", in, x.Shape)
			}
		}
		n.Shape = s
	case OpDense:
		// Over the last axis: any leading shape is fine.
		n.Shape = append(slices.Clone(in[:len(in)-1]), orig.Shape[len(orig.Shape)-1])
	case OpReshape:
		switch {
		case unchanged:
			n.Shape = slices.Clone(orig.Shape)
		case slices.Equal(orig.Shape, orig.Inputs[0].Shape):
			n.Shape = slices.Clone(in) // a no-op reshape stays one
		default:
			return fmt.Errorf("reshapes %v to %v, which needs the model's own input size", orig.Inputs[0].Shape, orig.Shape)
		}
	default:
		return fmt.Errorf("unknown op")
	}
	return nil
}
