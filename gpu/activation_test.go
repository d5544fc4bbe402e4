package gpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

func nnActRef(a gpu.Activation) ref.Act {
	return ref.Act{Kind: ref.ActKind(a.Kind), Slope: float64(float32(a.Slope)), Cap: a.Cap}
}

func TestActivations(t *testing.T) {
	d := device(t)
	rng := newRand(23)
	acts := map[string]gpu.Activation{
		"identity": {}, "relu": gpu.ReLU(), "relu6": gpu.ReLU6(), "leaky": gpu.LeakyReLU(0.2),
		"capped-leaky": {Kind: gpu.ActReLU, Slope: 0.3, Cap: 2.5}, "sigmoid": gpu.Sigmoid(), "tanh": gpu.Tanh(),
	}
	sizes := []int{1, 7, 255, 256, 257, 1000, 1001}
	for len(sizes) < 22 {
		sizes = append(sizes, 1+rng.IntN(50000))
	}
	worst := nnWorst{}
	for _, n := range sizes {
		x32, x := randVec(rng, n)
		dy32, dy := randVec(rng, n)
		for i := range x32 { // wide range: saturate sigmoid/tanh, cross the ReLU6 cap
			x32[i] *= 4
			x[i] = float64(x32[i])
		}
		// The kinks themselves and extremes, where conventions show.
		for i, v := range []float32{0, 6, 2.5, -100, 100, -30, 30} {
			if i < n {
				x32[i], x[i] = v, float64(v)
			}
		}
		bx, bdy, y, dx := upload(t, d, x32), upload(t, d, dy32), zeros(t, d, n), zeros(t, d, n)
		for name, a := range acts {
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				op, err := d.Activate(a, bx, y)
				run(t, d, op, err)
				worst.check(t, name, read(t, d, y), ref.Activate(nnActRef(a), x))
				op, err = d.ActivationBackward(a, bx, bdy, dx)
				run(t, d, op, err)
				worst.check(t, name+" backward", read(t, d, dx), ref.ActivateBackward(nnActRef(a), x, dy))
			})
		}
	}
	worst.log(t)
}

func TestActivationBackwardRedirected(t *testing.T) {
	d := device(t)
	rng := newRand(24)
	worst := nnWorst{}
	for i := range 24 {
		batch := 2 + rng.IntN(4)
		inner := 1 + rng.IntN(3000)
		if i == 0 {
			batch, inner = 3, 112*112*8 // long images: several row groups in the norm
		}
		a := gpu.ReLU()
		if i%2 == 1 {
			a = gpu.ReLU6()
		}
		n := batch * inner
		x32, x := randVec(rng, n)
		dy32, dy := randVec(rng, n)
		// Per image: a normal mix, every unit off (below 0, or for ReLU6
		// also above 6), on but with zero gradient there, or all off but one
		// with a tiny gradient (enough to keep the ordinary gradient).
		for b := range batch {
			mode := (b + i) % 4
			for j := b * inner; j < (b+1)*inner; j++ {
				v := 4 * x32[j]
				switch {
				case mode >= 1 && mode != 2 && v >= 0 && a.Cap == 6 && j%2 == 0:
					v += 6.5
				case mode >= 1 && mode != 2 && v >= 0:
					v = -v - 0.5
				case mode == 2 && v >= 0 && v <= 6:
					dy32[j], dy[j] = 0, 0
				}
				x32[j], x[j] = v, float64(v)
			}
			if mode == 3 { // one unit on, at 0 or at the cap (Lucid counts both as on)
				j := b*inner + rng.IntN(inner)
				edge := 2.0
				if a.Cap == 6 {
					edge = 6
				}
				v := float32([]float64{0, 0, 1, edge, edge}[rng.IntN(5)])
				x32[j], x[j] = v, float64(v)
				dy32[j], dy[j] = 1e-3, float64(float32(1e-3))
			}
		}
		name := fmt.Sprintf("%s/%dx%d", map[bool]string{true: "relu6", false: "relu"}[a.Cap == 6], batch, inner)
		t.Run(name, func(t *testing.T) {
			bx, bdy, dx := upload(t, d, x32), upload(t, d, dy32), zeros(t, d, n)
			op, err := d.ActivationBackwardRedirected(a, batch, bx, bdy, dx)
			run(t, d, op, err)
			worst.check(t, "redirected", read(t, d, dx), ref.ReLUBackwardRedirected(a.Cap, batch, x, dy))
		})
	}
	// Leaky ReLU and smooth functions are not redirected.
	x32, x := randVec(rng, 40)
	dy32, dy := randVec(rng, 40)
	bx, bdy, dx := upload(t, d, x32), upload(t, d, dy32), zeros(t, d, 40)
	for _, a := range []gpu.Activation{gpu.LeakyReLU(0.1), gpu.Tanh()} {
		op, err := d.ActivationBackwardRedirected(a, 2, bx, bdy, dx)
		run(t, d, op, err)
		worst.check(t, "redirected (not ReLU)", read(t, d, dx), ref.ActivateBackward(nnActRef(a), x, dy))
	}
	worst.log(t)
}

func TestActivationErrors(t *testing.T) {
	d := device(t)
	x, y, short := zeros(t, d, 10), zeros(t, d, 10), zeros(t, d, 9)
	for name, err := range map[string]error{
		"zero cap":   nnErr(d.Activate(gpu.Activation{Kind: gpu.ActReLU}, x, y)),
		"bad kind":   nnErr(d.Activate(gpu.Activation{Kind: 9}, x, y)),
		"nan slope":  nnErr(d.Activate(gpu.Activation{Kind: gpu.ActReLU, Slope: math.NaN(), Cap: 1}, x, y)),
		"short y":    nnErr(d.Activate(gpu.ReLU(), x, short)),
		"aliased dx": nnErr(d.ActivationBackward(gpu.ReLU(), x, y, y)),
		"batch":      nnErr(d.ActivationBackwardRedirected(gpu.ReLU(), 3, x, y, zeros(t, d, 10))),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
