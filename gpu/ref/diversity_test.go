package ref

import (
	"math/rand/v2"
	"testing"
)

func TestDiversityGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, s := range [][3]int{{2, 3, 2}, {3, 5, 4}, {4, 2, 3}, {1, 4, 2}} {
		n, hw, c := s[0], s[1], s[2]
		x, w := randn(rng, n*hw*c), randn(rng, n)
		_, grad := Diversity(n, hw, c, w, x)
		f := func(x []float64) []float64 { v, _ := Diversity(n, hw, c, w, x); return v }
		checkGrad(t, "diversity", f, x, w, grad, fdTol)
	}
	// Identical images are as similar as can be: each value is −(n−1)/n.
	x := randn(rng, 5*3)
	v, _ := Diversity(2, 5, 3, []float64{1, 1}, append(append([]float64(nil), x...), x...))
	if v[0] > -0.5+1e-12 || v[0] < -0.5-1e-12 {
		t.Errorf("two identical images: value %v, want -0.5", v[0])
	}
}
