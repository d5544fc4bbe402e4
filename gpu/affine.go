package gpu

// Launchers for shaders/affine.wgsl: the per-channel affine map y =
// x*scale[c] + shift[c] over NHWC tensors (batch normalisation in inference
// form) and its gradients.

const affineWG = 256

func (d *Device) affineDispatch(entry string, n, c int, binds []Binding, bufs ...*Buffer) (*Dispatch, error) {
	k, err := d.Kernel(KernelSpec{File: "affine.wgsl", Entry: entry, Bufs: binds, Consts: map[string]string{"WG": "256u"}})
	if err != nil {
		return nil, err
	}
	return d.Dispatch(k, Params{U(n), U(c)}, Groups1D(n, affineWG), bufs...)
}

func checkAffine(op string, s NHWC, x, scale *Buffer) error {
	if err := s.check(op, x, "x"); err != nil {
		return err
	}
	return checkLen(op, "scale", scale, s.C)
}

// ChannelAffine prepares y = x*scale[c] + shift[c] for x of shape s;
// scale and shift have s.C floats. y may not alias x.
func (d *Device) ChannelAffine(s NHWC, x, scale, shift, y *Buffer) (*Dispatch, error) {
	const op = "affine"
	if err := checkAffine(op, s, x, scale); err != nil {
		return nil, err
	}
	if err := checkLen(op, "shift", shift, s.C); err != nil {
		return nil, err
	}
	if err := checkLen(op, "y", y, s.Len()); err != nil {
		return nil, err
	}
	if err := noAlias(op, y, x, scale, shift); err != nil {
		return nil, err
	}
	return d.affineDispatch("forward", s.Len(), s.C, Bindings(Read, Read, Read, ReadWrite), x, scale, shift, y)
}

// ChannelAffineBackward prepares the gradients of ChannelAffine given dy:
// dx = dy*scale[c] and the per-channel sums dscale = Σ dy*x, dshift = Σ dy
// over the batch and positions (tree reductions). Any of dx, dscale and
// dshift may be nil when not needed; x is needed only for dscale.
func (d *Device) ChannelAffineBackward(s NHWC, x, scale, dy, dx, dscale, dshift *Buffer) (*Chain, error) {
	const op = "affine backward"
	if err := checkAffine(op, s, dy, scale); err != nil {
		return nil, err
	}
	return build(func(c *Chain) error {
		rows := s.N * s.H * s.W
		if dx != nil {
			if err := checkLen(op, "dx", dx, s.Len()); err != nil {
				return err
			}
			if err := noAlias(op, dx, dy, scale); err != nil {
				return err
			}
			if err := c.add(d.affineDispatch("backward_x", s.Len(), s.C, []Binding{{1, Read}, {2, Read}, {4, ReadWrite}}, dy, scale, dx)); err != nil {
				return err
			}
		}
		if dscale != nil {
			if err := checkLen(op, "x", x, s.Len()); err != nil {
				return err
			}
			if err := checkLen(op, "dscale", dscale, s.C); err != nil {
				return err
			}
			if err := d.cols(c, colJob{n: 1, r: rows, cin: s.C, prod: true, a: dy, b: x, alpha: 1, out: dscale}); err != nil {
				return err
			}
		}
		if dshift != nil {
			if err := checkLen(op, "dshift", dshift, s.C); err != nil {
				return err
			}
			return d.cols(c, colJob{n: 1, r: rows, cin: s.C, a: dy, alpha: 1, out: dshift})
		}
		return nil
	})
}
