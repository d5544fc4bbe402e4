package gpu

import (
	"fmt"
	"math"
)

// Launchers for shaders/blur.wgsl: separable Gaussian blur of NHWC images,
// for blurring the image every few steps and for blurring its gradient.

const blurWG = 256

// maxBlurSigma bounds σ so that the radius stays a sane loop count.
const maxBlurSigma = 1000

// BlurShape is a Gaussian blur of N images H×W×C with standard deviation
// Sigma pixels (0: identity), truncated at radius BlurRadius(Sigma), each
// channel blurred separately.
//
// Border: half-sample symmetric reflection (the pixel beyond the edge
// repeats the edge pixel, then the image continues mirrored: scipy.ndimage's
// "reflect"). This border makes the blur self-adjoint, so BlurBackward is the
// same operation.
type BlurShape struct {
	N, H, W, C int
	Sigma      float64
}

// BlurRadius is the blur's kernel radius for sigma: ceil(3σ).
func BlurRadius(sigma float64) int { return int(math.Ceil(3 * sigma)) }

// blurPass returns the Params of one pass over lines of n elements stride
// apart.
func (s BlurShape) blurPass(n, stride int) Params {
	r := BlurRadius(s.Sigma)
	a := 0.0
	sum := 1.0
	if r > 0 {
		a = 1 / (2 * s.Sigma * s.Sigma)
		for k := 1; k <= r; k++ {
			sum += 2 * math.Exp(-float64(k*k)*a)
		}
	}
	return Params{U(s.N * s.H * s.W * s.C), U(n), U(stride), U(r), F(math.Exp(-a)), F(math.Exp(-2 * a)), F(1 / sum)}
}

// Blur records y = the blur of x in two passes, x → tmp (along x) → y
// (along y). y may be x itself (an in-place blur); tmp must be a third
// buffer of the same size.
func (d *Device) Blur(s BlurShape, x, tmp, y *Buffer) (Dispatches, error) {
	return d.blur("blur", s, x, tmp, y)
}

// BlurBackward records dx = the adjoint of the blur applied to dy, which is
// the blur itself (see BlurShape). dx may be dy.
func (d *Device) BlurBackward(s BlurShape, dy, tmp, dx *Buffer) (Dispatches, error) {
	return d.blur("blur backward", s, dy, tmp, dx)
}

func (d *Device) blur(op string, s BlurShape, x, tmp, y *Buffer) (Dispatches, error) {
	if s.N < 1 || s.H < 1 || s.W < 1 || s.C < 1 || !(s.Sigma >= 0 && s.Sigma <= maxBlurSigma) {
		return nil, fmt.Errorf("gpu: %s: bad shape %+v (σ must be in [0, %d])", op, s, maxBlurSigma)
	}
	n := s.N * s.H * s.W * s.C
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
	return collect(2, func(i int) (*Dispatch, error) {
		if i == 0 {
			return d.Dispatch(k, s.blurPass(s.W, s.C), g, x, tmp)
		}
		return d.Dispatch(k, s.blurPass(s.H, s.W*s.C), g, tmp, y)
	})
}
