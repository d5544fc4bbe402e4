package gpu

import "fmt"

// Launchers for shaders/pool.wgsl: max and average pooling with Keras's
// padding, global average and max pooling, and their gradients.

const poolWG = 256

// PoolShape is the geometry of a pooling layer: batch N, input H×W×C,
// window KH×KW, strides SH, SW, and Keras's "same" padding when Same, else
// "valid".
type PoolShape struct {
	N, H, W, C int
	KH, KW     int
	SH, SW     int
	Same       bool
}

// poolDim returns the output size and the padding before the first pixel
// along one axis, following Keras: "same" gives out = ceil(in/s) and total
// padding max((out-1)*s + k - in, 0), the smaller half before (so with an
// odd total the extra pixel goes at the bottom/right); "valid" gives out =
// (in-k)/s + 1 and no padding.
func poolDim(in, k, s int, same bool) (out, before int) {
	if !same {
		return (in-k)/s + 1, 0
	}
	out = Ceil(in, s)
	return out, max((out-1)*s+k-in, 0) / 2
}

// Out returns the output size and the top and left padding, or an error
// for a bad geometry.
func (s PoolShape) Out() (oh, ow, top, left int, err error) {
	if s.N < 1 || s.H < 1 || s.W < 1 || s.C < 1 || s.KH < 1 || s.KW < 1 || s.SH < 1 || s.SW < 1 {
		return 0, 0, 0, 0, fmt.Errorf("bad pooling geometry %+v", s)
	}
	if !s.Same && (s.KH > s.H || s.KW > s.W) {
		return 0, 0, 0, 0, fmt.Errorf("%dx%d window larger than the %dx%d input with valid padding", s.KH, s.KW, s.H, s.W)
	}
	oh, top = poolDim(s.H, s.KH, s.SH, s.Same)
	ow, left = poolDim(s.W, s.KW, s.SW, s.Same)
	return oh, ow, top, left, nil
}

// XLen is the number of floats of the input.
func (s PoolShape) XLen() int { return s.N * s.H * s.W * s.C }

// YLen is the number of floats of the output (0 for a bad geometry).
func (s PoolShape) YLen() int {
	oh, ow, _, _, err := s.Out()
	if err != nil {
		return 0
	}
	return s.N * oh * ow * s.C
}

// poolDispatch validates x (the input-shaped buffer) and y (the
// output-shaped one) and prepares entry over total invocations.
func (d *Device) poolDispatch(op, entry string, s PoolShape, forward, isMax bool, x, y *Buffer, binds []Binding, bufs ...*Buffer) (*Dispatch, error) {
	oh, ow, top, left, err := s.Out()
	if err != nil {
		return nil, fmt.Errorf("gpu: %s: %w", op, err)
	}
	if err := checkLen(op, "input-shaped buffer", x, s.XLen()); err != nil {
		return nil, err
	}
	if err := checkLen(op, "output-shaped buffer", y, s.YLen()); err != nil {
		return nil, err
	}
	if err := noAlias(op, bufs[len(bufs)-1], bufs[:len(bufs)-1]...); err != nil {
		return nil, err
	}
	total := s.XLen()
	if forward {
		total = s.YLen()
	}
	k, err := d.Kernel(KernelSpec{File: "pool.wgsl", Entry: entry, Bufs: binds, Consts: map[string]string{"WG": "256u"}})
	if err != nil {
		return nil, err
	}
	params := Params{U(total), U(s.N), U(s.H), U(s.W), U(s.C), U(oh), U(ow), U(s.KH), U(s.KW), U(s.SH), U(s.SW), U(top), U(left), 0, b2u(isMax)}
	return d.Dispatch(k, params, Groups1D(total, poolWG), bufs...)
}

// MaxPool prepares y = the maximum over each window of x.
func (d *Device) MaxPool(s PoolShape, x, y *Buffer) (*Dispatch, error) {
	return d.poolDispatch("max pool", "max_forward", s, true, true, x, y, []Binding{{1, Read}, {2, ReadWrite}}, x, y)
}

