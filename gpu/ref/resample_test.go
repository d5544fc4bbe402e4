package ref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// resampleRandMat returns a matrix that rotates by up to ±45°, magnifies by
// 0.5–2 and translates randomly, mapping the output's centre near the
// input's centre.
func resampleRandMat(rng *rand.Rand, h, w, oh, ow int) []float64 {
	th := (rng.Float64()*2 - 1) * math.Pi / 4
	s := 0.5 + 1.5*rng.Float64()
	cs, sn := math.Cos(th)/s, math.Sin(th)/s
	ocx, ocy := float64(ow-1)/2, float64(oh-1)/2
	icx := float64(w-1)/2 + 3*rng.NormFloat64()
	icy := float64(h-1)/2 + 3*rng.NormFloat64()
	return []float64{
		cs, -sn, icx - cs*ocx + sn*ocy,
		sn, cs, icy - sn*ocx - cs*ocy,
	}
}

type resampleCase struct{ n, h, w, c, oh, ow int }

var resampleCases = []resampleCase{
	{1, 1, 1, 1, 1, 1},
	{1, 5, 7, 3, 6, 4},
	{2, 6, 6, 1, 9, 11},
	{3, 4, 9, 5, 3, 8},
	{2, 8, 5, 3, 12, 12},
}

func TestResampleAdjointExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range resampleCases {
		for _, fill := range []float64{0, 0.5} {
			t.Run(fmt.Sprint(tc, fill), func(t *testing.T) {
				var mats []float64
				for range tc.n {
					mats = append(mats, resampleRandMat(rng, tc.h, tc.w, tc.oh, tc.ow)...)
				}
				x := randn(rng, tc.n*tc.h*tc.w*tc.c)
				wy := randn(rng, tc.n*tc.oh*tc.ow*tc.c)
				y := Resample(x, tc.n, tc.h, tc.w, tc.c, tc.oh, tc.ow, mats, fill)
				y0 := Resample(make([]float64, len(x)), tc.n, tc.h, tc.w, tc.c, tc.oh, tc.ow, mats, fill)
				lin := AXPBY(y, y0, 1, -1) // the linear part, without the fill's constant
				adj := ResampleAdjoint(wy, tc.n, tc.h, tc.w, tc.c, tc.oh, tc.ow, mats)
				a, b := dot(lin, wy), dot(x, adj)
				if e := math.Abs(a-b) / math.Max(math.Abs(a), 1); e > 1e-12 {
					t.Errorf("<Y(X),W> = %.17g, <X,adj(W)> = %.17g: rel err %.3g", a, b, e)
				}
				checkGrad(t, "resample/x", func(v []float64) []float64 {
					return Resample(v, tc.n, tc.h, tc.w, tc.c, tc.oh, tc.ow, mats, fill)
				}, x, wy, adj, fdTol)
			})
		}
	}
}

// TestResampleKnownValues pins the convention: pixel centres at integers,
// the fill blending with border pixels where a sample straddles the edge.
func TestResampleKnownValues(t *testing.T) {
	// A 1×2×3×1 image, sampled by identity, a half-pixel shift left, and a
	// whole-pixel shift down.
	x := []float64{1, 2, 3, 4, 5, 6}
	cases := []struct {
		m    []float64
		want []float64
	}{
		{[]float64{1, 0, 0, 0, 1, 0}, []float64{1, 2, 3, 4, 5, 6}},
		{[]float64{1, 0, -0.5, 0, 1, 0}, []float64{0.5*1 + 0.5*9, 1.5, 2.5, 0.5*4 + 0.5*9, 4.5, 5.5}},
		{[]float64{1, 0, 0, 0, 1, 1}, []float64{4, 5, 6, 9, 9, 9}},
		{[]float64{0, 1, 0, 1, 0, 0}, []float64{1, 4, 2, 5, 3, 6}}, // transpose into a 3×2 output
	}
	for i, tc := range cases {
		oh, ow := 2, 3
		if i == 3 {
			oh, ow = 3, 2
		}
		got := Resample(x, 1, 2, 3, 1, oh, ow, tc.m, 9)
		if relErr(got, tc.want) > 1e-15 {
			t.Errorf("case %d: got %v, want %v", i, got, tc.want)
		}
	}
}
