package gpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/hubelviz/hubel/gpu/ref"
)

func TestElementwise(t *testing.T) {
	d := device(t)
	rng := newRand(1)
	// 20+ random sizes, including ones that are not multiples of the
	// workgroup and one that folds the grid into y.
	sizes := []int{1, 3, 255, 256, 257, 1000, 65536*256 + 77}
	for len(sizes) < 24 {
		sizes = append(sizes, 1+rng.IntN(100000))
	}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			x32, x := randVec(rng, n)
			y32, y := randVec(rng, n)
			alpha, beta := rng.NormFloat64(), rng.NormFloat64()
			bx, by, bz := upload(t, d, x32), upload(t, d, y32), zeros(t, d, n)

			op, err := d.AXPBY(bz, bx, by, alpha, beta)
			run(t, d, op, err)
			assertClose(t, "axpby", read(t, d, bz), ref.AXPBY(x, y, float64(float32(alpha)), float64(float32(beta))))

			op, err = d.Mul(bz, bx, by)
			run(t, d, op, err)
			assertClose(t, "mul", read(t, d, bz), ref.Mul(x, y))

			op, err = d.Accumulate(bz, by, alpha)
			run(t, d, op, err)
			assertClose(t, "accumulate", read(t, d, bz), ref.AXPBY(ref.Mul(x, y), y, 1, float64(float32(alpha))))

			op, err = d.ScaleShift(bx, alpha, beta)
			run(t, d, op, err)
			assertClose(t, "scale_shift", read(t, d, bx), ref.ScaleShift(x, float64(float32(alpha)), float64(float32(beta))))

			// Bounds lo ≤ hi around 0 clip about half the values of y.
			lo32, lo := randVec(rng, n)
			hi32, hi := make([]float32, n), make([]float64, n)
			for i := range lo {
				lo32[i], lo[i] = -float32(math.Abs(lo[i])), -math.Abs(lo[i])
				hi32[i] = float32(math.Abs(float64(y32[i])) * rng.Float64())
				hi[i] = float64(hi32[i])
			}
			op, err = d.Clamp(by, upload(t, d, lo32), upload(t, d, hi32))
			run(t, d, op, err)
			assertClose(t, "clamp", read(t, d, by), ref.Clamp(y, lo, hi))
		})
	}
}
