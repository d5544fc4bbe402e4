package ref

// Data movement on NHWC tensors: channel concatenation and splitting,
// spatial padding and cropping.

// Concat returns the concatenation along channels of parts, part i being
// n×h×w×cs[i].
func Concat(n, h, w int, cs []int, parts [][]float64) []float64 {
	ct := 0
	for _, c := range cs {
		ct += c
	}
	y := make([]float64, n*h*w*ct)
	for p := range n * h * w {
		off := 0
		for i, c := range cs {
			copy(y[p*ct+off:p*ct+off+c], parts[i][p*c:(p+1)*c])
			off += c
		}
	}
	return y
}

// Split returns the channel ranges of x (n×h×w×Σcs) of widths cs: the
// inverse of Concat, and its gradient.
func Split(n, h, w int, cs []int, x []float64) [][]float64 {
	ct := 0
	for _, c := range cs {
		ct += c
	}
	parts := make([][]float64, len(cs))
	off := 0
	for i, c := range cs {
		parts[i] = make([]float64, n*h*w*c)
		for p := range n * h * w {
			copy(parts[i][p*c:(p+1)*c], x[p*ct+off:p*ct+off+c])
		}
		off += c
	}
	return parts
}

// Pad returns x (n×h×w×c) with top, bottom, left and right pixels of the
// constant value added around each image.
func Pad(n, h, w, c, top, bottom, left, right int, value float64, x []float64) []float64 {
	oh, ow := h+top+bottom, w+left+right
	y := make([]float64, n*oh*ow*c)
	for b := range n {
		for oy := range oh {
			for ox := range ow {
				for ch := range c {
					iy, ix := oy-top, ox-left
					v := value
					if iy >= 0 && iy < h && ix >= 0 && ix < w {
						v = x[((b*h+iy)*w+ix)*c+ch]
					}
					y[((b*oh+oy)*ow+ox)*c+ch] = v
				}
			}
		}
	}
	return y
}

// Crop returns x (n×h×w×c) without top, bottom, left and right pixels
// around each image. Crop is Pad's gradient and Pad with value 0 is Crop's.
func Crop(n, h, w, c, top, bottom, left, right int, x []float64) []float64 {
	oh, ow := h-top-bottom, w-left-right
	y := make([]float64, n*oh*ow*c)
	for b := range n {
		for oy := range oh {
			for ox := range ow {
				for ch := range c {
					y[((b*oh+oy)*ow+ox)*c+ch] = x[((b*h+oy+top)*w+ox+left)*c+ch]
				}
			}
		}
	}
	return y
}
