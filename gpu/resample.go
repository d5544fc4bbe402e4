package gpu

import (
	"fmt"
	"math"
)

// Launchers for shaders/resample.wgsl: bilinear resampling of NHWC images by
// one affine matrix per image, the single resampling that Lucid's transform
// chain (pad, jitter, scale, rotate, jitter) is composed into.

const resampleWG = 64

// Affine is a 2×3 matrix mapping output pixel coordinates to the input
// coordinates sampled there ("pull-back"):
//
//	sx = A[0]*ox + A[1]*oy + A[2]
//	sy = A[3]*ox + A[4]*oy + A[5]
//
// Pixel (x, y) has its centre at the integer coordinates (x, y), so the
// centre of an h×w image is ((w-1)/2, (h-1)/2).
type Affine [6]float64

// Identity returns the matrix sampling each output pixel at the same input
// pixel.
func Identity() Affine { return Affine{1, 0, 0, 0, 1, 0} }

// Translate returns the matrix sampling output (ox, oy) at input
// (ox+dx, oy+dy): a crop whose top-left corner is input pixel (dx, dy).
func Translate(dx, dy float64) Affine { return Affine{1, 0, dx, 0, 1, dy} }

// Scale returns the matrix that magnifies the image by s about the point
// (cx, cy), which stays fixed: output o samples input c + (o - c)/s.
func Scale(s, cx, cy float64) Affine {
	return Affine{1 / s, 0, cx - cx/s, 0, 1 / s, cy - cy/s}
}

// Rotate returns the matrix that rotates the image by deg degrees about
// (cx, cy), in the sense of tf.contrib.image.rotate (which Lucid uses):
// sx = cos·(ox-cx) - sin·(oy-cy) + cx, sy = sin·(ox-cx) + cos·(oy-cy) + cy.
func Rotate(deg, cx, cy float64) Affine {
	return rotateRad(deg*math.Pi/180, cx, cy)
}

func rotateRad(th, cx, cy float64) Affine {
	c, s := math.Cos(th), math.Sin(th)
	return Affine{c, -s, cx - c*cx + s*cy, s, c, cy - s*cx - c*cy}
}

// Compose returns the matrix of a chain of resamplings, ms[0] applied to the
// image first: since each matrix maps its stage's output coordinates back to
// its input, the composition is ms[0] ∘ ms[1] ∘ … ∘ ms[k-1], i.e. an output
// point goes through the last stage's matrix first. Compose() is Identity.
func Compose(ms ...Affine) Affine {
	r := Identity()
	for _, m := range ms {
		r = Affine{
			r[0]*m[0] + r[1]*m[3], r[0]*m[1] + r[1]*m[4], r[0]*m[2] + r[1]*m[5] + r[2],
			r[3]*m[0] + r[4]*m[3], r[3]*m[1] + r[4]*m[4], r[3]*m[2] + r[4]*m[5] + r[5],
		}
	}
	return r
}

// Apply returns the input coordinates sampled at output point (ox, oy).
func (a Affine) Apply(ox, oy float64) (sx, sy float64) {
	return a[0]*ox + a[1]*oy + a[2], a[3]*ox + a[4]*oy + a[5]
}

// Put writes the matrix as the 6 floats of one image in a resampling's
// matrix buffer (dst[6n:] for image n).
func (a Affine) Put(dst []float32) {
	for i, v := range a {
		dst[i] = float32(v)
	}
}

// Lucid's standard_transforms (lucid/optvis/transform.py), in order.
const (
	LucidPad     = 12  // pad(12, mode="constant", constant_value=0.5)
	LucidFill    = 0.5 // the pad's constant
	LucidJitter1 = 8   // jitter(8)
	LucidJitter2 = 4   // jitter(4), after scale and rotate
)

// LucidDraw is one draw of the random parameters of Lucid's standard
// transforms. Lucid draws them once per batch; hubel may draw per image.
type LucidDraw struct {
	// X1, Y1: offset of jitter(8)'s crop, each in 0..LucidJitter1.
	X1, Y1 int
	// Scale: random_scale's factor, one of 1+(i-5)/50, i = 0..10.
	Scale float64
	// Degrees: random_rotate's angle, from -10..10 (and five extra 0s).
	Degrees float64
	// X2, Y2: offset of jitter(4)'s crop, each in 0..LucidJitter2.
	X2, Y2 int
}

