package gpu

import "fmt"

// Launchers for shaders/diversity.wgsl, with the GEMMs and reductions
// around it: Lucid's diversity objective across a batch (see
// ref.Diversity).

const diversityWG = 256

// Diversity is a prepared diversity objective: Value writes each image's
// value, Grad its gradient (run Value first in the same step: Grad reads
// the normalised Gram matrices Value leaves).
type Diversity struct {
	Value, Grad *Chain
}

// Release frees both chains.
func (v *Diversity) Release() {
	v.Value.Release()
	v.Grad.Release()
}

func (c *Chain) addChain(x *Chain, err error) error {
	if err != nil {
		return err
	}
	c.ops = append(c.ops, x.ops...)
	c.disp = append(c.disp, x.disp...)
	c.owned = append(c.owned, x.owned...)
	return nil
}

func (c *Chain) addOp(x Op, err error) error {
	if err != nil {
		return err
	}
	return c.add(x.(*Dispatch), nil)
}

// Diversity prepares the diversity objective of the activations x (shape
// s, batch s.N): out[b] = −(1/N)·Σ_{j≠b} ĝ_b·ĝ_j with ĝ_b the normalised
// Gram matrix of image b; and dx = (or += with accumulate) the gradient
// with respect to x of Σ_b dy[b]·out[b].
func (d *Device) Diversity(s NHWC, x, dy, out, dx *Buffer, accumulate bool) (*Diversity, error) {
	const op = "diversity"
	if err := s.check(op, x, "x"); err != nil {
		return nil, err
	}
	if err := s.check(op, dx, "dx"); err != nil {
		return nil, err
	}
	if err := checkLen(op, "dy", dy, s.N); err != nil {
		return nil, err
	}
	if err := checkLen(op, "output", out, s.N); err != nil {
		return nil, err
	}
	if err := noAlias(op, dx, x, dy, out); err != nil {
		return nil, err
	}
	hw, c, B := s.H*s.W, s.C, s.N
	m := c * c
	if B*m >= 1<<31 {
		return nil, fmt.Errorf("gpu: %s: %d Gram matrices of %d×%d are too large", op, B, c, c)
	}
	p := Params{U(B), U(m), U(B * m)}
	kernel := func(entry string, binds ...Binding) (*Kernel, error) {
		return d.Kernel(KernelSpec{File: "diversity.wgsl", Entry: entry, Bufs: binds,
			Consts: map[string]string{"WG": fmt.Sprintf("%du", diversityWG)}})
	}
	v := &Diversity{Value: &Chain{}, Grad: &Chain{}}
	err := func() error {
		val, gr := v.Value, v.Grad
		var g, ms, ghat, sum, y, u, q, dg, gs *Buffer
		for _, b := range []struct {
			p *(*Buffer)
			n int
		}{{&g, B * m}, {&ms, B}, {&ghat, B * m}, {&sum, m}, {&y, m}, {&u, B * m}, {&q, B}, {&dg, B * m}, {&gs, B}} {
			var err error
			if *b.p, err = val.scratch(d, "diversity", b.n); err != nil {
				return err
			}
		}
		// Value: G = XᵀX, ĝ, S and Y, out = −(ĝ·S − ĝ·ĝ)/N.
		if err := val.addOp(d.GEMM(GEMMShape{Batch: B, M: c, K: hw, N: c, TransA: true, Alpha: 1}, g, x, x, nil)); err != nil {
			return err
		}
		if err := val.addChain(d.MeanSquare(NHWC{N: B, H: 1, W: 1, C: m}, g, ms)); err != nil {
			return err
		}
		steps := []struct {
			c      *Chain
			entry  string
			binds  []Binding
			groups int
			bufs   []*Buffer
		}{
			{val, "normalize", []Binding{{1, Read}, {2, Read}, {3, ReadWrite}}, B * m, []*Buffer{g, ms, ghat}},
			{val, "sums", []Binding{{4, Read}, {5, Read}, {6, ReadWrite}, {7, ReadWrite}}, m, []*Buffer{ghat, dy, sum, y}},
		}
		for _, st := range steps {
			k, err := kernel(st.entry, st.binds...)
			if err != nil {
				return err
			}
			if err := st.c.add(d.Dispatch(k, p, Groups1D(st.groups, diversityWG), st.bufs...)); err != nil {
				return err
			}
		}
		if err := val.addOp(d.GEMM(GEMMShape{Batch: B, M: 1, K: m, N: 1, Alpha: 1, SharedB: true}, gs, ghat, sum, nil)); err != nil {
			return err
		}
		k, err := kernel("value", Binding{14, Read}, Binding{2, Read}, Binding{15, ReadWrite})
		if err != nil {
			return err
		}
		if err := val.add(d.Dispatch(k, p, Groups1D(B, diversityWG), gs, ms, out)); err != nil {
			return err
		}
		// Gradient: U, q = ĝ·U, D, dx = 2·X·D.
		k, err = kernel("dghat", Binding{4, Read}, Binding{5, Read}, Binding{8, Read}, Binding{9, Read}, Binding{10, ReadWrite})
		if err != nil {
			return err
		}
		if err := gr.add(d.Dispatch(k, p, Groups1D(B*m, diversityWG), ghat, dy, sum, y, u)); err != nil {
			return err
		}
		if err := gr.addOp(d.GEMM(GEMMShape{Batch: B, M: 1, K: m, N: 1, Alpha: 1}, q, ghat, u, nil)); err != nil {
			return err
		}
		if k, err = kernel("dgram", Binding{11, Read}, Binding{4, Read}, Binding{12, Read}, Binding{2, Read}, Binding{13, ReadWrite}); err != nil {
			return err
		}
		if err := gr.add(d.Dispatch(k, p, Groups1D(B*m, diversityWG), u, ghat, q, ms, dg)); err != nil {
			return err
		}
		beta := 0.0
		if accumulate {
			beta = 1
		}
		return gr.addOp(d.GEMM(GEMMShape{Batch: B, M: hw, K: c, N: c, Alpha: 2, Beta: beta}, dx, x, dg, nil))
	}()
	if err != nil {
		v.Release()
		return nil, err
	}
	return v, nil
}
