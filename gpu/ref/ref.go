// Package ref is the CPU reference for every kernel in hubel's compute
// engine: the same operations written plainly in Go, in float64, with no
// tiling, fusion or cleverness. It is the oracle the kernel tests compare
// against, and the fallback backend where WebGPU is missing.
//
// It imports nothing else of hubel's, so that a bug cannot hide in code the
// kernels and their oracle share. Every backward pass here is checked
// against central finite differences.
//
// Conventions: tensors are flat []float64 in row-major order; images and
// activations are NHWC; convolution filters are Keras's HWIO
// ([kh][kw][in][out]) and depthwise filters [kh][kw][c][multiplier].
package ref

import "math"

// AXPBY returns alpha*x + beta*y.
func AXPBY(x, y []float64, alpha, beta float64) []float64 {
	z := make([]float64, len(x))
	for i := range z {
		z[i] = alpha*x[i] + beta*y[i]
	}
	return z
}

// Mul returns x*y elementwise.
func Mul(x, y []float64) []float64 {
	z := make([]float64, len(x))
	for i := range z {
		z[i] = x[i] * y[i]
	}
	return z
}

// MulBackward returns the gradients of Mul with respect to x and y, given
// the gradient dz of its output.
func MulBackward(x, y, dz []float64) (dx, dy []float64) {
	return Mul(dz, y), Mul(dz, x)
}

// ScaleShift returns alpha*x + beta.
func ScaleShift(x []float64, alpha, beta float64) []float64 {
	z := make([]float64, len(x))
	for i := range z {
		z[i] = alpha*x[i] + beta
	}
	return z
}

// Clamp returns min(max(x, lo), hi) elementwise.
func Clamp(x, lo, hi []float64) []float64 {
	z := make([]float64, len(x))
	for i, v := range x {
		z[i] = math.Min(math.Max(v, lo[i]), hi[i])
	}
	return z
}
