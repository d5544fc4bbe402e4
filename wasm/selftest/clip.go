package selftest

import (
	"context"
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// clipChecks: percentile clipping of small pixels (Lucid's pixel-norm
// transform) on an odd size and on one of more pixels than a workgroup,
// and norm clipping of rows (PPGN's cap on the class step) with a limit
// that some rows exceed and others do not.
func clipChecks() []check {
	var cs []check
	for _, c := range []struct {
		s   gpu.NHWC
		pct float64
	}{
		{gpu.NHWC{N: 2, H: 5, W: 7, C: 3}, 30},
		{gpu.NHWC{N: 1, H: 17, W: 19, C: 3}, 90},
	} {
		sh, pct := c.s, c.pct
		cs = append(cs, check{"ClipPercentile", fmt.Sprintf("%s, p %g", nhwcDims(sh.N, sh.H, sh.W, sh.C), pct), sh.Len(),
			func(ctx context.Context, s *session) ([]float32, []float64, error) {
				x, xv := s.in(sh.Len())
				thr := s.out(sh.N)
				if s.err != nil {
					return nil, nil, s.err
				}
				op, err := s.d.ClipPercentile(sh, pct, x, thr)
				got, err := s.run(ctx, op, err, x)
				want, _ := ref.ClipPercentile(sh.N, sh.H*sh.W, sh.C, gpu.ClipIndex(pct, sh.H*sh.W), xv)
				return got, want, err
			}})
	}
	// Row r is scaled by (r+1)/2, so that its norm is about (r+1)/2·√n:
	// the limit leaves the first rows and shortens the last.
	for _, c := range []struct {
		rows, n int
		limit   float64
	}{
		{3, 10, 3},
		{4, 300, 20}, // more values than a workgroup
	} {
		c := c
		cs = append(cs, check{"ClipNorm", fmt.Sprintf("%d×%d, limit %g", c.rows, c.n, c.limit), c.rows * c.n,
			func(ctx context.Context, s *session) ([]float32, []float64, error) {
				v := make([]float64, c.rows*c.n)
				for i := range v {
					v[i] = s.rng.NormFloat64() * float64(i/c.n+1) / 2
				}
				x, xv := s.vals(v)
				if s.err != nil {
					return nil, nil, s.err
				}
				op, err := s.d.ClipNorm(c.rows, c.n, c.limit, x)
				got, err := s.run(ctx, op, err, x)
				return got, ref.ClipNorm(c.rows, c.n, c.limit, xv), err
			}})
	}
	return cs
}
