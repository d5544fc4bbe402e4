package models

import "fmt"

// Backend runs a plan's nodes on one kind of hardware. Buf is its tensor
// type and Op a recorded unit of work. The GPU engine and the CPU reference
// both implement it, so that buffer planning, ordering and gradient routing
// are written once (in Build) and the two backends differ only in how each
// node computes.
type Backend[Buf, Op any] interface {
	// Alloc returns a zeroed tensor of n floats.
	Alloc(label string, n int) (Buf, error)
	// Const returns a tensor holding v (weights).
	Const(label string, v []float32) (Buf, error)
	// Forward computes node n of a batch into out from its inputs.
	Forward(n *Node, batch int, w Weights[Buf], ins []Buf, out Buf) (Op, error)
	// Backward computes the gradients dins[i] of the node's inputs from the
	// gradient dout of its output (dins[i] is nil where no gradient is
	// needed). redirect selects Lucid's redirected ReLU gradient.
	Backward(n *Node, batch int, w Weights[Buf], ins []Buf, out, dout Buf, dins []Buf, redirect bool) (Op, error)
	// Accumulate adds src into dst.
	Accumulate(dst, src Buf) (Op, error)
	// Copy copies src into dst.
	Copy(dst, src Buf) (Op, error)
	// ParamGrad computes the gradients dw of node n's parameters (the
	// fields of w that are set) from its inputs and the gradient dout of
	// its output, overwriting them.
	ParamGrad(n *Node, batch int, w Weights[Buf], ins []Buf, dout Buf, dw Weights[Buf]) (Op, error)
}

// Weights are a node's parameters on a backend.
type Weights[Buf any] struct {
	W, B, Scale, Shift Buf
	Has                bool
}

// Grads selects what a graph's backward pass computes.
type Grads struct {
	// Input is the gradient with respect to the network's input
	// (activation maximisation).
	Input bool
	// Params are the gradients of every filter, bias and per-channel scale
	// and shift (training). Their buffers are in Graph.Params.
	Params bool
}

// Param is one trainable tensor of a graph: a node's filter, bias, scale or
// shift, its buffer on the backend (the weights the forward pass reads,
// which an optimiser updates in place) and its gradient's buffer.
type Param[Buf any] struct {
	Node        *Node
	Name        string // "kernel", "bias", "scale" or "shift"
	Value, Grad Buf
}

// Host returns the node's own copy of the parameter (the slice the model
// was loaded into), which Value was uploaded from.
func (p Param[Buf]) Host() []float32 {
	switch p.Name {
	case "kernel":
		return p.Node.W
	case "bias":
		return p.Node.B
	case "scale":
		return p.Node.Scale
	}
	return p.Node.Shift
}

// Graph is a plan laid out for one batch size on one backend: every
// tensor allocated once, every op prepared once. Running a step is running
// Forward (and, after the objective has written its gradients into the
// seeds, Backward).
type Graph[Buf, Op any] struct {
	Plan    *Plan
	Batch   int
	Input   Buf
	Out     map[*Node]Buf // activations (a reshape shares its input's)
	Grad    map[*Node]Buf // gradients, for nodes between the input and a target
	Forward []Op
	// Backward runs from the seeds to Grad[input]; BackwardRedirect is the
	// same with Lucid's redirected ReLU gradients.
	Backward, BackwardRedirect []Op
	// Seed is where the objective writes its gradient for each target. It
	// is Grad[n] itself when nothing else contributes to it.
	Seed map[*Node]Buf
	// Params are the trainable tensors in plan order, each filter before
	// its bias; set only when built with Grads.Params. Backward (and
	// BackwardRedirect) write their gradients.
	Params []Param[Buf]

	weights map[*Node]Weights[Buf]
}

// Elems is the number of floats of a node's output for the batch.
func (g *Graph[Buf, Op]) Elems(n *Node) int { return g.Batch * numel(n.Shape) }

// Build lays out plan p for batch images, computing targets (and only what
// they need). With grad it also prepares the backward pass from the targets
// to the input.
func Build[Buf, Op any](be Backend[Buf, Op], p *Plan, batch int, targets []*Node, grad bool) (*Graph[Buf, Op], error) {
	return BuildGrads(be, p, batch, targets, Grads{Input: grad})
}

