package ref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestBlurMirror(t *testing.T) {
	// n = 3: … 2 1 0 | 0 1 2 | 2 1 0 | 0 …
	want := map[int]int{-4: 2, -3: 2, -2: 1, -1: 0, 0: 0, 2: 2, 3: 2, 4: 1, 5: 0, 6: 0, 7: 1}
	for tt, w := range want {
		if got := blurMirror(tt, 3); got != w {
			t.Errorf("blurMirror(%d, 3) = %d, want %d", tt, got, w)
		}
	}
	if blurMirror(-7, 1) != 0 || blurMirror(5, 1) != 0 {
		t.Error("blurMirror on a 1-pixel line must always give 0")
	}
}

var imageShapes = []struct{ n, h, w, c int }{
	{1, 1, 1, 1}, {1, 5, 4, 1}, {2, 3, 7, 3}, {3, 6, 2, 2}, {1, 9, 9, 3},
}

func TestBlurSelfAdjointFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, s := range imageShapes {
		for _, sigma := range []float64{0, 0.4, 1, 2.5} { // 2.5: radius 8, past the small images' edges
			t.Run(fmt.Sprint(s, sigma), func(t *testing.T) {
				x, y := randn(rng, s.n*s.h*s.w*s.c), randn(rng, s.n*s.h*s.w*s.c)
				blur := func(v []float64) []float64 { return Blur(s.n, s.h, s.w, s.c, sigma, v) }
				a, b := dot(blur(x), y), dot(x, blur(y))
				if e := math.Abs(a-b) / math.Max(math.Abs(a), 1); e > 1e-12 {
					t.Errorf("<Bx,y> = %.17g, <x,By> = %.17g: not self-adjoint", a, b)
				}
				checkGrad(t, "blur", blur, x, y, blur(y), fdTol)
				// a constant image stays constant
				one := make([]float64, len(x))
				for i := range one {
					one[i] = 1.5
				}
				for _, v := range blur(one) {
					if math.Abs(v-1.5) > 1e-12 {
						t.Fatalf("blur of a constant: %v", v)
					}
				}
			})
		}
	}
}

func TestBlurKnown(t *testing.T) {
	// σ = 1/3: radius 1, weights e^{-4.5}, 1, e^{-4.5} normalised; a 1×3
	// line [1 0 0] reflects to (1) 1 0 0 (0).
	e := math.Exp(-4.5)
	s := 1 + 2*e
	got := Blur(1, 1, 3, 1, 1.0/3, []float64{1, 0, 0})
	want := []float64{(1 + e) / s, e / s, 0}
	if relErr(got, want) > 1e-15 {
		t.Errorf("blur: got %v, want %v", got, want)
	}
}

func TestToRGBBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, pix := range []int{1, 2, 7, 20} {
		var m [9]float64
		for i := range m {
			m[i] = rng.NormFloat64()
		}
		tt, w := randn(rng, 3*pix), randn(rng, 3*pix)
		checkGrad(t, fmt.Sprint("to_rgb/", pix), func(v []float64) []float64 { return ToRGB(m, v) }, tt, w, ToRGBBackward(m, tt, w), fdTol)
	}
	// identity matrix: plain sigmoid
	got := ToRGB([9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, []float64{0, 2, -1})
	want := []float64{0.5, 1 / (1 + math.Exp(-2)), 1 / (1 + math.Exp(1))}
	if relErr(got, want) > 1e-15 {
		t.Errorf("to_rgb identity: got %v, want %v", got, want)
	}
}

// perImage scales each image's block of g by w[b]: the gradient of
// Σ_b w_b R_b when g is the gradient of every R_b.
func perImage(n int, g, w []float64) []float64 {
	out := make([]float64, len(g))
	per := len(g) / n
	for i := range g {
		out[i] = g[i] * w[i/per]
	}
	return out
}

func TestRegularizersFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	type reg struct {
		name string
		f    func(n, h, w, c int, x []float64) ([]float64, []float64)
	}
	regs := []reg{
		{"tv2", TVSquared},
		{"tv1/eps", func(n, h, w, c int, x []float64) ([]float64, []float64) { return TVAbs(n, h, w, c, 0.01, x) }},
		{"tv1/sign", func(n, h, w, c int, x []float64) ([]float64, []float64) { return TVAbs(n, h, w, c, 0, x) }},
		{"l1/eps", func(n, h, w, c int, x []float64) ([]float64, []float64) { return L1(n, 1e-3, 0.5, x) }},
		{"l1/sign", func(n, h, w, c int, x []float64) ([]float64, []float64) { return L1(n, 0, -0.25, x) }},
		{"l2", func(n, h, w, c int, x []float64) ([]float64, []float64) { return L2(n, 0.5, x) }},
	}
	for _, s := range imageShapes {
		for _, r := range regs {
			t.Run(fmt.Sprint(r.name, s), func(t *testing.T) {
				// random normals: differences are far from the kink at 0
				// (almost surely more than the step 1e-6)
				x, w := randn(rng, s.n*s.h*s.w*s.c), randn(rng, s.n)
				_, g := r.f(s.n, s.h, s.w, s.c, x)
				vals := func(v []float64) []float64 { vs, _ := r.f(s.n, s.h, s.w, s.c, v); return vs }
				checkGrad(t, r.name, vals, x, w, perImage(s.n, g, w), fdTol)
			})
		}
	}
}

func TestRegularizersKnown(t *testing.T) {
	// one 2×2 image, one channel: [[0 1] [3 5]]
	x := []float64{0, 1, 3, 5}
	// squared differences: (1-0)² + (5-3)² horizontally, (3-0)² + (5-1)² vertically
	if v, _ := TVSquared(1, 2, 2, 1, x); v[0] != 1+4+9+16 {
		t.Errorf("tv2 = %v, want 30", v[0])
	}
	if v, _ := TVAbs(1, 2, 2, 1, 0, x); v[0] != 1+2+3+4 {
		t.Errorf("tv1 = %v, want 10", v[0])
	}
	if v, _ := L1(2, 0, 1, x); v[0] != 1+0 || v[1] != 2+4 {
		t.Errorf("l1 = %v, want [1 6]", v)
	}
	if v, _ := L2(1, 0, x); v[0] != 0+1+9+25 {
		t.Errorf("l2 = %v, want 35", v[0])
	}
	if _, g := L1(1, 0, 1, x); g[1] != 0 || g[0] != -1 || g[3] != 1 {
		t.Errorf("l1 subgradient = %v, want [-1 0 1 1]", g)
	}
}
