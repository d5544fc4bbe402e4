package ref

import "math"

// Optimiser steps, in place, on a parameter vector x from the gradient g of
// a loss being minimised.

// AdamStep performs step t (1, 2, …) of TensorFlow's Adam
// (tf.train.AdamOptimizer): with lr_t = lr·sqrt(1−beta2^t)/(1−beta1^t),
// m = beta1·m + (1−beta1)·g, v = beta2·v + (1−beta2)·g²,
// x −= lr_t·m/(sqrt(v) + eps). It updates x, m and v in place.
func AdamStep(x, g, m, v []float64, lr, beta1, beta2, eps float64, t int) {
	lrT := lr * math.Sqrt(1-math.Pow(beta2, float64(t))) / (1 - math.Pow(beta1, float64(t)))
	for i := range x {
		m[i] = beta1*m[i] + (1-beta1)*g[i]
		v[i] = beta2*v[i] + (1-beta2)*g[i]*g[i]
		x[i] -= lrT * m[i] / (math.Sqrt(v[i]) + eps)
	}
}

// MomentumStep performs one step of TensorFlow's momentum optimiser:
// v = mu·v + g, x −= lr·v. It updates x and v in place.
func MomentumStep(x, g, v []float64, lr, mu float64) {
	for i := range x {
		v[i] = mu*v[i] + g[i]
		x[i] -= lr * v[i]
	}
}
