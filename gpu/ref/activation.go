package ref

import "math"

// Pointwise activations and their gradients, including Lucid's redirected
// ReLU gradient.

// ActKind selects an activation function.
type ActKind int

// The activation functions.
const (
	ActIdentity ActKind = iota
	ActReLU             // y = min(x, Cap) for x > 0, Slope*x otherwise
	ActSigmoid
	ActTanh
)

// Act is an activation with its parameters. ReLU is {ActReLU, 0, +Inf},
// ReLU6 {ActReLU, 0, 6}, leaky ReLU {ActReLU, slope, +Inf}.
type Act struct {
	Kind  ActKind
	Slope float64 // ActReLU: slope below zero
	Cap   float64 // ActReLU: upper clamp, +Inf for none
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Activate returns a applied to every element of x.
func Activate(a Act, x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		switch a.Kind {
		case ActReLU:
			if v > 0 {
				y[i] = math.Min(v, a.Cap)
			} else {
				y[i] = a.Slope * v
			}
		case ActSigmoid:
			y[i] = sigmoid(v)
		case ActTanh:
			y[i] = math.Tanh(v)
		default:
			y[i] = v
		}
	}
	return y
}

// ActivateBackward returns dy times the derivative of a at x. At the kinks
// of ReLU it follows TF.js: the gradient passes for 0 < x <= Cap, is Slope
// for x <= 0 and 0 above Cap.
func ActivateBackward(a Act, x, dy []float64) []float64 {
	dx := make([]float64, len(x))
	for i, v := range x {
		switch a.Kind {
		case ActReLU:
			switch {
			case v <= 0:
				dx[i] = a.Slope * dy[i]
			case v <= a.Cap:
				dx[i] = dy[i]
			}
		case ActSigmoid:
			s := sigmoid(v)
			dx[i] = dy[i] * s * (1 - s)
		case ActTanh:
			t := math.Tanh(v)
			dx[i] = dy[i] * (1 - t*t)
		default:
			dx[i] = dy[i]
		}
	}
	return dx
}

// ReLUBackwardRedirected is Lucid's redirected_relu_grad (Cap +Inf) and
// redirected_relu6_grad (Cap 6) for a batch of images, x and dy holding
// batch equal slices. dy is the gradient of the loss being minimised, so a
// negative dy asks gradient descent to raise x.
//
// For each image, the ordinary gradient (dy where 0 <= x <= Cap, else 0) is
// used if it is non-zero anywhere in that image. Otherwise every element
// passes dy except where x < 0 and dy > 0 (descent would push x further
// below 0) or x > Cap and dy < 0 (descent would push x further above Cap).
func ReLUBackwardRedirected(capv float64, batch int, x, dy []float64) []float64 {
	dx := make([]float64, len(x))
	m := len(x) / batch
	for n := range batch {
		norm2 := 0.0
		for i := n * m; i < (n+1)*m; i++ {
			if x[i] >= 0 && x[i] <= capv {
				dx[i] = dy[i]
				norm2 += dy[i] * dy[i]
			}
		}
		if norm2 > 0 {
			continue
		}
		for i := n * m; i < (n+1)*m; i++ {
			if (x[i] < 0 && dy[i] > 0) || (x[i] > capv && dy[i] < 0) {
				dx[i] = 0
			} else {
				dx[i] = dy[i]
			}
		}
	}
	return dx
}
