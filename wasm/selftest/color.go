package selftest

import (
	"context"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// colorChecks: ToRGB with Lucid's colour matrix, forward and backward, on
// an odd size and on one of more pixels than a workgroup. The backward pass
// reads the forward's output, uploaded from gpu/ref.
func colorChecks() []check {
	var cs []check
	for _, sh := range []gpu.ColorShape{{N: 2, H: 9, W: 7, M: gpu.LucidColor()}, {N: 1, H: 20, W: 19, M: gpu.LucidColor()}} {
		var m [9]float64 // the matrix as the kernel reads it
		for i, v := range sh.M {
			m[i] = float64(float32(v))
		}
		dims, n := nhwcDims(sh.N, sh.H, sh.W, 3), 3*sh.N*sh.H*sh.W
		cs = append(cs,
			kernelCheck("ToRGB forward", dims, []int{n}, n, func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
				return d.ToRGB(sh, in[0], out)
			}, func(v [][]float64) []float64 { return ref.ToRGB(m, v[0]) }),
			check{"ToRGB backward", dims, n, func(ctx context.Context, s *session) ([]float32, []float64, error) {
				t := make([]float64, n)
				for i := range t {
					t[i] = s.rng.NormFloat64()
				}
				rgb, _ := s.vals(ref.ToRGB(m, t))
				drgb, drgbv := s.in(n)
				dt := s.out(n)
				if s.err != nil {
					return nil, nil, s.err
				}
				op, err := s.d.ToRGBBackward(sh, rgb, drgb, dt)
				got, err := s.run(ctx, op, err, dt)
				return got, ref.ToRGBBackward(m, t, drgbv), err
			}},
		)
	}
	// A grey image (one channel): the sigmoid alone.
	sig := ref.Act{Kind: ref.ActSigmoid}
	sh := gpu.ColorShape{N: 2, H: 28, W: 28, C: 1}
	dims, n := nhwcDims(sh.N, sh.H, sh.W, 1), sh.N*sh.H*sh.W
	cs = append(cs,
		kernelCheck("ToRGB grey forward", dims, []int{n}, n, func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
			return d.ToRGB(sh, in[0], out)
		}, func(v [][]float64) []float64 { return ref.Activate(sig, v[0]) }),
		check{"ToRGB grey backward", dims, n, func(ctx context.Context, s *session) ([]float32, []float64, error) {
			t := make([]float64, n)
			for i := range t {
				t[i] = s.rng.NormFloat64()
			}
			y, _ := s.vals(ref.Activate(sig, t))
			dy, dyv := s.in(n)
			dt := s.out(n)
			if s.err != nil {
				return nil, nil, s.err
			}
			op, err := s.d.ToRGBBackward(sh, y, dy, dt)
			got, err := s.run(ctx, op, err, dt)
			return got, ref.ActivateBackward(sig, t, dyv), err
		}},
	)
	return cs
}
