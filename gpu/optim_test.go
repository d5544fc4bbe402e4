package gpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

func optimSizes() []int {
	rng := newRand(46)
	sizes := []int{1, 255, 256, 257, 3 * 128 * 128}
	for len(sizes) < 24 {
		sizes = append(sizes, 1+rng.IntN(5000))
	}
	return sizes
}

// f32s rounds v to float32 and back, as the GPU stores it.
func f32s(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(float32(x))
	}
	return out
}

func TestAdam(t *testing.T) {
	d := device(t)
	rng := newRand(47)
	worst := imgopsMaxErr{}
	const steps = 6
	for _, n := range optimSizes() {
		c := gpu.AdamDefaults(0.05)
		if n%2 == 1 {
			c = gpu.AdamConfig{LR: 0.01 + rng.Float64(), Beta1: 0.5 + 0.4*rng.Float64(), Beta2: 0.9 + 0.099*rng.Float64(), Eps: 1e-3}
		}
		t.Run(fmt.Sprintf("%d/%+v", n, c), func(t *testing.T) {
			x32, x := randVec(rng, n)
			// moments start as garbage: Reset must clear them
			junk, _ := randVec(rng, n)
			bx, bg, bm, bv := upload(t, d, x32), zeros(t, d, n), upload(t, d, junk), upload(t, d, junk)
			m, v := make([]float64, n), make([]float64, n)
			a, err := d.Adam(c, bx, bg, bm, bv)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(a.Release)
			cc := gpu.AdamConfig{LR: float64(float32(c.LR)), Beta1: float64(float32(c.Beta1)), Beta2: float64(float32(c.Beta2)), Eps: float64(float32(c.Eps))}
			for step := 1; step <= steps; step++ {
				g32, g := randVec(rng, n)
				if err := bg.Write(g32); err != nil {
					t.Fatal(err)
				}
				if err := a.SetStep(step); err != nil {
					t.Fatal(err)
				}
				var op gpu.Op = a
				if step == 1 {
					op = gpu.Seq{a.Reset(), a}
				}
				run(t, d, op, nil)
				ref.AdamStep(x, g, m, v, cc.LR, cc.Beta1, cc.Beta2, cc.Eps, step)
				worst.check(t, fmt.Sprint("adam x, step ", step), read(t, d, bx), x)
				// continue from what the GPU holds, so that errors do not compound
				x, m, v = f32s(x), f32s(m), f32s(v)
			}
			worst.check(t, "adam m", read(t, d, bm), m)
			worst.check(t, "adam v", read(t, d, bv), v)
		})
	}
	worst.log(t)
}

func TestSGD(t *testing.T) {
	d := device(t)
	rng := newRand(48)
	worst := imgopsMaxErr{}
	for _, n := range optimSizes() {
		lr, mu := 0.01+rng.Float64(), 0.95*rng.Float64()
		if n == 1 {
			mu = 0
		}
		t.Run(fmt.Sprint(n, lr, mu), func(t *testing.T) {
			x32, x := randVec(rng, n)
			junk, _ := randVec(rng, n)
			bx, bg, bv := upload(t, d, x32), zeros(t, d, n), upload(t, d, junk)
			v := make([]float64, n)
			s, err := d.SGD(lr, mu, bx, bg, bv)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Release)
			for step := range 5 {
				if step == 3 { // a schedule: the rate changes mid-run
					lr /= 2
					if err := s.SetLR(lr); err != nil {
						t.Fatal(err)
					}
				}
				g32, g := randVec(rng, n)
				if err := bg.Write(g32); err != nil {
					t.Fatal(err)
				}
				var op gpu.Op = s
				if step == 0 {
					op = gpu.Seq{s.Reset(), s}
				}
				run(t, d, op, nil)
				ref.MomentumStep(x, g, v, float64(float32(lr)), float64(float32(mu)))
				worst.check(t, fmt.Sprint("sgd x, step ", step), read(t, d, bx), x)
				x, v = f32s(x), f32s(v)
			}
			worst.check(t, "sgd v", read(t, d, bv), v)
		})
	}
	worst.log(t)
}

func TestOptimSetParamsAllocs(t *testing.T) {
	d := device(t)
	b := func() *gpu.Buffer { return zeros(t, d, 100) }
	a, err := d.Adam(gpu.AdamDefaults(0.05), b(), b(), b(), b())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	step := 1
	allocs := testing.AllocsPerRun(20, func() {
		step++
		if err := a.SetStep(step); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("Adam.SetStep: %v Go allocations per call", allocs)
	// submit before releasing: gogpu flushes queued writes at the next
	// submit, and one into a released uniform buffer crashes the driver
	run(t, d, a, nil)
}

func TestOptimErrors(t *testing.T) {
	d := device(t)
	a, b, c, e := zeros(t, d, 10), zeros(t, d, 10), zeros(t, d, 10), zeros(t, d, 11)
	for name, err := range map[string]error{
		"adam alias":     nnErr(d.Adam(gpu.AdamDefaults(0.1), a, b, b, c)),
		"adam size":      nnErr(d.Adam(gpu.AdamDefaults(0.1), a, b, c, e)),
		"adam beta":      nnErr(d.Adam(gpu.AdamConfig{LR: 0.1, Beta1: 1, Beta2: 0.9}, a, b, c, e)),
		"adam nil":       nnErr(d.Adam(gpu.AdamDefaults(0.1), nil, b, c, e)),
		"sgd alias":      nnErr(d.SGD(0.1, 0.9, a, a, b)),
		"sgd nan":        nnErr(d.SGD(0.1, math.NaN(), a, b, c)),
		"sgd nil buffer": nnErr(d.SGD(0.1, 0.9, a, b, nil)),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	ad, err := d.Adam(gpu.AdamDefaults(0.1), a, b, c, zeros(t, d, 10))
	if err != nil {
		t.Fatal(err)
	}
	if ad.SetStep(0) == nil {
		t.Error("adam step 0: no error")
	}
	// submit before releasing (see TestOptimSetParamsAllocs)
	run(t, d, ad, nil)
}
