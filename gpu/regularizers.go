package gpu

import (
	"fmt"
	"math"
)

// Launchers for shaders/regularizers.wgsl: image priors of activation
// maximisation (total variation, L1, L2), each giving its value per image
// and adding its gradient into the gradient of the loss being minimised.

const regWG = 256 // a power of two: the value kernel reduces by halving

// RegKind is which regulariser.
type RegKind int

const (
	// RegTVSquared is the total variation of the survey: the sum of squared
	// differences between horizontally and vertically adjacent pixels, per
	// channel.
	RegTVSquared RegKind = iota
	// RegTVAbs is the anisotropic total variation Σ sqrt(d² + Eps) over the
	// same differences d: Σ|d| when Eps is 0, with the subgradient sign(d)
	// (0 at d = 0), or its smooth version when Eps > 0.
	RegTVAbs
	// RegL1 is Σ sqrt((x − Center)² + Eps) over every element: Σ|x − Center|
	// when Eps is 0 (subgradient as for RegTVAbs).
	RegL1
	// RegL2 is Σ (x − Center)² over every element.
	RegL2
)

var regNames = [...]string{"tv2", "tv1", "l1", "l2"}

// String returns the kind's short name: tv2, tv1, l1 or l2.
func (k RegKind) String() string {
	if k < 0 || int(k) >= len(regNames) {
		return fmt.Sprintf("RegKind(%d)", int(k))
	}
	return regNames[k]
}

// Regularizer is one image prior with its weight.
type Regularizer struct {
	Kind RegKind
	// Coef multiplies the gradient added: grad += Coef · dR/dx. For a
	// penalty on a loss being minimised it is positive.
	Coef float64
	// Eps smooths the L1 penalties (RegTVAbs, RegL1); ≥ 0.
	Eps float64
	// Center is the value the pointwise penalties (RegL1, RegL2) pull
	// towards, e.g. 0.5 for an image in [0, 1].
	Center float64
}

// Regularize prepares r on the images x: the value R of each image written
// to values[n] (without the coefficient), and grad += Coef · dR/dx. Either
// values or grad may be nil to skip that part, not both. grad may not be x.
func (d *Device) Regularize(s NHWC, r Regularizer, x, grad, values *Buffer) (*Chain, error) {
	op := "regularizer " + r.Kind.String()
	if err := s.check(op, x, "image"); err != nil {
		return nil, err
	}
	if r.Kind < RegTVSquared || r.Kind > RegL2 {
		return nil, fmt.Errorf("gpu: %s: unknown kind", op)
	}
	if !(r.Eps >= 0) || math.IsInf(r.Eps, 0) {
		return nil, fmt.Errorf("gpu: %s: eps %v must be finite and ≥ 0", op, r.Eps)
	}
	per := s.H * s.W * s.C
	total := s.N * per
	if total >= math.MaxUint32 {
		return nil, fmt.Errorf("gpu: %s: tensor of more than 2³² floats", op)
	}
	if grad == nil && values == nil {
		return nil, fmt.Errorf("gpu: %s: neither a gradient nor a values buffer", op)
	}
	if grad != nil {
		if err := checkLen(op, "gradient", grad, total); err != nil {
			return nil, err
		}
		if grad == x {
			return nil, fmt.Errorf("gpu: %s: the gradient buffer is the image", op)
		}
	}
	if values != nil {
		if err := checkLen(op, "values", values, s.N); err != nil {
			return nil, err
		}
		if values == x || values == grad {
			return nil, fmt.Errorf("gpu: %s: the values buffer aliases another", op)
		}
	}
	consts := map[string]string{
		"WG": fmt.Sprintf("%du", regWG),
		"TV": fmt.Sprint(r.Kind == RegTVSquared || r.Kind == RegTVAbs),
		"SQ": fmt.Sprint(r.Kind == RegTVSquared || r.Kind == RegL2),
	}
	p := Params{U(s.N), U(s.H), U(s.W), U(s.C), U(per), U(total), F(r.Coef), F(r.Eps), F(r.Center)}
	return build(func(c *Chain) error {
		if values != nil {
			k, err := d.Kernel(KernelSpec{File: "regularizers.wgsl", Entry: "reg_value", Bufs: []Binding{{1, Read}, {3, ReadWrite}}, Consts: consts})
			if err != nil {
				return err
			}
			if err := c.add(d.Dispatch(k, p, [3]uint32{uint32(s.N), 1, 1}, x, values)); err != nil {
				return err
			}
		}
		if grad != nil {
			k, err := d.Kernel(KernelSpec{File: "regularizers.wgsl", Entry: "reg_grad", Bufs: []Binding{{1, Read}, {2, ReadWrite}}, Consts: consts})
			if err != nil {
				return err
			}
			return c.add(d.Dispatch(k, p, Groups1D(total, regWG), x, grad))
		}
		return nil
	})
}
