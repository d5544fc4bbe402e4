package ref

import "math"

// Bilinear resampling of NHWC images by one 2×3 affine matrix per image,
// the single resampling that hubel composes Lucid's pad / jitter / scale /
// rotate / jitter chain into.
//
// Convention: pixel (x, y) of an image has its centre at the integer
// coordinates (x, y). Output pixel (ox, oy) of image n samples the input at
//
//	sx = m[0]*ox + m[1]*oy + m[2]
//	sy = m[3]*ox + m[4]*oy + m[5]
//
// with m = mats[6n : 6n+6], by bilinear interpolation of the input extended
// with the constant fill outside its bounds: the sample blends the four
// pixels around (sx, sy), and each of those that lies outside the image
// contributes fill instead of a pixel value.

// Resample returns y [n][oh][ow][c] sampled from x [n][h][w][c].
func Resample(x []float64, n, h, w, c, oh, ow int, mats []float64, fill float64) []float64 {
	y := make([]float64, n*oh*ow*c)
	for b := range n {
		m := mats[6*b : 6*b+6]
		for oy := range oh {
			for ox := range ow {
				out := y[((b*oh+oy)*ow+ox)*c:][:c]
				forCorners(m, ox, oy, func(ix, iy int, wt float64) {
					if ix < 0 || ix >= w || iy < 0 || iy >= h {
						for k := range out {
							out[k] += wt * fill
						}
						return
					}
					in := x[((b*h+iy)*w+ix)*c:][:c]
					for k := range out {
						out[k] += wt * in[k]
					}
				})
			}
		}
	}
	return y
}

// ResampleAdjoint returns dx [n][h][w][c], the adjoint of Resample's linear
// part (the fill contributes nothing) applied to dy [n][oh][ow][c]: the
// gradient of <Resample(x), dy> with respect to x. It is written as the
// plain scatter of each output pixel's weights to its four input pixels.
func ResampleAdjoint(dy []float64, n, h, w, c, oh, ow int, mats []float64) []float64 {
	dx := make([]float64, n*h*w*c)
	for b := range n {
		m := mats[6*b : 6*b+6]
		for oy := range oh {
			for ox := range ow {
				g := dy[((b*oh+oy)*ow+ox)*c:][:c]
				forCorners(m, ox, oy, func(ix, iy int, wt float64) {
					if ix < 0 || ix >= w || iy < 0 || iy >= h {
						return
					}
					d := dx[((b*h+iy)*w+ix)*c:][:c]
					for k := range d {
						d[k] += wt * g[k]
					}
				})
			}
		}
	}
	return dx
}

// forCorners calls f with the four input pixels around the sample point of
// output pixel (ox, oy) and their bilinear weights (which sum to 1).
func forCorners(m []float64, ox, oy int, f func(ix, iy int, wt float64)) {
	sx := m[0]*float64(ox) + m[1]*float64(oy) + m[2]
	sy := m[3]*float64(ox) + m[4]*float64(oy) + m[5]
	fx, fy := math.Floor(sx), math.Floor(sy)
	tx, ty := sx-fx, sy-fy
	x0, y0 := int(fx), int(fy)
	f(x0, y0, (1-tx)*(1-ty))
	f(x0+1, y0, tx*(1-ty))
	f(x0, y0+1, (1-tx)*ty)
	f(x0+1, y0+1, tx*ty)
}
