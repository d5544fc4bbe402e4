package ref

import (
	"math"
	"testing"
)

// TestPhiloxKnownAnswers checks Random123's published known-answer vectors
// for Philox4x32-10 (its tests/kat_vectors).
func TestPhiloxKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	} {
		if got := Philox4x32(tc.ctr, tc.key); got != tc.want {
			t.Errorf("Philox4x32(%08x, %08x) = %08x, want %08x", tc.ctr, tc.key, got, tc.want)
		}
	}
}

func TestRandomLayout(t *testing.T) {
	seed, ctr := uint64(0x0123456789abcdef), uint64(0xfedcba9876543210)
	x := RandomBits(seed, ctr, 10)
	b2 := Philox4x32([4]uint32{2, 0, 0x76543210, 0xfedcba98}, [2]uint32{0x89abcdef, 0x01234567})
	if x[8] != b2[0] || x[9] != b2[1] {
		t.Errorf("draws 8, 9 = %08x %08x, want lanes 0, 1 of block 2: %08x", x[8], x[9], b2)
	}
	if u := RandomUniform(seed, ctr, 10); u[9] != float64(b2[1]>>8)/(1<<24) {
		t.Errorf("uniform draw 9 = %v", u[9])
	}
}

// TestRandomMoments checks that the distributions have the moments they
// should, to within a few standard errors.
func TestRandomMoments(t *testing.T) {
	const n = 1 << 18
	moments := func(v []float64) (mean, variance float64) {
		for _, x := range v {
			mean += x
		}
		mean /= float64(len(v))
		for _, x := range v {
			variance += (x - mean) * (x - mean)
		}
		return mean, variance / float64(len(v))
	}
	se := 1 / math.Sqrt(n)
	m, v := moments(RandomUniform(1, 0, n))
	if math.Abs(m-0.5) > 5*se*math.Sqrt(1.0/12) || math.Abs(v-1.0/12) > 5*se*0.075 {
		t.Errorf("uniform: mean %v, variance %v; want 0.5, 1/12", m, v)
	}
	m, v = moments(RandomNormal(2, 7, n))
	if math.Abs(m) > 5*se || math.Abs(v-1) > 5*se*math.Sqrt(2) {
		t.Errorf("normal: mean %v, variance %v; want 0, 1", m, v)
	}
}
