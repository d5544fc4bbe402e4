package gpu_test

import (
	"fmt"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

func TestSpectral(t *testing.T) {
	d := device(t)
	rng := newRand(7)
	shapes := [][4]int{{1, 3, 8, 8}, {2, 3, 7, 9}, {1, 1, 1, 1}, {3, 2, 5, 4}, {1, 3, 16, 15}, {2, 3, 12, 12}}
	for len(shapes) < 22 {
		shapes = append(shapes, [4]int{1 + rng.IntN(3), 1 + rng.IntN(4), 1 + rng.IntN(14), 1 + rng.IntN(14)})
	}
	for _, sh := range shapes {
		for _, v := range []string{"", gpu.SpectralDirect} { // "": the default, SpectralGEMM
			s := gpu.SpectralShape{B: sh[0], C: sh[1], H: sh[2], W: sh[3], Decay: 1, OutScale: 0.25, Variant: v}
			t.Run(fmt.Sprint(sh, v), func(t *testing.T) {
				spec32, spec := randVec(rng, s.SpectrumLen())
				dimg32, dimg := randVec(rng, s.B*s.H*s.W*s.C)
				bs, bi := upload(t, d, spec32), zeros(t, d, len(dimg32))
				bd, bds := upload(t, d, dimg32), zeros(t, d, len(spec32))
				sp, err := d.Spectral(s, bs, bi, bd, bds)
				if err != nil {
					t.Fatal(err)
				}
				defer sp.Release()
				run(t, d, gpu.Seq{sp.Forward, sp.Backward}, nil)
				assertClose(t, "forward", read(t, d, bi), ref.SpectralImage(spec, s.B, s.C, s.H, s.W, 1, 0.25))
				assertClose(t, "adjoint", read(t, d, bds), ref.SpectralImageBackward(dimg, s.B, s.C, s.H, s.W, 1, 0.25))
			})
		}
	}
	if _, err := d.Spectral(gpu.SpectralShape{B: 1, C: 1, H: 2, W: 2, Variant: "fft"}, zeros(t, d, 8), zeros(t, d, 4), nil, nil); err == nil {
		t.Error("an unknown variant was accepted")
	}
}
