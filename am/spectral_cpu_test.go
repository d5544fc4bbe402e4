package am

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// TestCPUSpectralSizes checks the CPU backend's Fourier image, whose
// passes are Cooley–Tukey steps, at the app's sizes and at odd, prime and
// awkward ones (h prime: the y pass's direct sum; wt = 2·prime: an x pass
// step with m1 = 2), where gpu/ref's direct sum over the whole image would
// take minutes: against gpu/ref pixel by pixel on a whole row and a whole
// column (an error in either pass shows in every x or every y of some
// residue class) and at random pixels, and against the backward pass (a
// plain separable sum) by the adjoint identity ⟨F s, g⟩ = ⟨s, Fᵀ g⟩.
func TestCPUSpectralSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, hw := range [][2]int{{16, 16}, {31, 31}, {64, 64}, {128, 128}, {224, 224}, {232, 232}, {250, 250},
		{29, 250}, {250, 31}, {60, 62}, {17, 2}, {16, 1}} {
		s := gpu.SpectralShape{B: 2, C: 2, H: hw[0], W: hw[1], Decay: 1, OutScale: 0.25}
		spec, dimg := make([]float64, s.SpectrumLen()), make([]float64, s.B*s.H*s.W*s.C)
		for _, v := range [][]float64{spec, dimg} {
			for i := range v {
				v[i] = rng.NormFloat64()
			}
		}
		img, dspec := make([]float64, len(dimg)), make([]float64, len(spec))
		fwd, back, err := CPUBackend{}.Spectral(s, spec, img, dimg, dspec)
		if err != nil {
			t.Fatal(err)
		}
		fwd()
		back()

		scale := ref.LucidFrequencyScale(s.H, s.W, s.Decay)
		type px struct{ n, ch, y, x int }
		var pxs []px
		row, column := rng.IntN(s.H), rng.IntN(s.W)
		for x := range s.W {
			pxs = append(pxs, px{1, 0, row, x})
		}
		for y := range s.H {
			pxs = append(pxs, px{0, 1, y, column})
		}
		for range 20 {
			pxs = append(pxs, px{rng.IntN(s.B), rng.IntN(s.C), rng.IntN(s.H), rng.IntN(s.W)})
		}
		var num, den float64
		for _, p := range pxs {
			want := ref.SpectralPixel(spec, scale, s.C, s.H, s.W, s.OutScale, p.n, p.ch, p.y, p.x)
			got := img[((p.n*s.H+p.y)*s.W+p.x)*s.C+p.ch]
			num, den = math.Max(num, math.Abs(got-want)), math.Max(den, math.Abs(want))
		}
		if e := num / den; !(e <= 1e-12) {
			t.Errorf("%dx%d: image differs from gpu/ref by %.3g", s.H, s.W, e)
		}

		var lhs, rhs, mag float64
		for i := range img {
			lhs += img[i] * dimg[i]
			mag += math.Abs(img[i] * dimg[i])
		}
		for i := range spec {
			rhs += spec[i] * dspec[i]
		}
		if e := math.Abs(lhs-rhs) / mag; !(e <= 1e-12) {
			t.Errorf("%dx%d: ⟨F s, g⟩ = %.15g, ⟨s, Fᵀ g⟩ = %.15g: relative difference %.3g", s.H, s.W, lhs, rhs, e)
		}
	}
}
