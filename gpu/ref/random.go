package ref

import (
	"math"
	"math/bits"
)

// The counter-based generator of hubel's random kernels, in Go: the same
// integer algorithm, so the GPU's bits can be checked exactly.

// Philox4x32 is the Philox-4x32-10 block function of Random123 (Salmon et
// al., SC 2011): ten rounds over the counter ctr with key key.
func Philox4x32(ctr [4]uint32, key [2]uint32) [4]uint32 {
	const (
		m0, m1 = 0xD2511F53, 0xCD9E8D57
		w0, w1 = 0x9E3779B9, 0xBB67AE85
	)
	c0, c1, c2, c3 := ctr[0], ctr[1], ctr[2], ctr[3]
	k0, k1 := key[0], key[1]
	for r := range 10 {
		if r > 0 {
			k0 += w0
			k1 += w1
		}
		hi0, lo0 := bits.Mul32(m0, c0)
		hi1, lo1 := bits.Mul32(m1, c2)
		c0, c1, c2, c3 = hi1^c1^k0, lo1, hi0^c3^k1, lo0
	}
	return [4]uint32{c0, c1, c2, c3}
}

// RandomBits returns n draws for (seed, counter): draw i is lane i%4 of
// Philox4x32(ctr = (i/4, 0, counter mod 2³², counter >> 32),
// key = (seed mod 2³², seed >> 32)).
func RandomBits(seed, counter uint64, n int) []uint32 {
	out := make([]uint32, n)
	for b := 0; 4*b < n; b++ {
		x := RandomBlock(seed, counter, b)
		copy(out[4*b:], x[:])
	}
	return out
}

// RandomBlock returns draws 4b to 4b+3 of RandomBits(seed, counter, ·).
func RandomBlock(seed, counter uint64, b int) [4]uint32 {
	return Philox4x32([4]uint32{uint32(b), 0, uint32(counter), uint32(counter >> 32)}, [2]uint32{uint32(seed), uint32(seed >> 32)})
}

// randomUnit maps a draw to [0, 1) with 24 bits: (x >> 8)·2⁻²⁴.
func randomUnit(x uint32) float64 { return float64(x>>8) / (1 << 24) }

// RandomUniform returns n uniform values in [0, 1) for (seed, counter).
func RandomUniform(seed, counter uint64, n int) []float64 {
	out := make([]float64, n)
	for i, x := range RandomBits(seed, counter, n) {
		out[i] = randomUnit(x)
	}
	return out
}

// RandomNormal returns n standard normal values for (seed, counter), by
// Box–Muller on the pairs of draws (0,1) and (2,3) of each block: with
// u1 = ((x_even >> 8) + 1)·2⁻²⁴ in (0, 1] and θ = π·(2u − 1), u the odd
// draw's unit value, the pair is sqrt(−2 ln u1)·(cos θ, sin θ).
func RandomNormal(seed, counter uint64, n int) []float64 {
	x := RandomBits(seed, counter, (n+3)/4*4)
	out := make([]float64, len(x))
	for i := 0; i < len(x); i += 2 {
		r := BoxMullerRadius(x[i])
		th := math.Pi * (2*randomUnit(x[i+1]) - 1)
		out[i], out[i+1] = r*math.Cos(th), r*math.Sin(th)
	}
	return out[:n]
}

// BoxMullerRadius is RandomNormal's radius for the even draw x of a pair:
// sqrt(−2 ln u1), u1 = ((x >> 8) + 1)·2⁻²⁴.
func BoxMullerRadius(x uint32) float64 {
	return math.Sqrt(-2 * math.Log(float64(x>>8+1)/(1<<24)))
}
