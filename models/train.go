package models

import (
	"context"
	"fmt"

	"github.com/hubelviz/hubel/gpu"
)

// Training on the GPU: a graph built with Grads{Params: true} gives every
// parameter's gradient; Adam updates them all in place; a softmax
// cross-entropy seeds the logits' gradient from one-hot labels. All of it
// is recorded into one command buffer per step.

// Adam updates every parameter of a GPU graph in place with Adam (one
// gpu.Adam per tensor, moments allocated here).
type Adam struct {
	steps []*gpu.Adam
	reset gpu.Seq
}

// NewAdam prepares Adam over params (a GPUGraph's Params) with
// hyperparameters c. Record Reset before the first step.
func NewAdam(be *GPU, params []Param[*gpu.Buffer], c gpu.AdamConfig) (*Adam, error) {
	if len(params) == 0 {
		return nil, fmt.Errorf("models: adam: no parameters (build the graph with Grads{Params: true})")
	}
	a := &Adam{}
	for _, p := range params {
		m, err := be.Alloc("adam.m:"+p.Node.Name+"/"+p.Name, p.Value.Len)
		if err != nil {
			return nil, err
		}
		v, err := be.Alloc("adam.v:"+p.Node.Name+"/"+p.Name, p.Value.Len)
		if err != nil {
			return nil, err
		}
		s, err := be.D.Adam(c, p.Value, p.Grad, m, v)
		if err != nil {
			return nil, fmt.Errorf("models: adam on %s/%s: %w", p.Node.Name, p.Name, err)
		}
		be.keep(s)
		a.steps = append(a.steps, s)
		a.reset = append(a.reset, s.Reset())
	}
	return a, nil
}

// Reset returns the Op zeroing every moment, to record before step 1.
func (a *Adam) Reset() gpu.Op { return a.reset }

// Step returns the Op performing update t (1, 2, …) of every parameter;
// record it after the backward pass, one step per submission.
func (a *Adam) Step(t int) (gpu.Op, error) {
	seq := make(gpu.Seq, len(a.steps))
	for i, s := range a.steps {
		if err := s.SetStep(t); err != nil {
			return nil, err
		}
		seq[i] = s
	}
	return seq, nil
}

// SetLR changes the learning rate of every parameter's update.
func (a *Adam) SetLR(lr float64) error {
	for _, s := range a.steps {
		if err := s.SetLR(lr); err != nil {
			return err
		}
	}
	return nil
}

// ReadParams copies the GPU values of params back into their nodes' (and
// so the model's) weights, for Model.Encode.
func ReadParams(ctx context.Context, d *gpu.Device, params []Param[*gpu.Buffer]) error {
	for _, p := range params {
		v, err := d.Read(ctx, p.Value)
		if err != nil {
			return fmt.Errorf("models: reading %s/%s: %w", p.Node.Name, p.Name, err)
		}
		copy(p.Host(), v)
	}
	return nil
}

// CrossEntropy is the mean softmax cross-entropy of a batch of logits
// against one-hot labels, as GPU ops: Op writes Probs = softmax(logits)
// and the loss's gradient with respect to the logits, (Probs − Labels)/rows,
// into the graph's seed for the logits.
type CrossEntropy struct {
	// Labels holds rows × classes one-hot (or soft) targets, written by
	// the caller before each step.
	Labels *gpu.Buffer
	// Probs holds the softmax of the logits after Op runs.
	Probs      *gpu.Buffer
	Op         gpu.Op
	Rows, Cols int
}

// NewCrossEntropy prepares the loss on node logits of graph g (which must
// have it as a target).
func NewCrossEntropy(be *GPU, g *GPUGraph, logits *Node) (*CrossEntropy, error) {
	seed, ok := g.Seed[logits]
	if !ok {
		return nil, fmt.Errorf("models: cross-entropy: %q is not a target of the graph's backward pass", logits.Name)
	}
	rows, cols := rowsCols(logits, g.Batch)
	rows = g.Elems(logits) / cols
	x := &CrossEntropy{Rows: rows, Cols: cols}
	var err error
	if x.Labels, err = be.Alloc("xent.labels", rows*cols); err != nil {
		return nil, err
	}
	if x.Probs, err = be.Alloc("xent.probs", rows*cols); err != nil {
		return nil, err
	}
	sm, err := be.op(be.D.Softmax(rows, cols, g.Out[logits], x.Probs))
	if err != nil {
		return nil, fmt.Errorf("models: cross-entropy: %w", err)
	}
	grad, err := be.op(be.D.AXPBY(seed, x.Probs, x.Labels, 1/float64(rows), -1/float64(rows)))
	if err != nil {
		return nil, fmt.Errorf("models: cross-entropy: %w", err)
	}
	x.Op = gpu.Seq{sm, grad}
	return x, nil
}

// OneHot writes the one-hot rows of labels (each in [0, classes)) into
// dst, which must hold len(labels)·classes floats.
func OneHot(dst []float32, labels []uint8, classes int) {
	clear(dst)
	for i, l := range labels {
		dst[i*classes+int(l)] = 1
	}
}
