package gpu_test

import (
	"fmt"
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
			worst.check(t, "diversity gradient", read(t, d, bg), grad)
		})
	}
	worst.log(t)
}
