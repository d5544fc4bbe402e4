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

// randomChecks: Philox raw bits (bit-exact, a length that is not a multiple
// of the 4 draws per block, a 64-bit seed and counter), and normal draws.
func randomChecks() []check {
	var cs []check
	for _, c := range []struct {
		n             int
		seed, counter uint64
		kind          gpu.RandKind
		name          string
		scale, shift  float64
	}{
		{1001, 0x0123456789abcdef, 1<<32 + 5, gpu.RandBits, "Random bits", 1, 0},
		{4096, 7, 0, gpu.RandBits, "Random bits", 1, 0},
		{1000, 42, 3, gpu.RandNormal, "Random normal", 0.5, 1},
	} {
		dims := fmt.Sprintf("seed %#x counter %#x", c.seed, c.counter)
		n := c.n
		if c.kind == gpu.RandBits {
			n *= 4
		}
		cs = append(cs, check{c.name, dims, n, func(ctx context.Context, s *session) ([]float32, []float64, error) {
			y := s.out(c.n)
			if s.err != nil {
				return nil, nil, s.err
			}
			r, err := s.d.Random(gpu.RandSpec{Kind: c.kind, Seed: c.seed, Scale: c.scale, Shift: c.shift}, y)
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
			if c.kind != gpu.RandBits {
				return got, ref.ScaleShift(ref.RandomNormal(c.seed, c.counter, c.n), c.scale, c.shift), nil
			}
			want := randomBytes(ref.RandomBits(c.seed, c.counter, c.n), func(b uint32) uint32 { return b })
			gotb := randomBytes(got, math.Float32bits)
			g32 := make([]float32, len(gotb))
			for i, v := range gotb {
				g32[i] = float32(v)
			}
			return g32, want, nil
		}})
	}
	return cs
}
