package selftest

import (
	"context"
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// resampleCase is a batch resampling with one matrix per image.
type resampleCase struct {
	s    gpu.ResampleShape
	mats []gpu.Affine
}

// resampleCases: Lucid's transform chain (pad, jitter, scale, rotate,
// jitter) on 30×30 RGB, and a rotation with magnification on 5 channels
// (not a multiple of the kernel's 4-channel chunks).
func resampleCases() ([]resampleCase, error) {
	var mats []gpu.Affine
	oh, ow := 0, 0
	for _, d := range []gpu.LucidDraw{
		{X1: 3, Y1: 8, Scale: 1.1, Degrees: -7, X2: 4, Y2: 0},
		{X1: 0, Y1: 5, Scale: 1.1, Degrees: 10, X2: 1, Y2: 2},
	} {
		m, h, w, err := gpu.LucidTransform(30, 30, d)
		if err != nil {
			return nil, err
		}
		mats, oh, ow = append(mats, m), h, w
	}
	return []resampleCase{
		{gpu.ResampleShape{N: 2, H: 30, W: 30, C: 3, OH: oh, OW: ow, Fill: gpu.LucidFill}, mats},
		{gpu.ResampleShape{N: 1, H: 17, W: 23, C: 5, OH: 20, OW: 19, Fill: -1}, []gpu.Affine{
			gpu.Compose(gpu.Translate(2, -1.5), gpu.Rotate(33, 9, 9.5), gpu.Scale(0.8, 9, 9.5)),
		}},
	}, nil
}

// mats uploads the matrices and returns them as the reference reads them
// (the same float32 values).
func (s *session) mats(ms []gpu.Affine) (*gpu.Buffer, []float64) {
	m32 := make([]float32, 6*len(ms))
	for i, m := range ms {
		m.Put(m32[6*i:])
	}
	m64 := make([]float64, len(m32))
	for i, v := range m32 {
		m64[i] = float64(v)
	}
	if s.err != nil {
		return nil, m64
	}
	return s.keepBuf(s.d.Upload("selftest.mats", m32)), m64
}

func resampleChecks() []check {
	cases, err := resampleCases()
	if err != nil {
		return []check{{"Resample", "", 0, func(context.Context, *session) ([]float32, []float64, error) {
			return nil, nil, err
		}}}
	}
	var cs []check
	for _, c := range cases {
		sh := c.s
		in, out := sh.N*sh.H*sh.W*sh.C, sh.N*sh.OH*sh.OW*sh.C
		dims := fmt.Sprintf("%d×%d×%d×%d → %d×%d", sh.N, sh.H, sh.W, sh.C, sh.OH, sh.OW)
		for _, adjoint := range []bool{false, true} {
			name, n := "Resample forward", out
			if adjoint {
				name, n = "Resample adjoint", in
			}
			cs = append(cs, check{name, dims, n, func(ctx context.Context, s *session) ([]float32, []float64, error) {
				m, mv := s.mats(c.mats)
				x, xv := s.in(in)
				dy, dyv := s.in(out)
				y, dx := s.out(out), s.out(in)
				if s.err != nil {
					return nil, nil, s.err
				}
				if adjoint {
					op, err := s.d.ResampleBackward(sh, dy, m, dx)
					got, err := s.run(ctx, op, err, dx)
					return got, ref.ResampleAdjoint(dyv, sh.N, sh.H, sh.W, sh.C, sh.OH, sh.OW, mv), err
				}
				op, err := s.d.Resample(sh, x, m, y)
				got, err := s.run(ctx, op, err, y)
				fill := float64(float32(sh.Fill))
				return got, ref.Resample(xv, sh.N, sh.H, sh.W, sh.C, sh.OH, sh.OW, mv, fill), err
			}})
		}
	}
	return cs
}
