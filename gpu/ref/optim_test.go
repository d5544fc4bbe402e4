package ref

import (
	"math"
	"testing"
)

// TestAdamByHand checks Adam's first two steps on one scalar against the
// formulas worked out by hand: after step 1 the bias-corrected update is
// lr·sign(g) (up to eps), whatever the gradient's size.
func TestAdamByHand(t *testing.T) {
	x, m, v := []float64{1}, []float64{0}, []float64{0}
	AdamStep(x, []float64{4}, m, v, 0.05, 0.9, 0.999, 1e-8, 1)
	// m = 0.4, v = 0.016, lr_t = 0.05·sqrt(0.001)/0.1, step = lr_t·0.4/(sqrt(0.016)+1e-8)
	want := 1 - 0.05*math.Sqrt(0.001)/0.1*0.4/(math.Sqrt(0.016)+1e-8)
	if math.Abs(x[0]-want) > 1e-15 || math.Abs(x[0]-0.95) > 1e-7 {
		t.Fatalf("step 1: x = %.17g, want %.17g (≈ 0.95)", x[0], want)
	}
	AdamStep(x, []float64{-2}, m, v, 0.05, 0.9, 0.999, 1e-8, 2)
	m2, v2 := 0.9*0.4+0.1*-2, 0.999*0.016+0.001*4
	want -= 0.05 * math.Sqrt(1-0.999*0.999) / (1 - 0.81) * m2 / (math.Sqrt(v2) + 1e-8)
	if math.Abs(x[0]-want) > 1e-15 || math.Abs(m[0]-m2) > 1e-15 || math.Abs(v[0]-v2) > 1e-15 {
		t.Fatalf("step 2: x, m, v = %v %v %v, want %v %v %v", x[0], m[0], v[0], want, m2, v2)
	}
}

func TestMomentumByHand(t *testing.T) {
	x, v := []float64{1, 2}, []float64{0, 0}
	MomentumStep(x, []float64{1, -1}, v, 0.1, 0.9)
	MomentumStep(x, []float64{1, -1}, v, 0.1, 0.9)
	// v = 1, then 1.9; x = 1 - 0.1 - 0.19
	if math.Abs(x[0]-0.71) > 1e-15 || math.Abs(x[1]-2.29) > 1e-15 || math.Abs(v[0]-1.9) > 1e-15 {
		t.Fatalf("x = %v, v = %v", x, v)
	}
}
