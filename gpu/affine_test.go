package gpu_test

import (
	"fmt"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

func TestChannelAffine(t *testing.T) {
	d := device(t)
	rng := newRand(22)
	shapes := nnShapes(rng, 24, []gpu.NHWC{
		{N: 1, H: 1, W: 1, C: 1}, {N: 3, H: 5, W: 7, C: 3}, {N: 2, H: 112, W: 112, C: 3}, // many rows: several row groups
		{N: 2, H: 7, W: 7, C: 768}, {N: 1, H: 1, W: 1, C: 1000}, {N: 4, H: 28, W: 28, C: 33},
	}, 5, 30, 70)
	worst := nnWorst{}
	for i, s := range shapes {
		t.Run(fmt.Sprintf("%dx%dx%dx%d", s.N, s.H, s.W, s.C), func(t *testing.T) {
			x32, x := randVec(rng, s.Len())
			dy32, dy := randVec(rng, s.Len())
			sc32, sc := randVec(rng, s.C)
			sh32, sh := randVec(rng, s.C)
			bx, bdy, bsc, bsh := upload(t, d, x32), upload(t, d, dy32), upload(t, d, sc32), upload(t, d, sh32)
			y, dx, dsc, dsh := zeros(t, d, s.Len()), zeros(t, d, s.Len()), zeros(t, d, s.C), zeros(t, d, s.C)

			op, err := d.ChannelAffine(s, bx, bsc, bsh, y)
			run(t, d, op, err)
			worst.check(t, "affine", read(t, d, y), ref.ChannelAffine(x, sc, sh))

			wdx, wdsc, wdsh := ref.ChannelAffineBackward(x, sc, dy)
			if i%4 == 3 { // without dx
				dx = nil
			}
			op2, err := d.ChannelAffineBackward(s, bx, bsc, bdy, dx, dsc, dsh)
			run(t, d, op2, err)
			if dx != nil {
				worst.check(t, "affine dx", read(t, d, dx), wdx)
			}
			worst.check(t, "affine dscale", read(t, d, dsc), wdsc)
			worst.check(t, "affine dshift", read(t, d, dsh), wdsh)
		})
	}
	worst.log(t)
}

func TestChannelAffineErrors(t *testing.T) {
	d := device(t)
	s := gpu.NHWC{N: 2, H: 3, W: 3, C: 4}
	x, c := zeros(t, d, s.Len()), zeros(t, d, 4)
	for name, err := range map[string]error{
		"scale length": nnErr(d.ChannelAffine(s, x, x, c, c)),
		"aliased":      nnErr(d.ChannelAffine(s, x, c, c, x)),
		"dscale":       nnErr(d.ChannelAffineBackward(s, x, c, x, nil, x, nil)),
		"x for dscale": nnErr(d.ChannelAffineBackward(s, nil, c, x, nil, c, nil)),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
