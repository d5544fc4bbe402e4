package gpu

import (
	"fmt"
	"math/bits"
)

// Launchers for shaders/reduce.wgsl: the column reductions that the
// affine, pooling and activation families build on, and the reductions
// activation maximisation uses as objectives (one value per image, each
// image with its own channel or neuron).

const reduceWG = 256

// Column reductions split the rows of a segment among at most this many
// workgroups, each reducing at least colsRowsPerLane rows per lane, so the
// finishing pass adds few partials.
const (
	colsMaxGroups   = 64
	colsRowsPerLane = 8
)

// NHWC is the shape of a batch of feature maps: N images of H×W positions
// with C channels, stored [N][H][W][C].
type NHWC struct{ N, H, W, C int }

// Len is the number of floats of the tensor.
func (s NHWC) Len() int { return s.N * s.H * s.W * s.C }

func (s NHWC) check(op string, x *Buffer, name string) error {
	if s.N < 1 || s.H < 1 || s.W < 1 || s.C < 1 {
		return fmt.Errorf("gpu: %s: bad shape %+v", op, s)
	}
	if s.N > maxGroups {
		return fmt.Errorf("gpu: %s: batch %d exceeds %d", op, s.N, maxGroups)
	}
	return checkLen(op, name, x, s.Len())
}

func checkLen(op, name string, b *Buffer, want int) error {
	if b == nil {
		return fmt.Errorf("gpu: %s: %s buffer is nil", op, name)
	}
	if b.Len != want {
		return fmt.Errorf("gpu: %s: %s has %d floats, want %d", op, name, b.Len, want)
	}
	return nil
}

// noAlias fails when a buffer written by op is also one of its inputs.
func noAlias(op string, out *Buffer, ins ...*Buffer) error {
	for _, in := range ins {
		if out != nil && in == out {
			return fmt.Errorf("gpu: %s: output buffer %q is also an input", op, out.label)
		}
	}
	return nil
}

// Chain is several dispatches recorded in order, with the scratch buffers
// they own. Like a Dispatch it is prepared once and recorded any number of
// times.
type Chain struct {
	ops   Seq
	disp  []*Dispatch
	owned []*Buffer
}

// Record implements Op.
func (c *Chain) Record(r *Recorder) { c.ops.Record(r) }

// Release frees the chain's dispatches and scratch buffers.
func (c *Chain) Release() {
	if c == nil {
		return
	}
	for _, x := range c.disp {
		x.Release()
	}
	for _, b := range c.owned {
		b.Release()
	}
	c.ops, c.disp, c.owned = nil, nil, nil
}

func (c *Chain) add(x *Dispatch, err error) error {
	if err != nil {
		return err
	}
	c.disp = append(c.disp, x)
	c.ops = append(c.ops, x)
	return nil
}

func (c *Chain) scratch(d *Device, label string, n int) (*Buffer, error) {
	b, err := d.NewBuffer(label, n)
	if err == nil {
		c.owned = append(c.owned, b)
	}
	return b, err
}

// build runs f on a new chain and returns it, or releases it on error.
func build(f func(c *Chain) error) (*Chain, error) {
	c := &Chain{}
	if err := f(c); err != nil {
		c.Release()
		return nil, err
	}
	return c, nil
}

