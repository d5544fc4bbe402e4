package gpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

func TestLucidColor(t *testing.T) {
	m := gpu.LucidColor()
	// column norms: the first (0.26, 0.27, 0.27) is the largest, ≈ 0.4619
	norm := math.Sqrt(0.26*0.26 + 0.27*0.27 + 0.27*0.27)
	if math.Abs(norm-0.4619) > 1e-4 {
		t.Fatalf("largest column norm %v, want ≈0.4619", norm)
	}
	want := [9]float64{0.26, 0.09, 0.02, 0.27, 0.00, -0.05, 0.27, -0.09, 0.03}
	for i, v := range want {
		if math.Abs(m[i]-v/norm) > 1e-15 {
			t.Errorf("M[%d] = %v, want %v", i, m[i], v/norm)
		}
	}
}

func TestToRGB(t *testing.T) {
	d := device(t)
	rng := newRand(45)
	worst := imgopsMaxErr{}
	shapes := []gpu.ColorShape{{N: 1, H: 1, W: 1}, {N: 2, H: 128, W: 129}, {N: 3, H: 7, W: 5}}
	for len(shapes) < 24 {
		shapes = append(shapes, gpu.ColorShape{N: 1 + rng.IntN(4), H: 1 + rng.IntN(40), W: 1 + rng.IntN(40)})
	}
	for i, s := range shapes {
		if i%2 == 0 {
			s.M = gpu.LucidColor()
		} else {
			for j := range s.M {
				s.M[j] = rng.NormFloat64()
			}
		}
		t.Run(fmt.Sprint(s.N, s.H, s.W), func(t *testing.T) {
			n := 3 * s.N * s.H * s.W
			var m [9]float64
			for j, v := range s.M {
				m[j] = float64(float32(v))
			}
			t32, tt := randVec(rng, n)
			bt, by := upload(t, d, t32), zeros(t, d, n)
			op, err := d.ToRGB(s, bt, by)
			run(t, d, op, err)
			rgb := read(t, d, by)
			worst.check(t, "to_rgb", rgb, ref.ToRGB(m, tt))

			dy32, dy := randVec(rng, n)
			bdy, bdt := upload(t, d, dy32), zeros(t, d, n)
			op, err = d.ToRGBBackward(s, by, bdy, bdt)
			run(t, d, op, err)
			worst.check(t, "to_rgb backward", read(t, d, bdt), ref.ToRGBBackward(m, tt, dy))
		})
	}
	worst.log(t)
}

// TestToRGBGrey checks the images whose channel count is not 3 (grey, or
// two channels): no decorrelation, the sigmoid per value, against gpu/ref's
// sigmoid activation and its backward pass (computed from the input).
func TestToRGBGrey(t *testing.T) {
	d := device(t)
	rng := newRand(46)
	worst := imgopsMaxErr{}
	sig := ref.Act{Kind: ref.ActSigmoid}
	for _, s := range []gpu.ColorShape{{N: 1, H: 1, W: 1, C: 1}, {N: 2, H: 28, W: 28, C: 1}, {N: 3, H: 7, W: 5, C: 2}, {N: 1, H: 129, W: 130, C: 1}} {
		s.M = gpu.LucidColor() // ignored
		t.Run(fmt.Sprint(s.N, s.H, s.W, s.C), func(t *testing.T) {
			n := s.C * s.N * s.H * s.W
			t32, tt := randVec(rng, n)
			for i := range tt {
				t32[i] *= 4 // reach the sigmoid's tails
				tt[i] = float64(t32[i])
			}
			bt, by := upload(t, d, t32), zeros(t, d, n)
			op, err := d.ToRGB(s, bt, by)
			run(t, d, op, err)
			worst.check(t, "sigmoid", read(t, d, by), ref.Activate(sig, tt))
			dy32, dy := randVec(rng, n)
			bdy, bdt := upload(t, d, dy32), zeros(t, d, n)
			op, err = d.ToRGBBackward(s, by, bdy, bdt)
			run(t, d, op, err)
			worst.check(t, "sigmoid backward", read(t, d, bdt), ref.ActivateBackward(sig, tt, dy))
		})
	}
	worst.log(t)
}

func TestToRGBErrors(t *testing.T) {
	d := device(t)
	a, b := zeros(t, d, 12), zeros(t, d, 12)
	s := gpu.ColorShape{N: 1, H: 2, W: 2, M: gpu.LucidColor()}
	nan := s
	nan.M[4] = math.NaN()
	for name, err := range map[string]error{
		"alias":      nnErr(d.ToRGB(s, a, a)),
		"size":       nnErr(d.ToRGB(gpu.ColorShape{N: 2, H: 2, W: 2}, a, b)),
		"grey size":  nnErr(d.ToRGB(gpu.ColorShape{N: 1, H: 2, W: 2, C: 1}, a, b)),
		"channels":   nnErr(d.ToRGB(gpu.ColorShape{N: 1, H: 2, W: 2, C: -1}, a, b)),
		"nan":        nnErr(d.ToRGB(nan, a, b)),
		"back alias": nnErr(d.ToRGBBackward(s, a, b, b)),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
