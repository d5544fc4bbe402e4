package ref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestGEMMBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := []GEMMShape{
		{Batch: 1, M: 1, N: 1, K: 1, Alpha: 1},
		{Batch: 1, M: 3, N: 4, K: 5, Alpha: 1},
		{Batch: 1, M: 3, N: 4, K: 5, Alpha: -0.7, Beta: 0.5, TransA: true},
		{Batch: 1, M: 4, N: 2, K: 3, Alpha: 1.3, TransB: true},
		{Batch: 2, M: 2, N: 3, K: 4, Alpha: 0.9, TransA: true, TransB: true},
		{Batch: 3, M: 2, N: 3, K: 2, Alpha: 1, SharedB: true},
		{Batch: 2, M: 3, N: 2, K: 3, Alpha: 2, SharedA: true, TransA: true, Beta: 1},
	}
	for _, s := range shapes {
		t.Run(fmt.Sprintf("%+v", s), func(t *testing.T) {
			na, nb := s.M*s.K, s.K*s.N
			if !s.SharedA {
				na *= s.Batch
			}
			if !s.SharedB {
				nb *= s.Batch
			}
			a, b, c, bias := randn(rng, na), randn(rng, nb), randn(rng, s.Batch*s.M*s.N), randn(rng, s.N)
			w := randn(rng, s.Batch*s.M*s.N)
			da, db, dbias := GEMMBackward(s, a, b, w)
			checkGrad(t, "A", func(v []float64) []float64 { return GEMM(s, v, b, c, bias) }, a, w, da, fdTol)
			checkGrad(t, "B", func(v []float64) []float64 { return GEMM(s, a, v, c, bias) }, b, w, db, fdTol)
			checkGrad(t, "bias", func(v []float64) []float64 { return GEMM(s, a, b, c, v) }, bias, w, dbias, fdTol)
		})
	}
}

// TestGEMMSmall checks GEMM on products worked by hand, and that Beta = 0
// ignores NaN in C.
func TestGEMMSmall(t *testing.T) {
	a := []float64{1, 2, 3, 4, 5, 6} // 2×3
	b := []float64{1, 0, 0, 1, 1, 1} // 3×2
	nan := math.NaN()
	got := GEMM(GEMMShape{Batch: 1, M: 2, N: 2, K: 3, Alpha: 1}, a, b, []float64{nan, nan, nan, nan}, []float64{10, 20})
	want := []float64{14, 25, 20, 31}
	if relErr(got, want) > 0 {
		t.Errorf("A*B+bias = %v, want %v", got, want)
	}
	// AᵀBᵀ with A stored 3×2 and B stored 2×3 is the same product.
	at := []float64{1, 4, 2, 5, 3, 6}
	bt := []float64{1, 0, 1, 0, 1, 1}
	got = GEMM(GEMMShape{Batch: 1, M: 2, N: 2, K: 3, Alpha: 2, Beta: -1, TransA: true, TransB: true}, at, bt, []float64{1, 1, 1, 1}, nil)
	want = []float64{7, 9, 19, 21}
	if relErr(got, want) > 0 {
		t.Errorf("2*AᵀBᵀ-C = %v, want %v", got, want)
	}
}
