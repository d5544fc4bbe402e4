package gpu

import (
	"fmt"
	"math"
)

// Launchers for shaders/color.wgsl: colour decorrelation followed by a
// sigmoid, the last step of Lucid's image parameterisations.

const colorWG = 256

// ColorMatrix is a 3×3 matrix M, row-major, applied to each pixel as
// rgb = t · Mᵀ (rgb_i = Σ_j M[3i+j]·t_j).
type ColorMatrix [9]float64

// lucidColorSVDSqrt is Lucid's color_correlation_svd_sqrt
// (lucid/optvis/param/color.py): the square root of ImageNet's colour
// correlation, rows r, g, b.
var lucidColorSVDSqrt = ColorMatrix{
	0.26, 0.09, 0.02,
	0.27, 0.00, -0.05,
	0.27, -0.09, 0.03,
}

// LucidColor returns Lucid's default colour decorrelation matrix:
// color_correlation_svd_sqrt divided by its largest column norm (≈0.4619),
// computed in float64 as numpy does.
func LucidColor() ColorMatrix {
	m := lucidColorSVDSqrt
	norm := 0.0
	for j := range 3 {
		norm = math.Max(norm, math.Sqrt(m[j]*m[j]+m[3+j]*m[3+j]+m[6+j]*m[6+j]))
	}
	for i := range m {
		m[i] /= norm
	}
	return m
}

// ColorShape is N images H×W of C channels. Three channels (C 0 or 3) are
// mapped through the matrix M; any other count (a grey image: 1) has no
// colours to decorrelate, so M is ignored and each value goes through the
// sigmoid alone (the identity matrix).
type ColorShape struct {
	N, H, W int
	C       int // channels; 0 means 3
	M       ColorMatrix
}

// Channels is the shape's channel count (3 when C is 0).
func (s ColorShape) Channels() int {
	if s.C == 0 {
		return 3
	}
	return s.C
}

// rgb reports whether the shape maps pixels through M.
func (s ColorShape) rgb() bool { return s.Channels() == 3 }

// units is the number of invocations: pixels through M, else values.
func (s ColorShape) units() int {
	if s.rgb() {
		return s.N * s.H * s.W
	}
	return s.N * s.H * s.W * s.Channels()
}

func (s ColorShape) params(op string) (Params, error) {
	if s.N < 1 || s.H < 1 || s.W < 1 || s.C < 0 {
		return nil, fmt.Errorf("gpu: %s: bad shape %d×%d×%d×%d", op, s.N, s.H, s.W, s.C)
	}
	if s.N*s.H*s.W*s.Channels() >= math.MaxUint32 {
		return nil, fmt.Errorf("gpu: %s: tensor of more than 2³² floats", op)
	}
	p := Params{U(s.units())}
	for _, v := range s.M {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("gpu: %s: matrix entry %v is not finite", op, v)
		}
		p = append(p, F(v))
	}
	return p, nil
}

func (d *Device) color(entry string, bufs []Binding, p Params, pix int, b ...*Buffer) (*Dispatch, error) {
	k, err := d.Kernel(KernelSpec{File: "color.wgsl", Entry: entry, Bufs: bufs, Consts: map[string]string{"WG": fmt.Sprintf("%du", colorWG)}})
	if err != nil {
		return nil, err
	}
	return d.Dispatch(k, p, Groups1D(pix, colorWG), b...)
}

// ToRGB records rgb = sigmoid(t · Mᵀ) per pixel of the NHWC tensor t
// (3 channels; other channel counts: rgb = sigmoid(t) per value). rgb may
// not be t.
func (d *Device) ToRGB(s ColorShape, t, rgb *Buffer) (*Dispatch, error) {
	p, err := s.params("to_rgb")
	if err != nil {
		return nil, err
	}
	n := s.Channels() * s.N * s.H * s.W
	if err := checkBufs("to_rgb", n, []string{"input", "output"}, t, rgb); err != nil {
		return nil, err
	}
	entry := "to_rgb"
	if !s.rgb() {
		entry = "sigmoid"
	}
	return d.color(entry, []Binding{{1, Read}, {3, ReadWrite}}, p, s.units(), t, rgb)
}

// ToRGBBackward records dt = M · (drgb ⊙ rgb ⊙ (1 − rgb)) per pixel (M
// the identity for a channel count other than 3): the gradient of ToRGB
// with respect to t, from the gradient drgb of its output and that output
// rgb itself. dt may not alias the inputs.
func (d *Device) ToRGBBackward(s ColorShape, rgb, drgb, dt *Buffer) (*Dispatch, error) {
	op := "to_rgb backward"
	p, err := s.params(op)
	if err != nil {
		return nil, err
	}
	n := s.Channels() * s.N * s.H * s.W
	if err := checkBufs(op, n, []string{"rgb", "rgb gradient", "output"}, rgb, drgb, dt); err != nil {
		return nil, err
	}
	entry := "to_rgb_backward"
	if !s.rgb() {
		entry = "sigmoid_backward"
	}
	return d.color(entry, Bindings(Read, Read, ReadWrite), p, s.units(), drgb, rgb, dt)
}
