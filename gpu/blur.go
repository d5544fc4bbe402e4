package gpu

import (
	"fmt"
	"math"
)

// Launchers for shaders/blur.wgsl: separable Gaussian blur of NHWC images,
// for blurring the image every few steps and for blurring its gradient.
//
// The blur has standard deviation sigma pixels (0: identity), is truncated
// at radius BlurRadius(sigma) and blurs each channel separately. Border:
// half-sample symmetric reflection (the pixel beyond the edge repeats the
// edge pixel, then the image continues mirrored: scipy.ndimage's
// "reflect"). This border makes the blur self-adjoint, so BlurBackward is
// the same operation.

const blurWG = 256

// maxBlurSigma bounds σ so that the radius stays a sane loop count.
const maxBlurSigma = 1000

// BlurRadius is the blur's kernel radius for sigma: ceil(3σ).
func BlurRadius(sigma float64) int { return int(math.Ceil(3 * sigma)) }

// blurPass returns the Params of one pass over lines of n elements stride
// apart: the weights are e^{-k²a}/Σ with a = 1/(2σ²), computed in float64.
func blurPass(s NHWC, sigma float64, n, stride int) Params {
	r := BlurRadius(sigma)
	a := 0.0
	sum := 1.0
	if r > 0 {
		a = 1 / (2 * sigma * sigma)
		for k := 1; k <= r; k++ {
			sum += 2 * math.Exp(-float64(k*k)*a)
		}
	}
	return Params{U(s.Len()), U(n), U(stride), U(r), F(math.Exp(-a)), F(math.Exp(-2 * a)), F(1 / sum)}
}

// Blur records y = the blur of the images x (shape s) in two passes,
// x → tmp (along x) → y (along y). y may be x itself (an in-place blur);
// tmp must be a third buffer of the same size.
func (d *Device) Blur(s NHWC, sigma float64, x, tmp, y *Buffer) (*Chain, error) {
	return d.blur("blur", s, sigma, x, tmp, y)
}

// BlurBackward records dx = the adjoint of the blur applied to dy, which is
// the blur itself (see the border above). dx may be dy.
func (d *Device) BlurBackward(s NHWC, sigma float64, dy, tmp, dx *Buffer) (*Chain, error) {
	return d.blur("blur backward", s, sigma, dy, tmp, dx)
}

func (d *Device) blur(op string, s NHWC, sigma float64, x, tmp, y *Buffer) (*Chain, error) {
	if !(sigma >= 0 && sigma <= maxBlurSigma) {
		return nil, fmt.Errorf("gpu: %s: σ = %v, want it in [0, %d]", op, sigma, maxBlurSigma)
	}
	if err := s.check(op, x, "input"); err != nil {
		return nil, err
	}
	n := s.Len()
	if n >= math.MaxUint32 {
		return nil, fmt.Errorf("gpu: %s: tensor of more than 2³² floats", op)
	}
	// y may be x (in place); tmp must be a third buffer
	if err := checkBufs(op, n, []string{"input", "scratch"}, x, tmp); err != nil {
		return nil, err
	}
	if err := checkBufs(op, n, []string{"scratch", "output"}, tmp, y); err != nil {
		return nil, err
	}
	k, err := d.Kernel(KernelSpec{
		File: "blur.wgsl", Entry: "blur1d", Bufs: Bindings(Read, ReadWrite),
		Consts: map[string]string{"WG": fmt.Sprintf("%du", blurWG)},
	})
	if err != nil {
		return nil, err
	}
	g := Groups1D(n, blurWG)
	return build(func(c *Chain) error {
		if err := c.add(d.Dispatch(k, blurPass(s, sigma, s.W, s.C), g, x, tmp)); err != nil {
			return err
		}
		return c.add(d.Dispatch(k, blurPass(s, sigma, s.H, s.W*s.C), g, tmp, y))
	})
}