// MaxPoolBackward prepares dx: each window's gradient goes to its maximum
// in x, the first in row-major window order on ties. It finds each
// window's maximum once, into a scratch buffer, and then gathers at every
// input pixel the gradients of the windows whose maximum it is.
func (d *Device) MaxPoolBackward(s PoolShape, x, dy, dx *Buffer) (*Chain, error) {
	const op = "max pool backward"
	if err := checkLen(op, "dx", dx, s.XLen()); err != nil {
		return nil, err
	}
	return build(func(c *Chain) error {
		arg, err := c.scratch(d, "maxpool.argmax", s.YLen())
		if err != nil {
			return err
		}
		if err := c.add(d.poolDispatch(op, "max_argmax", s, true, true, x, arg, []Binding{{1, Read}, {6, ReadWrite}}, x, arg)); err != nil {
			return err
		}
		return c.add(d.poolDispatch(op, "backward", s, false, true, x, dy, []Binding{{3, Read}, {5, Read}, {4, ReadWrite}}, dy, arg, dx))
	})
}

// AvgPool prepares y = the mean over each window of the pixels inside the
// image (padding is not counted, as in Keras).
func (d *Device) AvgPool(s PoolShape, x, y *Buffer) (*Dispatch, error) {
	return d.poolDispatch("average pool", "avg_forward", s, true, false, x, y, []Binding{{1, Read}, {2, ReadWrite}}, x, y)
}

// AvgPoolBackward prepares the gradient of AvgPool given dy.
func (d *Device) AvgPoolBackward(s PoolShape, dy, dx *Buffer) (*Dispatch, error) {
	// The offsets slot is unused: dy stands in.
	return d.poolDispatch("average pool backward", "backward", s, false, false, dx, dy, []Binding{{3, Read}, {5, Read}, {4, ReadWrite}}, dy, dy, dx)
}

// globalCheck validates a global pooling's input-shaped and [N][C] buffers.
func globalCheck(op string, s NHWC, x, y *Buffer) error {
	if err := s.check(op, x, "input-shaped buffer"); err != nil {
		return err
	}
	return checkLen(op, "[N][C] buffer", y, s.N*s.C)
}

// GlobalAvgPool prepares y[n][c] = the mean of x over the H×W positions.
func (d *Device) GlobalAvgPool(s NHWC, x, y *Buffer) (*Chain, error) {
	if err := globalCheck("global average pool", s, x, y); err != nil {
		return nil, err
	}
	return build(func(c *Chain) error {
		return d.cols(c, colJob{n: s.N, r: s.H * s.W, cin: s.C, a: x, alpha: 1 / float64(s.H*s.W), out: y})
	})
}

// globalDispatch prepares one of pool.wgsl's global-pooling gradients.
func (d *Device) globalDispatch(entry string, s NHWC, binds []Binding, bufs ...*Buffer) (*Dispatch, error) {
	k, err := d.Kernel(KernelSpec{File: "pool.wgsl", Entry: entry, Bufs: binds, Consts: map[string]string{"WG": "256u"}})
	if err != nil {
		return nil, err
	}
	params := Params{U(s.Len()), U(s.N), U(s.H), U(s.W), U(s.C), 0, 0, 0, 0, 0, 0, 0, 0, F(1 / float64(s.H*s.W)), 0}
	return d.Dispatch(k, params, Groups1D(s.Len(), poolWG), bufs...)
}

// GlobalAvgPoolBackward prepares dx = dy[n][c] / (H*W) at every position.
func (d *Device) GlobalAvgPoolBackward(s NHWC, dy, dx *Buffer) (*Dispatch, error) {
	if err := globalCheck("global average pool backward", s, dx, dy); err != nil {
		return nil, err
	}
	return d.globalDispatch("gap_backward", s, []Binding{{3, Read}, {4, ReadWrite}}, dy, dx)
}

// globalArgmax appends to c the reduction writing each channel's maximum
// to y and the position of its first occurrence to a scratch buffer, which
// it returns.
func (d *Device) globalArgmax(c *Chain, s NHWC, x, y *Buffer) (*Buffer, error) {
	idx, err := c.scratch(d, "gmp.index", s.N*s.C)
	if err != nil {
		return nil, err
	}
	return idx, d.cols(c, colJob{n: s.N, r: s.H * s.W, cin: s.C, max: true, a: x, out: y, outIdx: idx})
}

