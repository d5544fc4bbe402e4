package gpu

import (
	"fmt"
	"math"
)

// Launchers for shaders/activation.wgsl: pointwise activations, their
// gradients, and Lucid's redirected ReLU gradient.

const activationWG = 256

// ActKind selects an activation function.
type ActKind uint32

// The activation functions (the values are the kind uniform of
// activation.wgsl).
const (
	ActIdentity ActKind = iota
	// ActReLU is the ReLU family: y = min(x, Cap) for x > 0, Slope*x
	// otherwise. ReLU, ReLU6 and leaky ReLU are members.
	ActReLU
	ActSigmoid
	ActTanh
)

// Activation is an activation function with its parameters. Build one with
// ReLU, ReLU6, LeakyReLU, Sigmoid or Tanh, or fill it in for Keras's
// general ReLU layer (max_value → Cap, negative_slope → Slope). The zero
// Activation is the identity.
type Activation struct {
	Kind  ActKind
	Slope float64 // ActReLU: slope below zero (0 for ReLU)
	Cap   float64 // ActReLU: upper clamp, positive; math.Inf(1) for none
}

// ReLU is y = max(x, 0).
func ReLU() Activation { return Activation{Kind: ActReLU, Cap: math.Inf(1)} }

// ReLU6 is y = min(max(x, 0), 6).
func ReLU6() Activation { return Activation{Kind: ActReLU, Cap: 6} }

// LeakyReLU is y = x for x > 0 and slope*x otherwise.
func LeakyReLU(slope float64) Activation {
	return Activation{Kind: ActReLU, Slope: slope, Cap: math.Inf(1)}
}

// Sigmoid is y = 1/(1+exp(-x)).
func Sigmoid() Activation { return Activation{Kind: ActSigmoid} }

// Tanh is y = tanh(x).
func Tanh() Activation { return Activation{Kind: ActTanh} }

func (a Activation) params(n, inner int) (Params, error) {
	if a.Kind > ActTanh {
		return nil, fmt.Errorf("unknown activation kind %d", a.Kind)
	}
	capv := a.Cap
	if a.Kind == ActReLU {
		if !(capv > 0) {
			return nil, fmt.Errorf("ReLU cap %g must be positive (math.Inf(1) for none)", capv)
		}
		if math.IsNaN(a.Slope) || math.IsInf(a.Slope, 0) {
			return nil, fmt.Errorf("ReLU slope %g is not finite", a.Slope)
		}
	}
	// WGSL may assume no infinities: no cap is the largest f32, which
	// clamps nothing.
	capv = min(capv, math.MaxFloat32)
	return Params{U(n), uint32(a.Kind), F(a.Slope), F(capv), U(inner)}, nil
}

func (d *Device) activationDispatch(op, entry string, a Activation, inner int, n int, binds []Binding, bufs ...*Buffer) (*Dispatch, error) {
	params, err := a.params(n, inner)
	if err != nil {
		return nil, fmt.Errorf("gpu: %s: %w", op, err)
	}
	k, err := d.Kernel(KernelSpec{File: "activation.wgsl", Entry: entry, Bufs: binds, Consts: map[string]string{"WG": "256u"}})
	if err != nil {
		return nil, err
	}
	return d.Dispatch(k, params, Groups1D(n, activationWG), bufs...)
}

// checkPointwise validates the buffers of a pointwise op: all as long as
// x, the last (the output) distinct from the others.
func checkPointwise(op string, names []string, x *Buffer, bufs ...*Buffer) error {
	if x == nil {
		return fmt.Errorf("gpu: %s: x buffer is nil", op)
	}
	for i, b := range bufs {
		if err := checkLen(op, names[i], b, x.Len); err != nil {
			return err
		}
	}
	return noAlias(op, bufs[len(bufs)-1], append([]*Buffer{x}, bufs[:len(bufs)-1]...)...)
}

func checkBackward(op string, x, dy, dx *Buffer) error {
	return checkPointwise(op, []string{"dy", "dx"}, x, dy, dx)
}

// Activate prepares y = a(x) elementwise. y may not alias x.
func (d *Device) Activate(a Activation, x, y *Buffer) (*Dispatch, error) {
	const op = "activation"
	if err := checkPointwise(op, []string{"y"}, x, y); err != nil {
		return nil, err
	}
	return d.activationDispatch(op, "forward", a, 0, x.Len, []Binding{{1, Read}, {2, ReadWrite}}, x, y)
}

// ActivationBackward prepares dx = dy * a'(x), from the activation's input
// x. At the ReLU kinks it follows TF.js: the gradient passes for
// 0 < x <= Cap, is Slope for x <= 0 and 0 above Cap. dx may not alias x or
// dy.
func (d *Device) ActivationBackward(a Activation, x, dy, dx *Buffer) (*Dispatch, error) {
	const op = "activation backward"
	if err := checkBackward(op, x, dy, dx); err != nil {
		return nil, err
	}
	return d.activationDispatch(op, "backward", a, 0, x.Len, []Binding{{1, Read}, {3, Read}, {4, ReadWrite}}, x, dy, dx)
}

// ActivationBackwardRedirected prepares Lucid's redirected ReLU gradient
// (lucid/misc/redirected_relu_grad.py: redirected_relu_grad, and
// redirected_relu6_grad for a cap) for a batch of images, which Lucid uses
// for the first 16 optimisation steps so that units that are off can wake
// up. x, dy and dx hold batch equal slices, one per image.
//
// dy is the gradient of the loss hubel minimises (minus the objective), and
// gradient descent moves x by -dy: a negative dy asks to raise x. For each
// image, the ordinary gradient (dy where 0 <= x <= Cap, else 0; Lucid lets
// x = 0 and x = Cap through) is used if its norm over the image is
// non-zero. Otherwise dy passes everywhere except where x < 0 and dy > 0
// (descent would push x further below 0) or x > Cap and dy < 0 (further
// above the cap).
//
// Lucid overrides only Relu and Relu6, so for any other activation (leaky
// ReLU included) this is the ordinary ActivationBackward.
func (d *Device) ActivationBackwardRedirected(a Activation, batch int, x, dy, dx *Buffer) (*Chain, error) {
	const op = "redirected ReLU backward"
	if a.Kind != ActReLU || a.Slope != 0 {
		return build(func(c *Chain) error { return c.add(d.ActivationBackward(a, x, dy, dx)) })
	}
	if err := checkBackward(op, x, dy, dx); err != nil {
		return nil, err
	}
	if batch < 1 || batch > maxGroups || x.Len%batch != 0 {
		return nil, fmt.Errorf("gpu: %s: %d floats do not split into %d images", op, x.Len, batch)
	}
	inner := x.Len / batch
	return build(func(c *Chain) error {
		err := c.add(d.activationDispatch(op, "relu_lucid", a, inner, x.Len, []Binding{{1, Read}, {3, Read}, {4, ReadWrite}}, x, dy, dx))
		if err != nil {
			return err
		}
		norm2, err := c.scratch(d, "relu.norm2", batch)
		if err != nil {
			return err
		}
		if err := d.cols(c, colJob{n: batch, r: inner, cin: 1, prod: true, a: dx, b: dx, alpha: 1, out: norm2}); err != nil {
			return err
		}
		return c.add(d.activationDispatch(op, "relu_redirect", a, inner, x.Len,
			[]Binding{{1, Read}, {3, Read}, {5, Read}, {4, ReadWrite}}, x, dy, norm2, dx))
	})
}
