package am

import (
	"math"
	"sync"

	"github.com/hubelviz/hubel/gpu/ref"
)

// normalInit returns float32(scale·v) for v = ref.RandomNormal(seed,
// counter, n): a render's random start, drawn on the host. The same Philox
// draws and Box–Muller radius (ref.RandomBlock, ref.BoxMullerRadius); the
// angle's cosine and sine come from tables (turnTable.turn24), within a few ulp of
// math.Cos and math.Sin, instead of a call of each per pair (a quarter
// of the app's first image in wasm). It works in chunks of out-of-line
// calls, which V8 optimises after the first few (see cmad).
func normalInit(seed, counter uint64, n int, scale float64) []float32 {
	out := make([]float32, (n+3)/4*4)
	const chunk = 64 // blocks of 4 draws per call
	for b := 0; 4*b < n; b += chunk {
		normalBlocks(out[4*b:min(4*(b+chunk), len(out))], seed, counter, b, scale)
	}
	return out[:n]
}

// normalBlocks writes the draws of blocks b0, b0+1, … into out (4 each).
//
//go:noinline
func normalBlocks(out []float32, seed, counter uint64, b0 int, scale float64) {
	t := turnTables()
	for k := 0; 4*k+3 < len(out); k++ {
		x := ref.RandomBlock(seed, counter, b0+k)
		for i := 0; i < 4; i += 2 {
			// θ = π·(2·u − 1), u = (x >> 8)·2⁻²⁴: cos θ = −cos 2πu, sin θ = −sin 2πu.
			r := ref.BoxMullerRadius(x[i])
			c, s := t.turn24(x[i+1] >> 8)
			out[4*k+i], out[4*k+i+1] = float32(scale*(r*-c)), float32(scale*(r*-s))
		}
	}
}

// turnTable holds cos and sin of 2π·k/2⁸, 2π·k/2¹⁶ and 2π·k/2²⁴ for
// k < 256.
type turnTable [3][2][256]float64

// turnTables returns the turnTable, built on first use.
var turnTables = sync.OnceValue(func() *turnTable {
	t := new(turnTable)
	for i, n := range []float64{1 << 8, 1 << 16, 1 << 24} {
		for k := range 256 {
			th := 2 * math.Pi * float64(k) / n
			t[i][0][k], t[i][1][k] = math.Cos(th), math.Sin(th)
		}
	}
	return t
})

// turn24 returns cos and sin of 2π·j/2²⁴ for j < 2²⁴, as the product
// e^{2πi·a/2⁸}·e^{2πi·b/2¹⁶}·e^{2πi·c/2²⁴} of j = a·2¹⁶ + b·2⁸ + c.
func (t *turnTable) turn24(j uint32) (cos, sin float64) {
	a, b, c := j>>16&255, j>>8&255, j&255
	c0, s0, c1, s1, c2, s2 := t[0][0][a], t[0][1][a], t[1][0][b], t[1][1][b], t[2][0][c], t[2][1][c]
	cr, ci := c0*c1-s0*s1, s0*c1+c0*s1
	return cr*c2 - ci*s2, ci*c2 + cr*s2
}