// BuildGrads is Build with a choice of gradients: with want.Params the
// backward pass also computes the gradient of every parameter the targets
// depend on (into Graph.Params), and without want.Input it skips what only
// the input's gradient needs.
func BuildGrads[Buf, Op any](be Backend[Buf, Op], p *Plan, batch int, targets []*Node, want Grads) (*Graph[Buf, Op], error) {
	if batch < 1 {
		return nil, fmt.Errorf("models: batch %d must be positive", batch)
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("models: no target layer")
	}
	g := &Graph[Buf, Op]{Plan: p, Batch: batch, Out: map[*Node]Buf{}, Grad: map[*Node]Buf{}, Seed: map[*Node]Buf{}, weights: map[*Node]Weights[Buf]{}}
	need := map[*Node]bool{}
	var nodes []*Node
	for _, t := range targets {
		for _, n := range p.Ancestors(t) {
			if !need[n] {
				need[n] = true
			}
		}
	}
	for _, n := range p.Nodes {
		if need[n] {
			nodes = append(nodes, n)
		}
	}
	if nodes[0].Op != OpInput {
		return nil, fmt.Errorf("models: targets do not depend on the input")
	}
	// Forward: one buffer per node, weights uploaded once.
	for _, n := range nodes {
		switch n.Op {
		case OpInput:
			b, err := be.Alloc("input", g.Elems(n))
			if err != nil {
				return nil, err
			}
			g.Input, g.Out[n] = b, b
			continue
		case OpReshape:
			g.Out[n] = g.Out[n.Inputs[0]]
			continue
		}
		w, err := g.upload(be, n)
		if err != nil {
			return nil, err
		}
		out, err := be.Alloc(n.Name, g.Elems(n))
		if err != nil {
			return nil, err
		}
		g.Out[n] = out
		op, err := be.Forward(n, batch, w, g.ins(n), out)
		if err != nil {
			return nil, fmt.Errorf("models: layer %q (%s): %w", n.Name, n.Op, err)
		}
		g.Forward = append(g.Forward, op)
	}
	if !want.Input && !want.Params {
		return g, nil
	}
	// Backward: gradients flow from the targets to the input. onPath marks
	// nodes that lie between the input and a target.
	onPath := map[*Node]bool{}
	isTarget := map[*Node]bool{}
	for _, t := range targets {
		isTarget[t] = true
	}
	// A node is on the path if it is a target or feeds a node on the path.
	for i := len(nodes) - 1; i >= 0; i-- {
		if n := nodes[i]; isTarget[n] || onPath[n] {
			onPath[n] = true
			for _, in := range n.Inputs {
				onPath[in] = true
			}
		}
	}
	// Without the input's gradient, only nodes with a parameter at or
	// above them need theirs.
	if !want.Input {
		trainable := map[*Node]bool{}
		for _, n := range nodes {
			trainable[n] = hasParams(n)
			for _, in := range n.Inputs {
				trainable[n] = trainable[n] || trainable[in]
			}
			onPath[n] = onPath[n] && trainable[n]
		}
	}
	if want.Params {
		for _, n := range nodes {
			if !onPath[n] || !hasParams(n) {
				continue
			}
			if len(n.Folded) > 0 {
				return nil, fmt.Errorf("models: layer %q: batch normalization was folded into it at load, so its parameters cannot be trained", n.Name)
			}
			w := g.weights[n]
			for _, t := range []struct {
				name string
				v    []float32
				buf  Buf
			}{{"kernel", n.W, w.W}, {"bias", n.B, w.B}, {"scale", n.Scale, w.Scale}, {"shift", n.Shift, w.Shift}} {
				if t.v == nil {
					continue
				}
				gb, err := be.Alloc("d"+n.Name+"/"+t.name, len(t.v))
				if err != nil {
					return nil, err
				}
				g.Params = append(g.Params, Param[Buf]{Node: n, Name: t.name, Value: t.buf, Grad: gb})
			}
		}
	}
	// Contributors of each node's gradient: the targets' seeds and the
	// consumers on the path.
	contrib := map[*Node]int{}
	for _, n := range nodes {
		if isTarget[n] {
			contrib[n]++
		}
		if onPath[n] {
			for _, in := range n.Inputs {
				contrib[in]++
			}
		}
	}
	// Reshapes share gradients with their input only when they are its
	// single contributor; otherwise they get their own buffer.
	for i := len(nodes) - 1; i >= 0; i-- {
		n := nodes[i]
		if !onPath[n] {
			continue
		}
		if _, ok := g.Grad[n]; ok {
			continue
		}
		b, err := be.Alloc("d"+n.Name, g.Elems(n))
		if err != nil {
			return nil, err
		}
		g.Grad[n] = b
		if n.Op == OpReshape && contrib[n.Inputs[0]] == 1 {
			g.Grad[n.Inputs[0]] = b
		}
	}
	// A gradient with several contributors is summed: each contribution is
	// written to its own buffer, the first copied into the gradient and the
	// others accumulated. Copy-then-accumulate keeps every kernel a plain
	// write, so no clearing pass is needed. Contributions are complete
	// before a node's backward runs: seeds come first, consumers run before
	// their producers.
	parts := map[[2]int]Buf{} // (consumer index or -1 for a seed, input position) → buffer
	part := func(n *Node, key [2]int) (Buf, error) {
		if b, ok := parts[key]; ok {
			return b, nil
		}
		b, err := be.Alloc("dpart:"+n.Name, g.Elems(n))
		parts[key] = b
		return b, err
	}
	gather := func(n *Node, src Buf, seen map[*Node]bool) (Op, error) {
		if seen[n] {
			return be.Accumulate(g.Grad[n], src)
		}
		seen[n] = true
		return be.Copy(g.Grad[n], src)
	}
	for _, redirect := range []bool{false, true} {
		var ops []Op
		seen := map[*Node]bool{}
		for i, t := range targets {
			if contrib[t] == 1 {
				g.Seed[t] = g.Grad[t]
				continue
			}
			b, err := part(t, [2]int{-1, i})
			if err != nil {
				return nil, err
			}
			g.Seed[t] = b
			op, err := gather(t, b, seen)
			if err != nil {
				return nil, err
			}
			ops = append(ops, op)
		}
		for i := len(nodes) - 1; i >= 0; i-- {
			n := nodes[i]
			if !onPath[n] || n.Op == OpInput {
				continue
			}
			dins := make([]Buf, len(n.Inputs))
			var after []Op
			for j, in := range n.Inputs {
				if !onPath[in] {
					continue
				}
				if contrib[in] == 1 {
					dins[j] = g.Grad[in]
					continue
				}
				b, err := part(in, [2]int{n.Index, j})
				if err != nil {
					return nil, err
				}
				dins[j] = b
				op, err := gather(in, b, seen)
				if err != nil {
					return nil, err
				}
				after = append(after, op)
			}
			if n.Op == OpReshape {
				if contrib[n.Inputs[0]] != 1 { // else the gradient buffer is shared
					op, err := be.Copy(dins[0], g.Grad[n])
					if err != nil {
						return nil, err
					}
					ops = append(ops, op)
				}
			} else {
				op, err := be.Backward(n, g.Batch, g.weights[n], g.ins(n), g.Out[n], g.Grad[n], dins, redirect)
				if err != nil {
					return nil, fmt.Errorf("models: layer %q (%s) backward: %w", n.Name, n.Op, err)
				}
				ops = append(ops, op)
			}
			if want.Params && hasParams(n) {
				op, err := be.ParamGrad(n, g.Batch, g.weights[n], g.ins(n), g.Grad[n], g.paramGrads(n))
				if err != nil {
					return nil, fmt.Errorf("models: layer %q (%s) parameter gradients: %w", n.Name, n.Op, err)
				}
				ops = append(ops, op)
			}
			ops = append(ops, after...)
		}
		if redirect {
			g.BackwardRedirect = ops
		} else {
			g.Backward = ops
		}
	}
	return g, nil
}

