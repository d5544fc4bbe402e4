package selftest

import (
	"context"
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// spectralChecks: Lucid's Fourier parameterisation, forward and adjoint, at
// an odd and an even size.
func spectralChecks() []check {
	var cs []check
	for _, sh := range []gpu.SpectralShape{
		{B: 1, C: 3, H: 16, W: 15, Decay: 1, OutScale: 0.25},
		{B: 2, C: 3, H: 32, W: 32, Decay: 1, OutScale: 0.25},
	} {
		img, spec := sh.B*sh.H*sh.W*sh.C, sh.SpectrumLen()
		dims := fmt.Sprintf("%d×%d×%d×%d", sh.B, sh.H, sh.W, sh.C)
		for _, adjoint := range []bool{false, true} {
			name, n := "Spectral forward", img
			if adjoint {
				name, n = "Spectral adjoint", spec
			}
			cs = append(cs, check{name, dims, n, func(ctx context.Context, s *session) ([]float32, []float64, error) {
				x, xv := s.in(spec)
				dimg, dimgv := s.in(img)
				y, dx := s.out(img), s.out(spec)
				if s.err != nil {
					return nil, nil, s.err
				}
				sp, err := s.d.Spectral(sh, x, y, dimg, dx)
				if err != nil {
					return nil, nil, err
				}
				s.ops = append(s.ops, sp)
				if adjoint {
					got, err := s.run(ctx, sp.Backward, nil, dx)
					return got, ref.SpectralImageBackward(dimgv, sh.B, sh.C, sh.H, sh.W, sh.Decay, sh.OutScale), err
				}
				got, err := s.run(ctx, sp.Forward, nil, y)
				return got, ref.SpectralImage(xv, sh.B, sh.C, sh.H, sh.W, sh.Decay, sh.OutScale), err
			}})
		}
	}
	return cs
}
