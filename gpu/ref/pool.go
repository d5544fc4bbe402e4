package ref

// Pooling over NHWC tensors with Keras's padding: max and average pooling
// over windows, and global pooling over all positions.

// Pool is the geometry of a pooling layer: batch N, input H×W×C, window
// KH×KW, strides SH, SW and padding ("same" when Same, else "valid").
type Pool struct {
	N, H, W, C int
	KH, KW     int
	SH, SW     int
	Same       bool
}

// poolDim returns the output size and the padding before the first pixel
// along one axis. Keras "same": out = ceil(in/s), total padding
// max((out-1)*s+k-in, 0), the smaller half before. "valid": out =
// (in-k)/s+1, no padding.
func poolDim(in, k, s int, same bool) (out, before int) {
	if !same {
		return (in-k)/s + 1, 0
	}
	out = (in + s - 1) / s
	return out, max((out-1)*s+k-in, 0) / 2
}

// Out returns the output size and the top and left padding.
func (p Pool) Out() (oh, ow, top, left int) {
	oh, top = poolDim(p.H, p.KH, p.SH, p.Same)
	ow, left = poolDim(p.W, p.KW, p.SW, p.Same)
	return
}

// windows calls f for every output element with the flat indices of the
// input elements of its window that lie inside the image, in row-major
// window order. Padding is not part of any window.
func (p Pool) windows(f func(o int, in []int)) {
	oh, ow, top, left := p.Out()
	var in []int
	for n := range p.N {
		for oy := range oh {
			for ox := range ow {
				for c := range p.C {
					in = in[:0]
					for ky := range p.KH {
						iy := oy*p.SH + ky - top
						for kx := range p.KW {
							ix := ox*p.SW + kx - left
							if iy >= 0 && iy < p.H && ix >= 0 && ix < p.W {
								in = append(in, ((n*p.H+iy)*p.W+ix)*p.C+c)
							}
						}
					}
					f(((n*oh+oy)*ow+ox)*p.C+c, in)
				}
			}
		}
	}
}

func (p Pool) outLen() int {
	oh, ow, _, _ := p.Out()
	return p.N * oh * ow * p.C
}

// argmax returns the first index in the list holding the largest x.
func argmax(x []float64, in []int) int {
	best := in[0]
	for _, i := range in[1:] {
		if x[i] > x[best] {
			best = i
		}
	}
	return best
}

// MaxPool returns the maximum over each window.
func MaxPool(p Pool, x []float64) []float64 {
	y := make([]float64, p.outLen())
	p.windows(func(o int, in []int) { y[o] = x[argmax(x, in)] })
	return y
}

// MaxPoolBackward routes each output gradient to its window's maximum, the
// first in row-major window order on ties.
func MaxPoolBackward(p Pool, x, dy []float64) []float64 {
	dx := make([]float64, len(x))
	p.windows(func(o int, in []int) { dx[argmax(x, in)] += dy[o] })
	return dx
}

// AvgPool returns the mean over each window's pixels inside the image
// (padding is not counted, as in Keras/TF).
func AvgPool(p Pool, x []float64) []float64 {
	y := make([]float64, p.outLen())
	p.windows(func(o int, in []int) {
		s := 0.0
		for _, i := range in {
			s += x[i]
		}
		y[o] = s / float64(len(in))
	})
	return y
}

// AvgPoolBackward returns the gradient of AvgPool given dy.
func AvgPoolBackward(p Pool, dy []float64) []float64 {
	dx := make([]float64, p.N*p.H*p.W*p.C)
	p.windows(func(o int, in []int) {
		for _, i := range in {
			dx[i] += dy[o] / float64(len(in))
		}
	})
	return dx
}

// GlobalAvgPool returns the mean over the hw positions of each of the c
// channels of each of n images: [n][hw][c] → [n][c].
func GlobalAvgPool(n, hw, c int, x []float64) []float64 {
	y := make([]float64, n*c)
	for i, v := range x {
		y[i/(hw*c)*c+i%c] += v / float64(hw)
	}
	return y
}

// GlobalAvgPoolBackward returns the gradient of GlobalAvgPool given dy.
func GlobalAvgPoolBackward(n, hw, c int, dy []float64) []float64 {
	dx := make([]float64, n*hw*c)
	for i := range dx {
		dx[i] = dy[i/(hw*c)*c+i%c] / float64(hw)
	}
	return dx
}

// globalArgmax returns, for each image and channel, the flat index of the
// first position holding the channel's maximum.
func globalArgmax(n, hw, c int, x []float64) []int {
	idx := make([]int, n*c)
	for j := range idx {
		b, ch := j/c, j%c
		best := b*hw*c + ch
		for r := 1; r < hw; r++ {
			if i := (b*hw+r)*c + ch; x[i] > x[best] {
				best = i
			}
		}
		idx[j] = best
	}
	return idx
}

// GlobalMaxPool returns the maximum over the hw positions of each channel
// of each image.
func GlobalMaxPool(n, hw, c int, x []float64) []float64 {
	y := make([]float64, n*c)
	for j, i := range globalArgmax(n, hw, c, x) {
		y[j] = x[i]
	}
	return y
}

// GlobalMaxPoolBackward routes each channel's gradient to the first
// position of its maximum.
func GlobalMaxPoolBackward(n, hw, c int, x, dy []float64) []float64 {
	dx := make([]float64, len(x))
	for j, i := range globalArgmax(n, hw, c, x) {
		dx[i] = dy[j]
	}
	return dx
}

// Upsample repeats every pixel of an NHWC tensor sh times down and sw times
// across (Keras UpSampling2D, nearest).
func Upsample(n, h, w, c, sh, sw int, x []float64) []float64 {
	oh, ow := h*sh, w*sw
	y := make([]float64, n*oh*ow*c)
	for b := range n {
		for oy := range oh {
			for ox := range ow {
				for ch := range c {
					y[((b*oh+oy)*ow+ox)*c+ch] = x[((b*h+oy/sh)*w+ox/sw)*c+ch]
				}
			}
		}
	}
	return y
}

// UpsampleBackward returns the gradient of Upsample: each input pixel sums
// the gradients of its sh×sw copies.
func UpsampleBackward(n, h, w, c, sh, sw int, dy []float64) []float64 {
	oh, ow := h*sh, w*sw
	dx := make([]float64, n*h*w*c)
	for b := range n {
		for oy := range oh {
			for ox := range ow {
				for ch := range c {
					dx[((b*h+oy/sh)*w+ox/sw)*c+ch] += dy[((b*oh+oy)*ow+ox)*c+ch]
				}
			}
		}
	}
	return dx
}
