package gpu

import (
	"fmt"
	"math"
)

// Launchers for shaders/layout.wgsl: concatenation and splitting of NHWC
// tensors along channels, spatial padding and cropping, and their backward
// passes (each is another of the four).

const layoutWG = 256

// checkBufs checks that each of bufs (named by names) holds want floats and
// that no two are the same buffer.
func checkBufs(op string, want int, names []string, bufs ...*Buffer) error {
	for i, b := range bufs {
		if err := checkLen(op, names[i], b, want); err != nil {
			return err
		}
		for j := range i {
			if bufs[j] == b {
				return fmt.Errorf("gpu: %s: the %s and %s buffers are the same", op, names[j], names[i])
			}
		}
	}
	return nil
}

// window is one dispatch of layout.wgsl's gather: for every element of the
// n×bh×bw×bc box, dst at box+dOff = src at box+sOff (fill outside src).
type window struct {
	n, bh, bw, bc int
	sh, sw, sc    int
	dh, dw, dc    int
	sOff          [3]int // y, x, c; may be negative
	dOff          [3]int // y, x, c; non-negative, box inside dst
	fill          float64
}

func (d *Device) window(op string, w window, src, dst *Buffer) (*Dispatch, error) {
	if src == dst {
		return nil, fmt.Errorf("gpu: %s: source and destination are the same buffer", op)
	}
	total := w.n * w.bh * w.bw * w.bc
	if total >= math.MaxUint32 || w.n*w.sh*w.sw*w.sc >= math.MaxUint32 || w.n*w.dh*w.dw*w.dc >= math.MaxUint32 {
		return nil, fmt.Errorf("gpu: %s: tensor of more than 2³² floats", op)
	}
	k, err := d.Kernel(KernelSpec{
		File: "layout.wgsl", Entry: "window", Bufs: Bindings(Read, ReadWrite),
		Consts: map[string]string{"WG": fmt.Sprintf("%du", layoutWG)},
	})
	if err != nil {
		return nil, err
	}
	p := Params{
		U(w.n), U(w.bh), U(w.bw), U(w.bc), U(total),
		U(w.sh), U(w.sw), U(w.sc), U(w.dh), U(w.dw), U(w.dc),
		I(w.sOff[0]), I(w.sOff[1]), I(w.sOff[2]),
		U(w.dOff[0]), U(w.dOff[1]), U(w.dOff[2]),
		F(w.fill),
	}
	return d.Dispatch(k, p, Groups1D(total, layoutWG), src, dst)
}

// ConcatShape is a concatenation along channels of NHWC tensors of N×H×W
// pixels with C[i] channels each, into one of ΣC[i] channels.
type ConcatShape struct {
	N, H, W int
	C       []int
}

// Channels is the number of channels of the concatenation.
func (s ConcatShape) Channels() int {
	t := 0
	for _, c := range s.C {
		t += c
	}
	return t
}

func (s ConcatShape) check(op string, whole *Buffer, parts []*Buffer, partsMayBeNil bool) error {
	if s.N < 1 || s.H < 1 || s.W < 1 || len(s.C) == 0 {
		return fmt.Errorf("gpu: %s: bad shape %+v", op, s)
	}
	for i, c := range s.C {
		if c < 1 {
			return fmt.Errorf("gpu: %s: part %d has %d channels", op, i, c)
		}
	}
	if len(parts) != len(s.C) {
		return fmt.Errorf("gpu: %s: %d buffers for %d parts", op, len(parts), len(s.C))
	}
	pix := s.N * s.H * s.W
	if err := checkLen(op, "concatenation", whole, pix*s.Channels()); err != nil {
		return err
	}
	for i, b := range parts {
		if b == nil && partsMayBeNil {
			continue
		}
		if err := checkLen(op, fmt.Sprintf("part %d", i), b, pix*s.C[i]); err != nil {
			return err
		}
	}
	return nil
}

