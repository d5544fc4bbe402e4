package train

import (
	"context"
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

// Units runs images idx of split s through plan p on backend "gpu" (on d)
// or "cpu", batch images at a time, and calls f with the position of each
// batch's first image in idx and, per target, its units' activations
// ([batch][units]): a convolution's channel means over positions, a
// vector layer's values. The last batch may be shorter.
func Units(ctx context.Context, backend string, d *gpu.Device, p *models.Plan, s *Split, idx []int, targets []*models.Node, batch int, f func(start int, units [][]float32) error) error {
	if len(idx) == 0 {
		return nil
	}
	batch = min(batch, len(idx))
	run, units, err := newRunner(backend, d, p, targets, batch)
	if err != nil {
		return err
	}
	defer run.close()
	size := s.H * s.W
	x := make([]float32, batch*size)
	for start := 0; start < len(idx); start += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		part := idx[start:min(start+batch, len(idx))]
		clear(x)
		s.Batch(part, x)
		outs, err := run.forward(ctx, x)
		if err != nil {
			return err
		}
		for i := range outs {
			outs[i] = outs[i][:len(part)*units[i]]
		}
		if err := f(start, outs); err != nil {
			return err
		}
	}
	return nil
}

// runner is a forward pass at a fixed batch that reduces each target to
// per-unit values.
type runner struct {
	forward func(ctx context.Context, x []float32) ([][]float32, error)
	close   func()
}

func newRunner(backend string, d *gpu.Device, p *models.Plan, targets []*models.Node, batch int) (*runner, []int, error) {
	units := make([]int, len(targets))
	for i, t := range targets {
		units[i] = t.Shape[len(t.Shape)-1]
	}
	switch backend {
	case "gpu":
		if d == nil {
			return nil, nil, fmt.Errorf("train: gpu backend without a device")
		}
		be := models.NewGPU(d)
		g, err := models.Build[*gpu.Buffer, gpu.Op](be, p, batch, targets, false)
		if err != nil {
			be.Release()
			return nil, nil, err
		}
		// Convolutions are reduced to channel means on the GPU.
		ops := gpu.Seq(g.Forward)
		outs := make([]*gpu.Buffer, len(targets))
		for i, t := range targets {
			outs[i] = g.Out[t]
			if len(t.Shape) != 3 {
				continue
			}
			mean, err := be.Alloc("mean:"+t.Name, batch*units[i])
			if err != nil {
				be.Release()
				return nil, nil, err
			}
			op, err := d.GlobalAvgPool(gpu.NHWC{N: batch, H: t.Shape[0], W: t.Shape[1], C: t.Shape[2]}, g.Out[t], mean)
			if err != nil {
				be.Release()
				return nil, nil, err
			}
			ops = append(ops, op)
			outs[i] = mean
		}
		r := &runner{close: be.Release}
		r.forward = func(ctx context.Context, x []float32) ([][]float32, error) {
			if err := g.Input.Write(x); err != nil {
				return nil, err
			}
			if err := d.Run(ops); err != nil {
				return nil, err
			}
			res := make([][]float32, len(outs))
			for i, b := range outs {
				v, err := d.Read(ctx, b)
				if err != nil {
					return nil, err
				}
				res[i] = v
			}
			return res, nil
		}
		return r, units, nil
	case "cpu":
		g, err := models.Build[[]float64, func()](models.CPU{}, p, batch, targets, false)
		if err != nil {
			return nil, nil, err
		}
		r := &runner{close: func() {}}
		r.forward = func(_ context.Context, x []float32) ([][]float32, error) {
			for i, v := range x {
				g.Input[i] = float64(v)
			}
			for _, op := range g.Forward {
				op()
			}
			res := make([][]float32, len(targets))
			for i, t := range targets {
				res[i] = channelMeans(g.Out[t], batch, units[i])
			}
			return res, nil
		}
		return r, units, nil
	}
	return nil, nil, fmt.Errorf("train: unknown backend %q (want gpu or cpu)", backend)
}

// channelMeans reduces a [batch][positions][units] tensor to [batch][units]
// means (a vector layer has one position).
func channelMeans(v []float64, batch, units int) []float32 {
	out := make([]float32, batch*units)
	pos := len(v) / (batch * units)
	for b := range batch {
		for c := range units {
			s := 0.0
			for k := range pos {
				s += v[(b*pos+k)*units+c]
			}
			out[b*units+c] = float32(s / float64(pos))
		}
	}
	return out
}

// Accuracy is the fraction of split s that plan p classifies correctly
// (argmax of the logits) on backend "gpu" or "cpu".
func Accuracy(ctx context.Context, backend string, d *gpu.Device, p *models.Plan, s *Split) (float64, error) {
	logits, err := p.Logits()
	if err != nil {
		return 0, err
	}
	idx := make([]int, s.N)
	for i := range idx {
		idx[i] = i
	}
	correct := 0
	err = Units(ctx, backend, d, p, s, idx, []*models.Node{logits}, 500, func(start int, outs [][]float32) error {
		z := outs[0]
		c := logits.Shape[len(logits.Shape)-1]
		for k := range len(z) / c {
			if argmax(z[k*c:(k+1)*c]) == int(s.Labels[idx[start+k]]) {
				correct++
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return float64(correct) / float64(s.N), nil
}