// GlobalMaxPool prepares y[n][c] = the maximum of x over the H×W positions.
func (d *Device) GlobalMaxPool(s NHWC, x, y *Buffer) (*Chain, error) {
	if err := globalCheck("global max pool", s, x, y); err != nil {
		return nil, err
	}
	return build(func(c *Chain) error {
		_, err := d.globalArgmax(c, s, x, y)
		return err
	})
}

// GlobalMaxPoolBackward prepares dx: dy[n][c] goes to the first position of
// channel c's maximum in image n of x, 0 elsewhere. It finds the maxima
// again, so it needs only x.
func (d *Device) GlobalMaxPoolBackward(s NHWC, x, dy, dx *Buffer) (*Chain, error) {
	const op = "global max pool backward"
	if err := globalCheck(op, s, x, dy); err != nil {
		return nil, err
	}
	if err := checkLen(op, "dx", dx, s.Len()); err != nil {
		return nil, err
	}
	if err := noAlias(op, dx, x, dy); err != nil {
		return nil, err
	}
	return build(func(c *Chain) error {
		maxima, err := c.scratch(d, "gmp.max", s.N*s.C)
		if err != nil {
			return err
		}
		idx, err := d.globalArgmax(c, s, x, maxima)
		if err != nil {
			return err
		}
		return c.add(d.globalDispatch("gmp_backward", s, []Binding{{3, Read}, {5, Read}, {4, ReadWrite}}, dy, idx, dx))
	})
}

// UpsampleShape is the geometry of a nearest-neighbour upsampling (Keras
// UpSampling2D, interpolation "nearest"): batch N, input H×W×C, each pixel
// repeated SH times down and SW times across.
type UpsampleShape struct {
	N, H, W, C int
	SH, SW     int
}

// XLen is the number of floats of the input.
func (s UpsampleShape) XLen() int { return s.N * s.H * s.W * s.C }

// YLen is the number of floats of the output.
func (s UpsampleShape) YLen() int { return s.N * s.H * s.SH * s.W * s.SW * s.C }

// pool is the average pooling whose adjoint, times SH·SW, is the
// upsampling: SH×SW windows with stride SH×SW over the output grid.
func (s UpsampleShape) pool() PoolShape {
	return PoolShape{N: s.N, H: s.H * s.SH, W: s.W * s.SW, C: s.C, KH: s.SH, KW: s.SW, SH: s.SH, SW: s.SW}
}

func (s UpsampleShape) check(op string, x, y *Buffer) error {
	if s.N < 1 || s.H < 1 || s.W < 1 || s.C < 1 || s.SH < 1 || s.SW < 1 {
		return fmt.Errorf("gpu: %s: bad geometry %+v", op, s)
	}
	if err := checkLen(op, "input", x, s.XLen()); err != nil {
		return err
	}
	return checkLen(op, "output", y, s.YLen())
}

// Upsample prepares y = x with every pixel repeated SH×SW times. It needs no
// kernel of its own: nearest upsampling is SH·SW times the adjoint of
// SH×SW average pooling with stride SH×SW, so it is that pooling's
// backward pass followed by a scaling.
func (d *Device) Upsample(s UpsampleShape, x, y *Buffer) (*Chain, error) {
	if err := s.check("upsample", x, y); err != nil {
		return nil, err
	}
	return build(func(c *Chain) error {
		if err := c.add(d.AvgPoolBackward(s.pool(), x, y)); err != nil {
			return err
		}
		return c.add(d.ScaleShift(y, float64(s.SH*s.SW), 0))
	})
}

// UpsampleBackward prepares dx = the sum of dy over each pixel's SH×SW
// copies: SH·SW times the average pooling of dy.
func (d *Device) UpsampleBackward(s UpsampleShape, dy, dx *Buffer) (*Chain, error) {
	if err := s.check("upsample backward", dx, dy); err != nil {
		return nil, err
	}
	return build(func(c *Chain) error {
		if err := c.add(d.AvgPool(s.pool(), dy, dx)); err != nil {
			return err
		}
		return c.add(d.ScaleShift(dx, float64(s.SH*s.SW), 0))
	})
}
