package gpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

func TestPool(t *testing.T) {
	d := device(t)
	rng := newRand(26)
	shapes := []gpu.PoolShape{
		{N: 2, H: 7, W: 7, C: 3, KH: 2, KW: 2, SH: 2, SW: 2, Same: true},
		{N: 2, H: 7, W: 7, C: 3, KH: 2, KW: 2, SH: 2, SW: 2, Same: false},
		{N: 3, H: 8, W: 9, C: 5, KH: 3, KW: 3, SH: 2, SW: 2, Same: true},
		{N: 1, H: 9, W: 8, C: 4, KH: 3, KW: 3, SH: 2, SW: 2, Same: false},
		{N: 2, H: 6, W: 6, C: 2, KH: 3, KW: 3, SH: 1, SW: 1, Same: true},
		{N: 1, H: 5, W: 11, C: 3, KH: 3, KW: 2, SH: 1, SW: 2, Same: true},
		{N: 2, H: 9, W: 10, C: 3, KH: 2, KW: 3, SH: 2, SW: 1, Same: true},
		{N: 2, H: 3, W: 4, C: 1, KH: 5, KW: 5, SH: 1, SW: 1, Same: true}, // window larger than the image
		{N: 1, H: 4, W: 4, C: 7, KH: 1, KW: 1, SH: 2, SW: 2, Same: false},
		{N: 2, H: 56, W: 55, C: 17, KH: 3, KW: 3, SH: 2, SW: 2, Same: true},
	}
	for len(shapes) < 24 {
		k := 2 + rng.IntN(2)
		s := gpu.PoolShape{N: 1 + rng.IntN(3), H: k + rng.IntN(20), W: k + rng.IntN(20), C: 1 + rng.IntN(40),
			KH: k, KW: k, SH: 1 + rng.IntN(2), SW: 1 + rng.IntN(2), Same: rng.IntN(2) == 0}
		if rng.IntN(4) == 0 {
			s.KW = 1 + rng.IntN(3)
		}
		shapes = append(shapes, s)
	}
	worst := nnWorst{}
	for i, s := range shapes {
		rs := ref.Pool{N: s.N, H: s.H, W: s.W, C: s.C, KH: s.KH, KW: s.KW, SH: s.SH, SW: s.SW, Same: s.Same}
		t.Run(fmt.Sprintf("%+v", s), func(t *testing.T) {
			x32, x := randVec(rng, s.XLen())
			if i%3 == 0 { // small integers: many ties, broken by the row-major rule
				for j := range x32 {
					x32[j] = float32(math.Round(2 * x[j]))
					x[j] = float64(x32[j])
				}
			}
			dy32, dy := randVec(rng, s.YLen())
			bx, bdy := upload(t, d, x32), upload(t, d, dy32)
			y, dx := zeros(t, d, s.YLen()), zeros(t, d, s.XLen())

			op, err := d.MaxPool(s, bx, y)
			run(t, d, op, err)
			worst.check(t, "maxpool", read(t, d, y), ref.MaxPool(rs, x))
			op2, err := d.MaxPoolBackward(s, bx, bdy, dx)
			run(t, d, op2, err)
			worst.check(t, "maxpool backward", read(t, d, dx), ref.MaxPoolBackward(rs, x, dy))

			op, err = d.AvgPool(s, bx, y)
			run(t, d, op, err)
			worst.check(t, "avgpool", read(t, d, y), ref.AvgPool(rs, x))
			op, err = d.AvgPoolBackward(s, bdy, dx)
			run(t, d, op, err)
			worst.check(t, "avgpool backward", read(t, d, dx), ref.AvgPoolBackward(rs, dy))
		})
	}
	worst.log(t)
}

