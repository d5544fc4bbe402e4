package ref

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestConcatSplitBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []struct {
		n, h, w int
		cs      []int
	}{{1, 1, 1, []int{1, 1}}, {2, 3, 2, []int{3, 1, 2}}, {1, 4, 5, []int{5}}, {3, 2, 3, []int{2, 4}}} {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			pix := tc.n * tc.h * tc.w
			sizes := make([]int, len(tc.cs))
			for i, c := range tc.cs {
				sizes[i] = pix * c
			}
			// parts flattened one after the other, as one vector for numGrad
			unflat := func(v []float64) [][]float64 {
				out := make([][]float64, len(sizes))
				for i, s := range sizes {
					out[i], v = v[:s], v[s:]
				}
				return out
			}
			x := randn(rng, pix*sumInts(tc.cs))
			wy := randn(rng, len(x))
			concat := func(v []float64) []float64 { return Concat(tc.n, tc.h, tc.w, tc.cs, unflat(v)) }
			checkGrad(t, "concat", concat, x, wy, slices.Concat(Split(tc.n, tc.h, tc.w, tc.cs, wy)...), fdTol)
			split := func(v []float64) []float64 { return slices.Concat(Split(tc.n, tc.h, tc.w, tc.cs, v)...) }
			checkGrad(t, "split", split, x, wy, Concat(tc.n, tc.h, tc.w, tc.cs, unflat(wy)), fdTol)
			if got := split(concat(x)); !slices.Equal(got, x) {
				t.Errorf("split(concat(x)) != x")
			}
		})
	}
}

func sumInts(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}

func TestPadCropBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, tc := range []struct{ n, h, w, c, top, bottom, left, right int }{
		{1, 1, 1, 1, 0, 0, 0, 0},
		{1, 2, 3, 1, 1, 0, 2, 1},
		{2, 3, 3, 3, 2, 2, 2, 2},
		{3, 4, 1, 2, 0, 3, 1, 0},
	} {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			oh, ow := tc.h+tc.top+tc.bottom, tc.w+tc.left+tc.right
			x := randn(rng, tc.n*tc.h*tc.w*tc.c)
			big := randn(rng, tc.n*oh*ow*tc.c)
			pad := func(v []float64) []float64 {
				return Pad(tc.n, tc.h, tc.w, tc.c, tc.top, tc.bottom, tc.left, tc.right, 0.5, v)
			}
			crop := func(v []float64) []float64 {
				return Crop(tc.n, oh, ow, tc.c, tc.top, tc.bottom, tc.left, tc.right, v)
			}
			wBig, wSmall := randn(rng, len(big)), randn(rng, len(x))
			checkGrad(t, "pad", pad, x, wBig, crop(wBig), fdTol)
			zeroPad := Pad(tc.n, tc.h, tc.w, tc.c, tc.top, tc.bottom, tc.left, tc.right, 0, wSmall)
			checkGrad(t, "crop", crop, big, wSmall, zeroPad, fdTol)
			if got := crop(pad(x)); !slices.Equal(got, x) {
				t.Errorf("crop(pad(x)) != x")
			}
			// the border holds the constant
			p := pad(x)
			if tc.top > 0 && p[0] != 0.5 {
				t.Errorf("pad: corner = %v, want 0.5", p[0])
			}
		})
	}
}
