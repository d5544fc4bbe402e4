package gpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

func TestBlur(t *testing.T) {
	d := device(t)
	rng := newRand(43)
	worst := imgopsMaxErr{}
	type blurCase struct {
		s     gpu.NHWC
		sigma float64
	}
	cases := []blurCase{
		{gpu.NHWC{N: 1, H: 1, W: 1, C: 1}, 1},
		{gpu.NHWC{N: 2, H: 5, W: 7, C: 3}, 0},
		{gpu.NHWC{N: 1, H: 3, W: 2, C: 3}, 4}, // radius 12, many reflections
		{gpu.NHWC{N: 2, H: 64, W: 61, C: 3}, 1.5},
	}
	for len(cases) < 24 {
		cases = append(cases, blurCase{gpu.NHWC{N: 1 + rng.IntN(3), H: 1 + rng.IntN(20), W: 1 + rng.IntN(20), C: 1 + rng.IntN(4)}, 3 * rng.Float64()})
	}
	for _, tc := range cases {
		s, sigma := tc.s, tc.sigma
		t.Run(fmt.Sprintf("%+v/%.3g", s, sigma), func(t *testing.T) {
			n := s.Len()
			x32, x := randVec(rng, n)
			bx, tmp, by := upload(t, d, x32), zeros(t, d, n), zeros(t, d, n)
			op, err := d.Blur(s, sigma, bx, tmp, by)
			run(t, d, op, err)
			want := ref.Blur(s.N, s.H, s.W, s.C, sigma, x)
			worst.check(t, "blur", read(t, d, by), want)

			// the backward, in place: dx overwrites dy
			dy32, dy := randVec(rng, n)
			bdy := upload(t, d, dy32)
			op, err = d.BlurBackward(s, sigma, bdy, tmp, bdy)
			run(t, d, op, err)
			worst.check(t, "blur backward", read(t, d, bdy), ref.Blur(s.N, s.H, s.W, s.C, sigma, dy))
		})
	}
	worst.log(t)
}

func TestBlurErrors(t *testing.T) {
	d := device(t)
	a, b := zeros(t, d, 12), zeros(t, d, 12)
	s := gpu.NHWC{N: 1, H: 2, W: 2, C: 3}
	for name, err := range map[string]error{
		"scratch is input":  nnErr(d.Blur(s, 1, a, a, b)),
		"scratch is output": nnErr(d.Blur(s, 1, a, b, b)),
		"negative sigma":    nnErr(d.Blur(s, -1, a, b, a)),
		"nan sigma":         nnErr(d.Blur(s, math.NaN(), a, b, a)),
		"wrong size":        nnErr(d.Blur(gpu.NHWC{N: 2, H: 2, W: 2, C: 3}, 1, a, b, a)),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
