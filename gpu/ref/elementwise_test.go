package ref

import (
	"math/rand/v2"
	"testing"
)

func TestMulBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 64} {
		x, y, w := randn(rng, n), randn(rng, n), randn(rng, n)
		dx, dy := MulBackward(x, y, w)
		checkGrad(t, "mul/x", func(v []float64) []float64 { return Mul(v, y) }, x, w, dx, fdTol)
		checkGrad(t, "mul/y", func(v []float64) []float64 { return Mul(x, v) }, y, w, dy, fdTol)
	}
}
