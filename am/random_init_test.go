package am

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hubelviz/hubel/gpu/ref"
)

// TestTurn24 checks the table cosine and sine against math.Cos and
// math.Sin of 2π·j/2²⁴ at the tables' edges and at random j.
func TestTurn24(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	js := []uint32{0, 1, 255, 256, 257, 1<<16 - 1, 1 << 16, 1<<16 + 1, 1 << 22, 1 << 23, 3 << 22, 1<<24 - 1}
	for range 100000 {
		js = append(js, rng.Uint32()>>8)
	}
	tt := turnTables()
	for _, j := range js {
		th := 2 * math.Pi * float64(j) / (1 << 24)
		c, s := tt.turn24(j)
		if math.Abs(c-math.Cos(th)) > 2e-15 || math.Abs(s-math.Sin(th)) > 2e-15 {
			t.Fatalf("turn24(%d) = %.17g, %.17g; want cos, sin %.17g, %.17g", j, c, s, math.Cos(th), math.Sin(th))
		}
	}
}

// TestNormalInit checks a render's random start against gpu/ref's
// RandomNormal, scaled and rounded to float32: at most one float32 ulp
// apart, and equal but for a few values (the tables' cosines are within
// a few float64 ulp of math.Cos's), for whole and partial Philox blocks
// and chunks.
func TestNormalInit(t *testing.T) {
	for _, c := range []struct {
		seed, counter uint64
		n             int
	}{{0, 0, 1}, {1, 0, 2}, {2, 3, 3}, {0, 0, 5}, {7, 1 << 33, 255}, {0, 0, 256}, {1<<40 + 9, 2, 257}, {4, 0, 2*3*224*113 + 2}} {
		got := normalInit(c.seed, c.counter, c.n, 0.01)
		want := ref.RandomNormal(c.seed, c.counter, c.n)
		if len(got) != c.n {
			t.Fatalf("%+v: %d values, want %d", c, len(got), c.n)
		}
		differ := 0
		for i, v := range want {
			w := float32(0.01 * v)
			if got[i] == w {
				continue
			}
			differ++
			if math.Abs(float64(got[i]-w)) > float64(math.Nextafter32(float32(math.Abs(float64(w))), float32(math.Inf(1)))-float32(math.Abs(float64(w)))) || differ > 1+c.n/10000 {
				t.Fatalf("%+v: value %d is %.9g, want float32(0.01·%.17g) = %.9g (%d differ)", c, i, got[i], v, w, differ)
			}
		}
	}
}