// reduceParams mirrors Params in reduce.wgsl.
type reduceParams struct {
	n, r, cin, cout, ct, g int
	sel, prod              bool
	alpha                  float64
	w, kind                int
	acc, useDY             bool
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func (q reduceParams) words() Params {
	return Params{U(q.n), U(q.r), U(q.cin), U(q.cout), U(q.ct), U(q.g), b2u(q.sel), b2u(q.prod),
		F(q.alpha), U(q.w), U(q.kind), b2u(q.acc), b2u(q.useDY)}
}

func (d *Device) reduceDispatch(entry string, q reduceParams, groups [3]uint32, binds []Binding, bufs ...*Buffer) (*Dispatch, error) {
	k, err := d.Kernel(KernelSpec{File: "reduce.wgsl", Entry: entry, Bufs: binds, Consts: map[string]string{"WG": "256u"}})
	if err != nil {
		return nil, err
	}
	return d.Dispatch(k, q.words(), groups, bufs...)
}

// colJob is one column reduction: for each segment s of n and column c,
// out[s][c] = alpha * Σ_r a[s][r][c] (times b[s][r][c] with prod), or with
// max the largest a[s][r][c] and in outIdx the first row r holding it.
// With sel, segment s reduces only column sel[s] and out is [n].
type colJob struct {
	n, r, cin int
	sel       *Buffer
	prod, max bool
	a, b      *Buffer
	alpha     float64
	out       *Buffer
	outIdx    *Buffer
}

// cols appends the dispatches of j to c.
func (d *Device) cols(c *Chain, j colJob) error {
	cout := j.cin
	if j.sel != nil {
		cout = 1
	}
	ct := min(1<<bits.Len(uint(cout-1)), 32)
	rt := reduceWG / ct
	g := min(Ceil(j.r, rt*colsRowsPerLane), colsMaxGroups)
	g = max(min(g, Ceil(j.r, rt)), 1) // every group has rows
	q := reduceParams{n: j.n, r: j.r, cin: j.cin, cout: cout, ct: ct, g: g, sel: j.sel != nil, prod: j.prod, alpha: j.alpha}
	// Unused read-only slots are bound to a.
	b, idx := j.b, j.sel
	if b == nil {
		b = j.a
	}
	if idx == nil {
		idx = j.a
	}
	out, outi := j.out, j.outIdx
	if g > 1 {
		var err error
		if out, err = c.scratch(d, "reduce.partial", j.n*g*cout); err != nil {
			return err
		}
		if j.max {
			if outi, err = c.scratch(d, "reduce.partial_index", j.n*g*cout); err != nil {
				return err
			}
		}
		q.alpha = 1
	}
	groups := [3]uint32{uint32(Ceil(cout, ct)), uint32(g), uint32(j.n)}
	if j.max {
		q.alpha = 1
		err := c.add(d.reduceDispatch("cols_max", q, groups, []Binding{{1, Read}, {3, Read}, {4, ReadWrite}, {5, ReadWrite}}, j.a, idx, out, outi))
		if err != nil || g == 1 {
			return err
		}
		return c.add(d.reduceDispatch("finish_max", q, Groups1D(j.n*cout, reduceWG),
			[]Binding{{6, Read}, {7, Read}, {4, ReadWrite}, {5, ReadWrite}}, out, outi, j.out, j.outIdx))
	}
	err := c.add(d.reduceDispatch("cols", q, groups, Bindings(Read, Read, Read, ReadWrite), j.a, b, idx, out))
	if err != nil || g == 1 {
		return err
	}
	q.alpha = j.alpha
	return c.add(d.reduceDispatch("finish", q, Groups1D(j.n*cout, reduceWG), []Binding{{6, Read}, {4, ReadWrite}}, out, j.out))
}

// ChannelMean prepares out[n] = the mean over positions of channel
// ch[n] of image n of x: the channel objective, with a channel per image.
// ch holds s.N channel indices as floats.
func (d *Device) ChannelMean(s NHWC, x, ch, out *Buffer) (*Chain, error) {
	const op = "channel mean"
	if err := s.check(op, x, "x"); err != nil {
		return nil, err
	}
	if err := checkLen(op, "channel index", ch, s.N); err != nil {
		return nil, err
	}
	if err := checkLen(op, "output", out, s.N); err != nil {
		return nil, err
	}
	return build(func(c *Chain) error {
		return d.cols(c, colJob{n: s.N, r: s.H * s.W, cin: s.C, sel: ch, a: x, alpha: 1 / float64(s.H*s.W), out: out})
	})
}

// MeanSquare prepares out[n] = the mean of the squares of image n of x
// over all its positions and channels: the DeepDream objective.
func (d *Device) MeanSquare(s NHWC, x, out *Buffer) (*Chain, error) {
	const op = "mean square"
	if err := s.check(op, x, "x"); err != nil {
		return nil, err
	}
	if err := checkLen(op, "output", out, s.N); err != nil {
		return nil, err
	}
	m := s.H * s.W * s.C
	return build(func(c *Chain) error {
		return d.cols(c, colJob{n: s.N, r: m, cin: 1, prod: true, a: x, b: x, alpha: 1 / float64(m), out: out})
	})
}

// Neuron prepares out[n] = x at (pos[3n], pos[3n+1], pos[3n+2]) = (x, y,
// channel) of image n: the neuron objective, with a neuron per image.
func (d *Device) Neuron(s NHWC, x, pos, out *Buffer) (*Dispatch, error) {
	const op = "neuron"
	if err := s.check(op, x, "x"); err != nil {
		return nil, err
	}
	if err := checkLen(op, "positions", pos, 3*s.N); err != nil {
		return nil, err
	}
	if err := checkLen(op, "output", out, s.N); err != nil {
		return nil, err
	}
	q := reduceParams{n: s.N, r: s.H * s.W, cin: s.C, alpha: 1, w: s.W}
	return d.reduceDispatch("pick", q, Groups1D(s.N, reduceWG), []Binding{{1, Read}, {3, Read}, {4, ReadWrite}}, x, pos, out)
}

// Objective gradient kinds in reduce.wgsl's grad.
const (
	gradChannel = iota
	gradNeuron
	gradMeanSquare
)

// objectiveGrad prepares dx (=, or += with accumulate) alpha * dy[n] *
// ∂obj[n]/∂x for the objective kind. dy may be nil (ones).
func (d *Device) objectiveGrad(op string, kind int, s NHWC, x, idx, dy, dx *Buffer, alpha float64, accumulate bool) (*Dispatch, error) {
	if err := s.check(op, dx, "dx"); err != nil {
		return nil, err
	}
	if dy != nil {
		if err := checkLen(op, "dy", dy, s.N); err != nil {
			return nil, err
		}
	}
	q := reduceParams{n: s.N, r: s.H * s.W, cin: s.C, alpha: alpha, w: s.W, kind: kind, acc: accumulate, useDY: dy != nil}
	// Unused read-only slots are bound to a buffer the op reads anyway.
	a := x
	if a == nil {
		a = idx
	}
	if idx == nil {
		idx = a
	}
	if dy == nil {
		dy = a
	}
	return d.reduceDispatch("grad", q, Groups1D(s.Len(), reduceWG), []Binding{{1, Read}, {3, Read}, {8, Read}, {9, ReadWrite}}, a, idx, dy, dx)
}

// ChannelMeanBackward prepares the gradient of ChannelMean: dx = alpha *
// dy[n] / (H*W) at channel ch[n] of image n and 0 elsewhere, or added to dx
// with accumulate. dy ([N]) may be nil, meaning 1 for every image; alpha is
// then the objective's weight (negated when minimising a loss).
func (d *Device) ChannelMeanBackward(s NHWC, ch, dy, dx *Buffer, alpha float64, accumulate bool) (*Dispatch, error) {
	if err := checkLen("channel mean backward", "channel index", ch, s.N); err != nil {
		return nil, err
	}
	return d.objectiveGrad("channel mean backward", gradChannel, s, nil, ch, dy, dx, alpha/float64(s.H*s.W), accumulate)
}

// NeuronBackward prepares the gradient of Neuron: dx = alpha * dy[n] at
// image n's neuron and 0 elsewhere (or added to dx with accumulate). dy may
// be nil (ones).
func (d *Device) NeuronBackward(s NHWC, pos, dy, dx *Buffer, alpha float64, accumulate bool) (*Dispatch, error) {
	if err := checkLen("neuron backward", "positions", pos, 3*s.N); err != nil {
		return nil, err
	}
	return d.objectiveGrad("neuron backward", gradNeuron, s, nil, pos, dy, dx, alpha, accumulate)
}

// MeanSquareBackward prepares the gradient of MeanSquare: dx = alpha *
// dy[n] * 2x / (H*W*C) (or added to dx with accumulate). dy may be nil
// (ones). dx may not alias x.
func (d *Device) MeanSquareBackward(s NHWC, x, dy, dx *Buffer, alpha float64, accumulate bool) (*Dispatch, error) {
	const op = "mean square backward"
	if err := s.check(op, x, "x"); err != nil {
		return nil, err
	}
	if err := noAlias(op, dx, x, dy); err != nil {
		return nil, err
	}
	return d.objectiveGrad("mean square backward", gradMeanSquare, s, x, nil, dy, dx, alpha/float64(s.H*s.W*s.C), accumulate)
}
