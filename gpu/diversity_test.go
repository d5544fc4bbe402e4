package gpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// TestDiversity compares the GPU diversity objective (values, and the
// gradient written or accumulated) with gpu/ref on random shapes.
func TestDiversity(t *testing.T) {
	d := device(t)
	rng := newRand(71)
	shapes := []gpu.NHWC{{2, 1, 1, 1}, {2, 3, 3, 4}, {4, 7, 5, 3}, {3, 1, 9, 17}, {8, 4, 4, 24}}
	for len(shapes) < 22 {
		shapes = append(shapes, gpu.NHWC{N: 1 + rng.IntN(5), H: 1 + rng.IntN(9), W: 1 + rng.IntN(9), C: 1 + rng.IntN(20)})
	}
	worst := imgopsMaxErr{}
	for i, s := range shapes {
		acc := i%2 == 1
		t.Run(fmt.Sprintf("%v/acc=%v", s, acc), func(t *testing.T) {
			n := s.N * s.H * s.W * s.C
			x32, x := randVec(rng, n)
			dy32, dy := randVec(rng, s.N)
			g32, g := randVec(rng, n)
			bx, bdy, bout, bg := upload(t, d, x32), upload(t, d, dy32), zeros(t, d, s.N), upload(t, d, g32)
			v, err := d.Diversity(s, bx, bdy, bout, bg, acc)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Release()
			run(t, d, gpu.Seq{v.Value, v.Grad}, nil)
			vals, grad := ref.Diversity(s.N, s.H*s.W, s.C, dy, x)
			if acc {
				grad = ref.AXPBY(g, grad, 1, 1)
			}
			got := read(t, d, bout)
			if s.N == 1 { // one image: nothing to differ from, the value is 0
				if got[0] < -1e-5 || got[0] > 1e-5 {
					t.Errorf("one image: value %v, want 0", got[0])
				}
			} else {
				worst.check(t, "diversity value", got, vals)
			}
			if s.N == 1 && !acc {
				// The gradient is 0 in exact arithmetic, so a relative error
				// is meaningless: bound it by the scale a gradient of this
				// input would have, 2·|x|·|dy|·C/‖XᵀX‖ (what is left is
				// float32 rounding, e.g. where a driver fuses a − b·c).
				gram := 0.0
				for i := range s.C {
					for j := range s.C {
						v := 0.0
						for k := range s.H * s.W {
							v += x[k*s.C+i] * x[k*s.C+j]
						}
						gram += v * v
					}
				}
				bound := 1e-4 * 2 * maxAbs(x) * maxAbs(dy) * float64(s.C) / math.Sqrt(gram)
				for i, v := range read(t, d, bg) {
					if math.Abs(float64(v)) > bound {
						t.Fatalf("one image: gradient[%d] = %v, want 0 (|.| ≤ %.3g)", i, v, bound)
					}
				}
				return
			}
			worst.check(t, "diversity gradient", read(t, d, bg), grad)
		})
	}
	worst.log(t)
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}