func TestGlobalPool(t *testing.T) {
	d := device(t)
	rng := newRand(27)
	shapes := nnShapes(rng, 24, []gpu.NHWC{
		{N: 1, H: 1, W: 1, C: 1}, {N: 2, H: 7, W: 7, C: 768}, {N: 3, H: 5, W: 3, C: 1},
		{N: 2, H: 112, W: 112, C: 3}, {N: 1, H: 64, W: 64, C: 33}, // several row groups
	}, 4, 20, 70)
	worst := nnWorst{}
	for i, s := range shapes {
		t.Run(fmt.Sprintf("%dx%dx%dx%d", s.N, s.H, s.W, s.C), func(t *testing.T) {
			x32, x := randVec(rng, s.Len())
			if i%3 == 0 { // ties: the first position wins
				for j := range x32 {
					x32[j] = float32(math.Round(x[j]))
					x[j] = float64(x32[j])
				}
			}
			dy32, dy := randVec(rng, s.N*s.C)
			bx, bdy := upload(t, d, x32), upload(t, d, dy32)
			y, dx := zeros(t, d, s.N*s.C), zeros(t, d, s.Len())
			hw := s.H * s.W

			op, err := d.GlobalAvgPool(s, bx, y)
			run(t, d, op, err)
			worst.check(t, "gap", read(t, d, y), ref.GlobalAvgPool(s.N, hw, s.C, x))
			op2, err := d.GlobalAvgPoolBackward(s, bdy, dx)
			run(t, d, op2, err)
			worst.check(t, "gap backward", read(t, d, dx), ref.GlobalAvgPoolBackward(s.N, hw, s.C, dy))

			op, err = d.GlobalMaxPool(s, bx, y)
			run(t, d, op, err)
			worst.check(t, "gmp", read(t, d, y), ref.GlobalMaxPool(s.N, hw, s.C, x))
			op, err = d.GlobalMaxPoolBackward(s, bx, bdy, dx)
			run(t, d, op, err)
			worst.check(t, "gmp backward", read(t, d, dx), ref.GlobalMaxPoolBackward(s.N, hw, s.C, x, dy))
		})
	}
	worst.log(t)
}

func TestPoolErrors(t *testing.T) {
	d := device(t)
	s := gpu.PoolShape{N: 1, H: 4, W: 4, C: 2, KH: 2, KW: 2, SH: 2, SW: 2}
	x, y := zeros(t, d, s.XLen()), zeros(t, d, s.YLen())
	big := s
	big.KH = 5
	zero := s
	zero.SW = 0
	for name, err := range map[string]error{
		"valid window too big": nnErr(d.MaxPool(big, x, y)),
		"zero stride":          nnErr(d.AvgPool(zero, x, y)),
		"wrong output":         nnErr(d.MaxPool(s, x, x)),
		"aliased":              nnErr(d.AvgPool(gpu.PoolShape{N: 1, H: 4, W: 4, C: 2, KH: 3, KW: 3, SH: 1, SW: 1, Same: true}, x, x)),
		"gap output":           nnErr(d.GlobalAvgPool(gpu.NHWC{N: 1, H: 4, W: 4, C: 2}, x, x)),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestUpsample(t *testing.T) {
	d := device(t)
	rng := newRand(27)
	shapes := []gpu.UpsampleShape{
		{N: 1, H: 1, W: 1, C: 1, SH: 2, SW: 2},
		{N: 2, H: 7, W: 7, C: 32, SH: 2, SW: 2},
		{N: 3, H: 5, W: 9, C: 3, SH: 3, SW: 1},
		{N: 1, H: 14, W: 14, C: 5, SH: 2, SW: 2},
	}
	for len(shapes) < 20 {
		shapes = append(shapes, gpu.UpsampleShape{N: 1 + rng.IntN(3), H: 1 + rng.IntN(12), W: 1 + rng.IntN(12),
			C: 1 + rng.IntN(20), SH: 1 + rng.IntN(3), SW: 1 + rng.IntN(3)})
	}
	worst := nnWorst{}
	for _, s := range shapes {
		t.Run(fmt.Sprintf("%+v", s), func(t *testing.T) {
			x32, x := randVec(rng, s.XLen())
			dy32, dy := randVec(rng, s.YLen())
			y, dx := zeros(t, d, s.YLen()), zeros(t, d, s.XLen())
			op, err := d.Upsample(s, upload(t, d, x32), y)
			run(t, d, op, err)
			worst.check(t, "upsample", read(t, d, y), ref.Upsample(s.N, s.H, s.W, s.C, s.SH, s.SW, x))
			op, err = d.UpsampleBackward(s, upload(t, d, dy32), dx)
			run(t, d, op, err)
			worst.check(t, "upsample backward", read(t, d, dx), ref.UpsampleBackward(s.N, s.H, s.W, s.C, s.SH, s.SW, dy))
		})
	}
	worst.log(t)
	if _, err := d.Upsample(shapes[1], zeros(t, d, 5), zeros(t, d, shapes[1].YLen())); err == nil {
		t.Error("upsample of a wrong-sized input: no error")
	}
}
