package selftest

import (
	"context"
	"fmt"
	"math"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// relu6Ref is ReLU6 as gpu/ref spells it.
var relu6Ref = ref.Act{Kind: ref.ActReLU, Cap: 6}

// activationInputs draws batch images of n values each, spread (σ 4) so
// that ReLU6 clips at both ends. The last image has none in [0, 6], so the
// redirected gradient takes its redirect branch there.
func activationInputs(rng interface{ NormFloat64() float64 }, batch, n int) []float64 {
	x := make([]float64, batch*n)
	for i := range x {
		x[i] = 4 * rng.NormFloat64()
		if i >= (batch-1)*n {
			x[i] = -0.1 - math.Abs(x[i])
			if i%2 == 0 {
				x[i] = 6.1 - x[i]
			}
		}
	}
	return x
}

// activationChecks: ReLU6 forward and backward, and Lucid's redirected
// ReLU6 gradient, on one image smaller than a workgroup and on two images
// of a size that is not a multiple of it.
func activationChecks() []check {
	var cs []check
	for _, c := range []struct{ batch, n int }{{1, 100}, {2, 1000}} {
		dims, total := fmt.Sprintf("%d×%d", c.batch, c.n), c.batch*c.n
		for _, kernel := range []string{"ReLU6 forward", "ReLU6 backward", "ReLU6 redirected backward"} {
			cs = append(cs, check{kernel, dims, total, func(ctx context.Context, s *session) ([]float32, []float64, error) {
				x, xv := s.vals(activationInputs(s.rng, c.batch, c.n))
				dy, dyv := s.in(total)
				out := s.out(total)
				if s.err != nil {
					return nil, nil, s.err
				}
				switch kernel {
				case "ReLU6 forward":
					op, err := s.d.Activate(gpu.ReLU6(), x, out)
					got, err := s.run(ctx, op, err, out)
					return got, ref.Activate(relu6Ref, xv), err
				case "ReLU6 backward":
					op, err := s.d.ActivationBackward(gpu.ReLU6(), x, dy, out)
					got, err := s.run(ctx, op, err, out)
					return got, ref.ActivateBackward(relu6Ref, xv, dyv), err
				}
				op, err := s.d.ActivationBackwardRedirected(gpu.ReLU6(), c.batch, x, dy, out)
				got, err := s.run(ctx, op, err, out)
				return got, ref.ReLUBackwardRedirected(6, c.batch, xv, dyv), err
			}})
		}
	}
	return cs
}
