package selftest

import (
	"context"
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// optimChecks: two Adam steps (with different gradients, in one
// submission) on a size below a workgroup and on one that is not a multiple
// of it.
func optimChecks() []check {
	var cs []check
	cfg := gpu.AdamDefaults(0.05)
	for _, n := range []int{100, 1000} {
		cs = append(cs, check{"Adam 2 steps", fmt.Sprint(n), n, func(ctx context.Context, s *session) ([]float32, []float64, error) {
			x, xv := s.in(n)
			g1, g1v := s.in(n)
			g2, g2v := s.in(n)
			m, v := s.out(n), s.out(n)
			if s.err != nil {
				return nil, nil, s.err
			}
			step1, err := s.d.Adam(cfg, x, g1, m, v)
			if err != nil {
				return nil, nil, err
			}
			step2, err := s.d.Adam(cfg, x, g2, m, v)
			if err != nil {
				s.keep(step1)
				return nil, nil, err
			}
			if err := step2.SetStep(2); err != nil {
				s.keep(gpu.Seq{step1, step2})
				return nil, nil, err
			}
			got, err := s.run(ctx, gpu.Seq{step1.Reset(), step1, step2}, nil, x)
			mv, vv := make([]float64, n), make([]float64, n)
			c := func(x float64) float64 { return float64(float32(x)) } // the kernel's float32 hyperparameters
			for t, g := range [][]float64{g1v, g2v} {
				ref.AdamStep(xv, g, mv, vv, cfg.LR, c(cfg.Beta1), c(cfg.Beta2), c(cfg.Eps), t+1)
			}
			return got, xv, err
		}})
	}
	return cs
}
