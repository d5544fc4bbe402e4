package ref

import "math"

// Softmax and log-softmax over the last axis of a [rows][n] tensor.

// Softmax returns exp(x - max) / Σ exp(x - max) for each row of n values.
func Softmax(n int, x []float64) []float64 {
	y := LogSoftmax(n, x)
	for i := range y {
		y[i] = math.Exp(y[i])
	}
	return y
}

// LogSoftmax returns x - max - log Σ exp(x - max) for each row of n values.
func LogSoftmax(n int, x []float64) []float64 {
	y := make([]float64, len(x))
	for r := 0; r < len(x); r += n {
		row := x[r : r+n]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, v)
		}
		s := 0.0
		for _, v := range row {
			s += math.Exp(v - m)
		}
		ls := math.Log(s)
		for i, v := range row {
			y[r+i] = v - m - ls
		}
	}
	return y
}

// SoftmaxBackward returns the gradient of Softmax from its output y and the
// gradient dy: dx = y * (dy - Σ dy*y) per row.
func SoftmaxBackward(n int, y, dy []float64) []float64 {
	dx := make([]float64, len(y))
	for r := 0; r < len(y); r += n {
		s := 0.0
		for i := r; i < r+n; i++ {
			s += dy[i] * y[i]
		}
		for i := r; i < r+n; i++ {
			dx[i] = y[i] * (dy[i] - s)
		}
	}
	return dx
}

// LogSoftmaxBackward returns the gradient of LogSoftmax from its output y
// and the gradient dy: dx = dy - exp(y) * Σ dy per row.
func LogSoftmaxBackward(n int, y, dy []float64) []float64 {
	dx := make([]float64, len(y))
	for r := 0; r < len(y); r += n {
		s := 0.0
		for i := r; i < r+n; i++ {
			s += dy[i]
		}
		for i := r; i < r+n; i++ {
			dx[i] = dy[i] - math.Exp(y[i])*s
		}
	}
	return dx
}
