package gpu_test

import (
	"fmt"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// regRef returns the reference values and gradient of r on x.
func regRef(s gpu.NHWC, r gpu.Regularizer, x []float64) (vals, grad []float64) {
	eps, center := float64(float32(r.Eps)), float64(float32(r.Center))
	switch r.Kind {
	case gpu.RegTVSquared:
		return ref.TVSquared(s.N, s.H, s.W, s.C, x)
	case gpu.RegTVAbs:
		return ref.TVAbs(s.N, s.H, s.W, s.C, eps, x)
	case gpu.RegL1:
		return ref.L1(s.N, eps, center, x)
	default:
		return ref.L2(s.N, center, x)
	}
}

func TestRegularizers(t *testing.T) {
	d := device(t)
	rng := newRand(44)
	worst := imgopsMaxErr{}
	shapes := []gpu.NHWC{{1, 1, 1, 1}, {2, 1, 7, 3}, {3, 9, 1, 2}, {2, 64, 45, 3}}
	for len(shapes) < 24 {
		shapes = append(shapes, gpu.NHWC{N: 1 + rng.IntN(4), H: 1 + rng.IntN(24), W: 1 + rng.IntN(24), C: 1 + rng.IntN(4)})
	}
	regs := []gpu.Regularizer{
		{Kind: gpu.RegTVSquared, Coef: 0.3},
		{Kind: gpu.RegTVAbs, Coef: -1.5},
		{Kind: gpu.RegTVAbs, Coef: 0.7, Eps: 0.01},
		{Kind: gpu.RegL1, Coef: 2, Center: 0.5},
		{Kind: gpu.RegL1, Coef: 0.1, Eps: 1e-3, Center: -0.2},
		{Kind: gpu.RegL2, Coef: 0.05, Center: 0.5},
	}
	for _, s := range shapes {
		for _, r := range regs {
			t.Run(fmt.Sprintf("%s/%v/%+v", r.Kind, s, r), func(t *testing.T) {
				n := s.N * s.H * s.W * s.C
				x32, x := randVec(rng, n)
				g32, g := randVec(rng, n)
				bx, bg, bv := upload(t, d, x32), upload(t, d, g32), zeros(t, d, s.N)
				op, err := d.Regularize(s, r, bx, bg, bv)
				run(t, d, op, err)
				vals, grad := regRef(s, r, x)
				worst.check(t, r.Kind.String()+" value", read(t, d, bv), vals)
				worst.check(t, r.Kind.String()+" gradient", read(t, d, bg), ref.AXPBY(g, grad, 1, float64(float32(r.Coef))))
			})
		}
	}
	worst.log(t)
}

func TestRegularizerParts(t *testing.T) {
	d := device(t)
	s := gpu.NHWC{N: 2, H: 3, W: 4, C: 3}
	r := gpu.Regularizer{Kind: gpu.RegL2, Coef: 1}
	x, g, v := zeros(t, d, 72), zeros(t, d, 72), zeros(t, d, 2)
	for name, err := range map[string]error{
		"neither":        nnErr(d.Regularize(s, r, x, nil, nil)),
		"grad is x":      nnErr(d.Regularize(s, r, x, x, v)),
		"values size":    nnErr(d.Regularize(s, r, x, g, g)),
		"negative eps":   nnErr(d.Regularize(s, gpu.Regularizer{Kind: gpu.RegL1, Eps: -1}, x, g, v)),
		"unknown kind":   nnErr(d.Regularize(s, gpu.Regularizer{Kind: 9}, x, g, v)),
		"too many image": nnErr(d.Regularize(gpu.NHWC{N: 70000, H: 1, W: 1, C: 1}, r, x, g, v)),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// values only, gradient only: one dispatch each
	for _, only := range []string{"values", "grad"} {
		gb, vb := g, v
		if only == "values" {
			gb = nil
		} else {
			vb = nil
		}
		op, err := d.Regularize(s, r, x, gb, vb)
		before := gpu.ReadStats().Dispatches
		run(t, d, op, err)
		if n := gpu.ReadStats().Dispatches - before; n != 1 {
			t.Errorf("%s only: %d dispatches, want 1", only, n)
		}
	}
}
