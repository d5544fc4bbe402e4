package stage

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hubelviz/hubel/gpu/ref"
)

// TestResize compares Resize with gpu/ref's bilinear resampler (the oracle)
// on the image padded by its edge pixels, which is what clamping to the
// edge samples.
func TestResize(t *testing.T) {
	for _, tc := range []struct{ n, w, h int }{
		{4, 4, 4}, {4, 9, 9}, {7, 16, 11}, {28, 300, 300}, {224, 451, 451}, {10, 5, 5}, {1, 3, 2},
	} {
		rng := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.w)))
		src := make([]byte, 4*tc.n*tc.n)
		for i := range src {
			src[i] = byte(rng.IntN(256))
		}
		got := Resize(src, tc.n, tc.w, tc.h, nil)
		if len(got) != 4*tc.w*tc.h {
			t.Fatalf("%+v: %d bytes, want %d", tc, len(got), 4*tc.w*tc.h)
		}
		// The padded image: (n+2)² pixels, the border repeating the edge.
		p := tc.n + 2
		pad := make([]float64, 4*p*p)
		for y := range p {
			for x := range p {
				sy, sx := min(max(y-1, 0), tc.n-1), min(max(x-1, 0), tc.n-1)
				for k := range 4 {
					pad[4*(y*p+x)+k] = float64(src[4*(sy*tc.n+sx)+k])
				}
			}
		}
		// Output (ox, oy) samples input ((ox+½)·n/w − ½, …), clamped to
		// [0, n−1]; in the padded image that is one pixel further on. The
		// clamp is not affine, so it is applied per pixel through a
		// one-pixel resample.
		worst := 0.0
		for oy := range tc.h {
			for ox := range tc.w {
				sx := min(max((float64(ox)+0.5)*float64(tc.n)/float64(tc.w)-0.5, 0), float64(tc.n-1)) + 1
				sy := min(max((float64(oy)+0.5)*float64(tc.n)/float64(tc.h)-0.5, 0), float64(tc.n-1)) + 1
				want := ref.Resample(pad, 1, p, p, 4, 1, 1, []float64{0, 0, sx, 0, 0, sy}, 0)
				for k := range 4 {
					worst = math.Max(worst, math.Abs(float64(got[4*(oy*tc.w+ox)+k])-want[k]))
				}
			}
		}
		// Rounding to bytes: at most ½, plus float32 arithmetic.
		if worst > 0.51 {
			t.Errorf("%+v: largest difference from gpu/ref %.3f > 0.51", tc, worst)
		}
	}
}

// TestResizeSameSize checks that a same-size resize copies the image.
func TestResizeSameSize(t *testing.T) {
	src := make([]byte, 4*5*5)
	for i := range src {
		src[i] = byte(i * 7)
	}
	got := Resize(src, 5, 5, 5, make([]byte, 3))
	for i := range src {
		if got[i] != src[i] {
			t.Fatalf("byte %d: %d, want %d", i, got[i], src[i])
		}
	}
	if r := Resize(src, 0, 5, 5, nil); len(r) != 0 {
		t.Errorf("n = 0: %d bytes, want none", len(r))
	}
}
