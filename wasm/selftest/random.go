package selftest

import (
	"context"
	"fmt"
	"math"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// randomBytes splits each 32-bit draw into its four bytes, so that any
// differing bit is a relative error of at least 1/255 and fails the check:
// the generator must match gpu/ref bit for bit.
func randomBytes[T uint32 | float32](draws []T, bits func(T) uint32) []float64 {
	out := make([]float64, 0, 4*len(draws))
	for _, d := range draws {
		b := bits(d)
		out = append(out, float64(b>>24), float64(b>>16&0xff), float64(b>>8&0xff), float64(b&0xff))
	}
	return out
}

// randomChecks: Philox raw bits, bit-exact, with a length that is not a
// multiple of the 4 draws per block and a 64-bit seed and counter. Normal
// draws are not checked here: WGSL only bounds cos and log to about 5e-4
// absolute, and SwiftShader's Box–Muller lands just above Tol.
func randomChecks() []check {
	var cs []check
	for _, c := range []struct {
		n             int
		seed, counter uint64
	}{{1001, 0x0123456789abcdef, 1<<32 + 5}, {4096, 7, 0}} {
		dims := fmt.Sprintf("seed %#x counter %#x", c.seed, c.counter)
		cs = append(cs, check{"Random bits", dims, 4 * c.n, func(ctx context.Context, s *session) ([]float32, []float64, error) {
			y := s.out(c.n)
			if s.err != nil {
				return nil, nil, s.err
			}
			r, err := s.d.Random(gpu.RandSpec{Kind: gpu.RandBits, Seed: c.seed}, y)
			if err != nil {
				return nil, nil, err
			}
			if err := r.SetCounter(c.counter); err != nil {
				s.keep(r)
				return nil, nil, err
			}
			got, err := s.run(ctx, r, nil, y)
			if err != nil {
				return nil, nil, err
			}
			gotb := randomBytes(got, math.Float32bits)
			g32 := make([]float32, len(gotb))
			for i, v := range gotb {
				g32[i] = float32(v)
			}
			return g32, randomBytes(ref.RandomBits(c.seed, c.counter, c.n), func(b uint32) uint32 { return b }), nil
		}})
	}
	return cs
}
