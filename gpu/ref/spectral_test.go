package ref

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSpectralBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range []struct{ b, c, h, w int }{{1, 1, 4, 4}, {2, 3, 5, 6}, {1, 2, 6, 5}, {1, 3, 3, 7}} {
		spec := randn(rng, s.b*s.c*2*s.h*SpectralWF(s.w))
		wimg := randn(rng, s.b*s.h*s.w*s.c)
		f := func(v []float64) []float64 { return SpectralImage(v, s.b, s.c, s.h, s.w, 1, 0.25) }
		checkGrad(t, "spectral", f, spec, wimg, SpectralImageBackward(wimg, s.b, s.c, s.h, s.w, 1, 0.25), fdTol)
	}
}

// Two facts of irfft2 pin the conventions: a DC-only spectrum is a constant
// image of value DC/(h·w) (times the scalings), and bin (0, 1) with value 1
// is 2·cos(2πx/W)/(h·W).
func TestSpectralKnownValues(t *testing.T) {
	const h, w = 4, 6
	wf := SpectralWF(w)
	scale := LucidFrequencyScale(h, w, 1)
	spec := make([]float64, 2*h*wf)
	spec[0] = 1 / scale[0]
	img := SpectralImage(spec, 1, 1, h, w, 1, 1)
	for i, v := range img {
		if math.Abs(v-1.0/(h*w)) > 1e-15 {
			t.Fatalf("DC: pixel %d = %v, want %v", i, v, 1.0/(h*w))
		}
	}
	spec[0] = 0
	spec[1] = 1 / scale[1]
	img = SpectralImage(spec, 1, 1, h, w, 1, 1)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			want := 2 * math.Cos(2*math.Pi*float64(x)/w) / (h * w)
			if math.Abs(img[y*w+x]-want) > 1e-15 {
				t.Fatalf("bin (0,1): pixel (%d,%d) = %v, want %v", x, y, img[y*w+x], want)
			}
		}
	}
	// Lucid's scale at DC is sqrt(w·h)·max(w,h) (the frequency floor).
	if got, want := scale[0], math.Sqrt(w*h)*6; math.Abs(got-want) > 1e-12 {
		t.Errorf("scale at DC = %v, want %v", got, want)
	}
}