// LucidSize returns the height and width of Lucid's transformed image for
// an h×w input and scale s: pad and jitter give h+2·12-8; random_scale
// resizes to int32(float32(s)·float32(h+16)) (TF truncates a float32
// product); rotate keeps the size; jitter(4) crops 4.
func LucidSize(h, w int, s float64) (oh, ow int) {
	return lucidScaled(h, s) - LucidJitter2, lucidScaled(w, s) - LucidJitter2
}

func lucidScaled(n int, s float64) int {
	return int(float32(s) * float32(n+2*LucidPad-LucidJitter1))
}

// LucidTransform composes Lucid's standard transform chain for one draw into
// the matrix of a single resampling of the h×w input (with fill LucidFill),
// and returns it with the chain's output size (LucidSize).
//
// Derivation. Write each stage as the map from its output coordinates back
// to its input coordinates, pixel centres at integers throughout:
//
//  1. pad 12: the padded pixel x1 is input pixel x1-12 (outside: the fill).
//  2. jitter 8: a crop at (X1, Y1) of the (h+24)×(w+24) image to
//     H2×W2 = (h+16)×(w+16): x1 = x2 + X1.
//  3. random_scale: tf.image.resize_bilinear to H3×W3 = LucidSize+4, TF1's
//     default mapping (align_corners=False, no half-pixel centres) samples
//     output x3 at x2 = x3·W2/W3, y2 = y3·H2/H3: the ratio of the actual
//     sizes, about the top-left pixel, not exactly 1/s.
//  4. random_rotate: tf.contrib.image.rotate by θ = Degrees·3.14/180 (Lucid
//     converts with 3.14, not π) about the centre c = ((W3-1)/2, (H3-1)/2):
//     x3 = cos θ·(x4-cx) - sin θ·(y4-cy) + cx, y3 = sin θ·(x4-cx) + cos θ·(y4-cy) + cy.
//  5. jitter 4: a crop at (X2, Y2) to (H3-4)×(W3-4): x4 = x5 + X2.
//
// Substituting 5 into 4 into 3 into 2 into 1 gives the input point of
// output pixel x5: Compose(Translate(X1-12, Y1-12), diag(W2/W3, H2/H3),
// rotate(θ, c), Translate(X2, Y2)).
//
// What one bilinear resampling cannot reproduce exactly: Lucid interpolates
// twice (bilinear resize, then a nearest-neighbour rotate), clamps the
// resize at the edge (the edge there is the 0.5 padding, so the same
// values), and fills the rotation's uncovered corners with 0 rather than
// 0.5.
//
// A network with a fixed input size needs a fixed output size: prepare the
// resampling at that size and compose a centring crop, e.g.
// Compose(m, Translate(float64((ow-W)/2), float64((oh-H)/2))).
func LucidTransform(h, w int, d LucidDraw) (m Affine, oh, ow int, err error) {
	if h < 1 || w < 1 {
		return Affine{}, 0, 0, fmt.Errorf("gpu: lucid transform: bad image size %d×%d", h, w)
	}
	if !(d.Scale > 0) || math.IsInf(d.Scale, 0) || math.IsNaN(d.Degrees) || math.IsInf(d.Degrees, 0) {
		return Affine{}, 0, 0, fmt.Errorf("gpu: lucid transform: bad scale %v or angle %v", d.Scale, d.Degrees)
	}
	if d.X1 < 0 || d.Y1 < 0 || d.X1 > LucidJitter1 || d.Y1 > LucidJitter1 ||
		d.X2 < 0 || d.Y2 < 0 || d.X2 > LucidJitter2 || d.Y2 > LucidJitter2 {
		return Affine{}, 0, 0, fmt.Errorf("gpu: lucid transform: jitter offsets (%d,%d) and (%d,%d) out of range 0..%d and 0..%d",
			d.X1, d.Y1, d.X2, d.Y2, LucidJitter1, LucidJitter2)
	}
	h2, w2 := h+2*LucidPad-LucidJitter1, w+2*LucidPad-LucidJitter1
	h3, w3 := lucidScaled(h, d.Scale), lucidScaled(w, d.Scale)
	if h3 <= LucidJitter2 || w3 <= LucidJitter2 {
		return Affine{}, 0, 0, fmt.Errorf("gpu: lucid transform: scale %v leaves no image of %d×%d", d.Scale, h, w)
	}
	m = Compose(
		Translate(float64(d.X1-LucidPad), float64(d.Y1-LucidPad)),
		Affine{float64(w2) / float64(w3), 0, 0, 0, float64(h2) / float64(h3), 0},
		rotateRad(d.Degrees*3.14/180, float64(w3-1)/2, float64(h3-1)/2),
		Translate(float64(d.X2), float64(d.Y2)),
	)
	return m, h3 - LucidJitter2, w3 - LucidJitter2, nil
}

