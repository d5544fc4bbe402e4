package selftest

import (
	"context"
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// softmaxChecks: softmax and log-softmax, forward and backward, on rows
// shorter than the small workgroup and on rows longer than the large one.
// The backward passes read the forward's output, uploaded from gpu/ref.
func softmaxChecks() []check {
	var cs []check
	for _, c := range []struct{ rows, n int }{{3, 10}, {2, 300}} {
		dims, total := fmt.Sprintf("%d×%d", c.rows, c.n), c.rows*c.n
		for _, log := range []bool{false, true} {
			name, fwd, bwd := "Softmax", ref.Softmax, ref.SoftmaxBackward
			launch, launchBack := (*gpu.Device).Softmax, (*gpu.Device).SoftmaxBackward
			if log {
				name, fwd, bwd = "LogSoftmax", ref.LogSoftmax, ref.LogSoftmaxBackward
				launch, launchBack = (*gpu.Device).LogSoftmax, (*gpu.Device).LogSoftmaxBackward
			}
			cs = append(cs,
				kernelCheck(name+" forward", dims, []int{total}, total, func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
					return launch(d, c.rows, c.n, in[0], out)
				}, func(v [][]float64) []float64 { return fwd(c.n, v[0]) }),
				check{name + " backward", dims, total, func(ctx context.Context, s *session) ([]float32, []float64, error) {
					xv := make([]float64, total)
					for i := range xv {
						xv[i] = s.rng.NormFloat64()
					}
					y, yv := s.vals(fwd(c.n, xv))
					dy, dyv := s.in(total)
					dx := s.out(total)
					if s.err != nil {
						return nil, nil, s.err
					}
					op, err := launchBack(s.d, c.rows, c.n, y, dy, dx)
					got, err := s.run(ctx, op, err, dx)
					return got, bwd(c.n, yv, dyv), err
				}},
			)
		}
	}
	return cs
}