// hasParams reports whether a node has trainable parameters.
func hasParams(n *Node) bool { return n.W != nil || n.Scale != nil }

// paramGrads gathers node n's parameter gradient buffers.
func (g *Graph[Buf, Op]) paramGrads(n *Node) Weights[Buf] {
	var w Weights[Buf]
	for _, p := range g.Params {
		if p.Node != n {
			continue
		}
		w.Has = true
		switch p.Name {
		case "kernel":
			w.W = p.Grad
		case "bias":
			w.B = p.Grad
		case "scale":
			w.Scale = p.Grad
		case "shift":
			w.Shift = p.Grad
		}
	}
	return w
}

func (g *Graph[Buf, Op]) ins(n *Node) []Buf {
	out := make([]Buf, len(n.Inputs))
	for i, in := range n.Inputs {
		out[i] = g.Out[in]
	}
	return out
}

func (g *Graph[Buf, Op]) upload(be Backend[Buf, Op], n *Node) (Weights[Buf], error) {
	var w Weights[Buf]
	var err error
	put := func(dst *Buf, name string, v []float32) {
		if err == nil && v != nil {
			*dst, err = be.Const(n.Name+"/"+name, v)
			w.Has = true
		}
	}
	put(&w.W, "w", n.W)
	put(&w.B, "b", n.B)
	put(&w.Scale, "scale", n.Scale)
	put(&w.Shift, "shift", n.Shift)
	g.weights[n] = w
	return w, err
}