// ResampleShape is a batch resampling: N input images H×W×C resampled to
// OH×OW×C, reading Fill outside the input.
type ResampleShape struct {
	N, H, W, C int
	OH, OW     int
	Fill       float64
}

func (s ResampleShape) check(op string, src, mats, dst *Buffer, srcLen, dstLen int) error {
	if s.N < 1 || s.H < 1 || s.W < 1 || s.C < 1 || s.OH < 1 || s.OW < 1 {
		return fmt.Errorf("gpu: %s: bad shape %+v", op, s)
	}
	if src == nil || mats == nil || dst == nil {
		return fmt.Errorf("gpu: %s: nil buffer", op)
	}
	if src.Len != srcLen {
		return fmt.Errorf("gpu: %s: %q has %d floats, want %d", op, src.label, src.Len, srcLen)
	}
	if dst.Len != dstLen {
		return fmt.Errorf("gpu: %s: %q has %d floats, want %d", op, dst.label, dst.Len, dstLen)
	}
	if mats.Len != 6*s.N {
		return fmt.Errorf("gpu: %s: matrix buffer %q has %d floats, want 6 per image (%d)", op, mats.label, mats.Len, 6*s.N)
	}
	if src == dst || src == mats || mats == dst {
		return fmt.Errorf("gpu: %s: buffers may not alias", op)
	}
	return nil
}

func (d *Device) resample(op, entry string, s ResampleShape, pixels int, src, mats, dst *Buffer) (*Dispatch, error) {
	k, err := d.Kernel(KernelSpec{
		File: "resample.wgsl", Entry: entry, Bufs: Bindings(Read, Read, ReadWrite),
		Consts: map[string]string{"WG": fmt.Sprintf("%du", resampleWG)},
	})
	if err != nil {
		return nil, err
	}
	chunks := Ceil(s.C, 4)
	total := pixels * chunks
	if total >= math.MaxUint32 {
		return nil, fmt.Errorf("gpu: %s: %d invocations overflow u32", op, total)
	}
	p := Params{U(s.N), U(s.H), U(s.W), U(s.C), U(s.OH), U(s.OW), U(chunks), U(total), F(s.Fill)}
	return d.Dispatch(k, p, Groups1D(total, resampleWG), src, mats, dst)
}

// Resample records y [N][OH][OW][C] = bilinear samples of x [N][H][W][C],
// output pixel o of image n read at input point mats[6n:6n+6] · (o, 1) (see
// Affine). The matrices are read when the dispatch runs, so a new draw per
// step is a write to mats, not a new dispatch. They must be invertible.
func (d *Device) Resample(s ResampleShape, x, mats, y *Buffer) (*Dispatch, error) {
	if err := s.check("resample", x, mats, y, s.N*s.H*s.W*s.C, s.N*s.OH*s.OW*s.C); err != nil {
		return nil, err
	}
	return d.resample("resample", "forward", s, s.N*s.OH*s.OW, x, mats, y)
}

// ResampleBackward records dx = the adjoint of Resample applied to dy: the
// gradient with respect to x (the fill contributes nothing). It is a gather,
// deterministic, one invocation per input pixel visiting exactly the output
// pixels whose bilinear footprint covers it. Each matrix's inverse is
// computed on the GPU, so the same mats buffer serves both directions.
func (d *Device) ResampleBackward(s ResampleShape, dy, mats, dx *Buffer) (*Dispatch, error) {
	if err := s.check("resample backward", dy, mats, dx, s.N*s.OH*s.OW*s.C, s.N*s.H*s.W*s.C); err != nil {
		return nil, err
	}
	return d.resample("resample backward", "adjoint", s, s.N*s.H*s.W, dy, mats, dx)
}
