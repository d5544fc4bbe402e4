package ref

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Helpers shared by the finite-difference tests of every operation.

func randn(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// numGrad returns the central-difference gradient of the scalar
// L(x) = <f(x), w> with respect to x, in float64.
func numGrad(f func([]float64) []float64, x, w []float64, h float64) []float64 {
	g := make([]float64, len(x))
	xx := append([]float64(nil), x...)
	for i := range x {
		xx[i] = x[i] + h
		up := dot(f(xx), w)
		xx[i] = x[i] - h
		down := dot(f(xx), w)
		xx[i] = x[i]
		g[i] = (up - down) / (2 * h)
	}
	return g
}

// relErr is max|a-b| / max(max|b|, 1e-12).
func relErr(a, b []float64) float64 {
	num, den := 0.0, 1e-12
	for i := range a {
		num = math.Max(num, math.Abs(a[i]-b[i]))
		den = math.Max(den, math.Abs(b[i]))
	}
	return num / den
}

// checkGrad compares an analytic gradient with finite differences of f and
// fails the test if they disagree by more than tol (relative).
func checkGrad(t *testing.T, name string, f func([]float64) []float64, x, w, analytic []float64, tol float64) {
	t.Helper()
	num := numGrad(f, x, w, 1e-6)
	if len(num) != len(analytic) {
		t.Fatalf("%s: analytic gradient has %d entries, want %d", name, len(analytic), len(num))
	}
	if e := relErr(analytic, num); !(e <= tol) {
		t.Errorf("%s: gradient differs from finite differences: rel err %.3g > %.3g", name, e, tol)
	}
}

// fdTol is the tolerance for float64 central differences with h = 1e-6 on
// smooth functions: truncation error ~h², rounding ~eps/h.
const fdTol = 1e-6
