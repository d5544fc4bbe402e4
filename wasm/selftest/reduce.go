package selftest

import (
	"context"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// reduceChecks: the channel objective (a channel per image) and its
// gradient, scaled, on an odd size and on one of more positions than a
// workgroup.
func reduceChecks() []check {
	var cs []check
	for _, c := range []struct {
		s  gpu.NHWC
		ch []int
	}{
		{gpu.NHWC{N: 2, H: 7, W: 5, C: 6}, []int{3, 0}},
		{gpu.NHWC{N: 3, H: 20, W: 19, C: 4}, []int{1, 3, 2}},
	} {
		sh, dims := c.s, nhwcDims(c.s.N, c.s.H, c.s.W, c.s.C)
		chf := make([]float64, len(c.ch))
		for i, v := range c.ch {
			chf[i] = float64(v)
		}
		const alpha = -0.5
		for _, backward := range []bool{false, true} {
			name, n := "ChannelMean forward", sh.N
			if backward {
				name, n = "ChannelMean backward", sh.Len()
			}
			cs = append(cs, check{name, dims, n, func(ctx context.Context, s *session) ([]float32, []float64, error) {
				ch, _ := s.vals(chf)
				x, xv := s.in(sh.Len())
				dy, dyv := s.in(sh.N)
				out := s.out(n)
				if s.err != nil {
					return nil, nil, s.err
				}
				if backward {
					op, err := s.d.ChannelMeanBackward(sh, ch, dy, out, alpha, false)
					got, err := s.run(ctx, op, err, out)
					return got, ref.ScaleShift(ref.ChannelMeanBackward(sh.N, sh.H, sh.W, sh.C, c.ch, dyv), alpha, 0), err
				}
				op, err := s.d.ChannelMean(sh, x, ch, out)
				got, err := s.run(ctx, op, err, out)
				return got, ref.ChannelMean(sh.N, sh.H, sh.W, sh.C, c.ch, xv), err
			}})
		}
	}
	return cs
}