// Concat records y = the channel concatenation of parts (in order), one
// dispatch per part, each writing its own channel range of y.
func (d *Device) Concat(s ConcatShape, parts []*Buffer, y *Buffer) (*Chain, error) {
	if err := s.check("concat", y, parts, false); err != nil {
		return nil, err
	}
	return build(func(ch *Chain) error {
		ct, off := s.Channels(), 0
		for i, c := range s.C {
			w := window{n: s.N, bh: s.H, bw: s.W, bc: c, sh: s.H, sw: s.W, sc: c, dh: s.H, dw: s.W, dc: ct, dOff: [3]int{0, 0, off}}
			off += c
			if err := ch.add(d.window("concat", w, parts[i], y)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Split records parts[i] = channels [ΣC[:i], ΣC[:i+1]) of x: the inverse of
// Concat, and its backward pass (dparts from dy); Concat is in turn Split's
// backward. A nil part is skipped (a gradient nobody needs).
func (d *Device) Split(s ConcatShape, x *Buffer, parts []*Buffer) (*Chain, error) {
	if err := s.check("split", x, parts, true); err != nil {
		return nil, err
	}
	return build(func(ch *Chain) error {
		ct, off := s.Channels(), 0
		for i, c := range s.C {
			w := window{n: s.N, bh: s.H, bw: s.W, bc: c, sh: s.H, sw: s.W, sc: ct, dh: s.H, dw: s.W, dc: c, sOff: [3]int{0, 0, off}}
			off += c
			if parts[i] == nil {
				continue
			}
			if err := ch.add(d.window("split", w, x, parts[i])); err != nil {
				return err
			}
		}
		return nil
	})
}

// ConcatBackward records dparts = Split(dy): the gradient of each part.
func (d *Device) ConcatBackward(s ConcatShape, dy *Buffer, dparts []*Buffer) (*Chain, error) {
	return d.Split(s, dy, dparts)
}

// PadShape is a spatial padding of N images H×W×C by Top, Bottom, Left and
// Right pixels (each ≥ 0) of the constant Value, giving
// (H+Top+Bottom)×(W+Left+Right)×C.
type PadShape struct {
	N, H, W, C               int
	Top, Bottom, Left, Right int
	Value                    float64
}

// Out returns the padded height and width.
func (s PadShape) Out() (h, w int) { return s.H + s.Top + s.Bottom, s.W + s.Left + s.Right }

func (s PadShape) check(op string, small, big *Buffer) error {
	if s.N < 1 || s.H < 1 || s.W < 1 || s.C < 1 || s.Top < 0 || s.Bottom < 0 || s.Left < 0 || s.Right < 0 {
		return fmt.Errorf("gpu: %s: bad shape %+v", op, s)
	}
	h, w := s.Out()
	if err := checkLen(op, "unpadded", small, s.N*s.H*s.W*s.C); err != nil {
		return err
	}
	return checkLen(op, "padded", big, s.N*h*w*s.C)
}

// padWindow returns the gather from the small image into the big one; its
// reverse crops.
func (s PadShape) padWindow() window {
	h, w := s.Out()
	return window{n: s.N, bh: h, bw: w, bc: s.C, sh: s.H, sw: s.W, sc: s.C, dh: h, dw: w, dc: s.C,
		sOff: [3]int{-s.Top, -s.Left, 0}, fill: s.Value}
}

func (s PadShape) cropWindow() window {
	h, w := s.Out()
	return window{n: s.N, bh: s.H, bw: s.W, bc: s.C, sh: h, sw: w, sc: s.C, dh: s.H, dw: s.W, dc: s.C,
		sOff: [3]int{s.Top, s.Left, 0}}
}

// Pad records y = x padded by s (y is the larger tensor).
func (d *Device) Pad(s PadShape, x, y *Buffer) (*Dispatch, error) {
	if err := s.check("pad", x, y); err != nil {
		return nil, err
	}
	return d.window("pad", s.padWindow(), x, y)
}

// PadBackward records dx = the interior of dy: Pad's gradient is a crop
// (the constant border carries no gradient).
func (d *Device) PadBackward(s PadShape, dy, dx *Buffer) (*Dispatch, error) {
	if err := s.check("pad backward", dx, dy); err != nil {
		return nil, err
	}
	return d.window("pad backward", s.cropWindow(), dy, dx)
}

// CropShape is a spatial crop of N images H×W×C that removes Top, Bottom,
// Left and Right pixels (each ≥ 0), giving (H-Top-Bottom)×(W-Left-Right)×C.
type CropShape struct {
	N, H, W, C               int
	Top, Bottom, Left, Right int
}

// Out returns the cropped height and width.
func (s CropShape) Out() (h, w int) { return s.H - s.Top - s.Bottom, s.W - s.Left - s.Right }

// pad is the padding that undoes the crop (with zeros).
func (s CropShape) pad(op string) (PadShape, error) {
	h, w := s.Out()
	if s.Top < 0 || s.Bottom < 0 || s.Left < 0 || s.Right < 0 || h < 1 || w < 1 {
		return PadShape{}, fmt.Errorf("gpu: %s: bad shape %+v", op, s)
	}
	return PadShape{N: s.N, H: h, W: w, C: s.C, Top: s.Top, Bottom: s.Bottom, Left: s.Left, Right: s.Right}, nil
}

// Crop records y = x cropped by s.
func (d *Device) Crop(s CropShape, x, y *Buffer) (*Dispatch, error) {
	p, err := s.pad("crop")
	if err != nil {
		return nil, err
	}
	if err := p.check("crop", y, x); err != nil {
		return nil, err
	}
	return d.window("crop", p.cropWindow(), x, y)
}

// CropBackward records dx = dy padded with zeros back to x's size: Crop's
// gradient.
func (d *Device) CropBackward(s CropShape, dy, dx *Buffer) (*Dispatch, error) {
	p, err := s.pad("crop backward")
	if err != nil {
		return nil, err
	}
	if err := p.check("crop backward", dy, dx); err != nil {
		return nil, err
	}
	return d.window("crop backward", p.padWindow(), dy, dx)
}
