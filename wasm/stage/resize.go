package stage

// Resize resamples an n×n RGBA image (4 bytes a pixel, row by row) to w×h
// by bilinear interpolation, the edges extended (clamp to edge), into dst
// (reallocated when it is too small) and returns it. Pixel centres line up
// as a GPU's linear sampler places them: output pixel (x, y) samples the
// input at ((x+½)·n/w − ½, (y+½)·n/h − ½).
//
// The page draws each image at the size it is shown, in device pixels,
// with ebiten's nearest filter: on SwiftShader, linking ebiten's
// linear-filter WebGL program held the main thread 3–5 s before the first
// image appeared (docs/speed.md), while this costs a few milliseconds a
// frame. (gpu/ref.Resample, float64 with a constant fill outside the
// image, is the oracle its test compares it with.)
func Resize(src []byte, n, w, h int, dst []byte) []byte {
	if n < 1 || w < 1 || h < 1 || len(src) < 4*n*n {
		return dst[:0]
	}
	if cap(dst) < 4*w*h {
		dst = make([]byte, 4*w*h)
	}
	dst = dst[:4*w*h]
	xs := axis(n, w)
	ys := axis(n, h)
	for y, ty := range ys {
		row0, row1 := src[4*n*ty.i0:], src[4*n*ty.i1:]
		out := dst[4*w*y:]
		for x, tx := range xs {
			for k := range 4 {
				a := float32(row0[4*tx.i0+k])*(1-tx.f) + float32(row0[4*tx.i1+k])*tx.f
				b := float32(row1[4*tx.i0+k])*(1-tx.f) + float32(row1[4*tx.i1+k])*tx.f
				out[4*x+k] = byte(a*(1-ty.f) + b*ty.f + 0.5)
			}
		}
	}
	return dst
}

// tap is where one output coordinate samples the input: between pixels i0
// and i1, weight f on i1.
type tap struct {
	i0, i1 int
	f      float32
}

// axis returns the taps of m output pixels sampling n input pixels.
func axis(n, m int) []tap {
	t := make([]tap, m)
	for o := range t {
		s := (float64(o)+0.5)*float64(n)/float64(m) - 0.5
		s = min(max(s, 0), float64(n-1))
		i0 := int(s)
		i1 := min(i0+1, n-1)
		t[o] = tap{i0, i1, float32(s - float64(i0))}
	}
	return t
}
