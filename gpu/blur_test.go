package gpu_test

import (
	"fmt"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

func TestBlur(t *testing.T) {
	d := device(t)
	rng := newRand(43)
	worst := imgopsMaxErr{}
	shapes := []gpu.BlurShape{
		{N: 1, H: 1, W: 1, C: 1, Sigma: 1},
		{N: 2, H: 5, W: 7, C: 3, Sigma: 0},
		{N: 1, H: 3, W: 2, C: 3, Sigma: 4}, // radius 12, many reflections
		{N: 2, H: 64, W: 61, C: 3, Sigma: 1.5},
	}
	for len(shapes) < 24 {
		shapes = append(shapes, gpu.BlurShape{
			N: 1 + rng.IntN(3), H: 1 + rng.IntN(20), W: 1 + rng.IntN(20), C: 1 + rng.IntN(4),
			Sigma: 3 * rng.Float64(),
		})
	}
	for _, s := range shapes {
		t.Run(fmt.Sprintf("%+v", s), func(t *testing.T) {
			n := s.N * s.H * s.W * s.C
			x32, x := randVec(rng, n)
			bx, tmp, by := upload(t, d, x32), zeros(t, d, n), zeros(t, d, n)
			op, err := d.Blur(s, bx, tmp, by)
			run(t, d, op, err)
			want := ref.Blur(s.N, s.H, s.W, s.C, s.Sigma, x)
			worst.check(t, "blur", read(t, d, by), want)

			// the backward, in place: dx overwrites dy
			dy32, dy := randVec(rng, n)
			bdy := upload(t, d, dy32)
			op, err = d.BlurBackward(s, bdy, tmp, bdy)
			run(t, d, op, err)
			worst.check(t, "blur backward", read(t, d, bdy), ref.Blur(s.N, s.H, s.W, s.C, s.Sigma, dy))
		})
	}
	worst.log(t)
}

func TestBlurErrors(t *testing.T) {
	d := device(t)
	a, b := zeros(t, d, 12), zeros(t, d, 12)
	s := gpu.BlurShape{N: 1, H: 2, W: 2, C: 3, Sigma: 1}
	for name, err := range map[string]error{
		"scratch is input":  imgopsErr(d.Blur(s, a, a, b)),
		"scratch is output": imgopsErr(d.Blur(s, a, b, b)),
		"negative sigma":    imgopsErr(d.Blur(gpu.BlurShape{N: 1, H: 2, W: 2, C: 3, Sigma: -1}, a, b, a)),
		"wrong size":        imgopsErr(d.Blur(gpu.BlurShape{N: 2, H: 2, W: 2, C: 3, Sigma: 1}, a, b, a)),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
