package ref

// Convolutions: Conv2D (filters HWIO, [kh][kw][in][out]) and DepthwiseConv2D
// (filters [kh][kw][c][mult], output channel c*mult+m), NHWC activations,
// with Keras's "same" and "valid" padding.

// ConvGeom is the geometry shared by both convolutions: batch N, input
// H×W×C, kernel KH×KW, strides SY, SX and padding.
type ConvGeom struct {
	N, H, W, C int
	KH, KW     int
	SY, SX     int
	Same       bool
}

// Out returns the output size and the top and left padding. Keras/TF "same":
// out = ceil(in/stride), the total padding max((out-1)*stride+k-in, 0) split
// with the odd pixel at the bottom/right. "valid": out = (in-k)/stride+1, no
// padding.
func (g ConvGeom) Out() (oh, ow, top, left int) {
	oh, top = outDim(g.H, g.KH, g.SY, g.Same)
	ow, left = outDim(g.W, g.KW, g.SX, g.Same)
	return
}

func outDim(in, k, s int, same bool) (out, before int) {
	if !same {
		return (in-k)/s + 1, 0
	}
	out = (in + s - 1) / s
	return out, max((out-1)*s+k-in, 0) / 2
}

// tap calls f for every (output position, filter tap, input position) that
// touches the input: the index of the output pixel (n, oy, ox), of the filter
// tap (ky, kx) and of the input pixel (n, iy, ix), all flat over their
// spatial layout without channels.
func (g ConvGeom) tap(f func(out, k, in int)) {
	oh, ow, top, left := g.Out()
	for n := range g.N {
		for oy := range oh {
			for ox := range ow {
				for ky := range g.KH {
					iy := oy*g.SY + ky - top
					if iy < 0 || iy >= g.H {
						continue
					}
					for kx := range g.KW {
						ix := ox*g.SX + kx - left
						if ix < 0 || ix >= g.W {
							continue
						}
						f((n*oh+oy)*ow+ox, ky*g.KW+kx, (n*g.H+iy)*g.W+ix)
					}
				}
			}
		}
	}
}

// outPixels is N·OH·OW.
func (g ConvGeom) outPixels() int {
	oh, ow, _, _ := g.Out()
	return g.N * oh * ow
}

// Conv2D returns y[n][oy][ox][f] = Σ x[n][iy][ix][c]·w[ky][kx][c][f] + b[f]
// for f < nf output channels; b may be nil.
func Conv2D(g ConvGeom, nf int, x, w, b []float64) []float64 {
	y := make([]float64, g.outPixels()*nf)
	g.tap(func(o, k, i int) {
		for c := range g.C {
			xv := x[i*g.C+c]
			for f := range nf {
				y[o*nf+f] += xv * w[(k*g.C+c)*nf+f]
			}
		}
	})
	addBias(y, b)
	return y
}

// Conv2DInputGrad returns dL/dx given dy = dL/dy.
func Conv2DInputGrad(g ConvGeom, nf int, dy, w []float64) []float64 {
	dx := make([]float64, g.N*g.H*g.W*g.C)
	g.tap(func(o, k, i int) {
		for c := range g.C {
			for f := range nf {
				dx[i*g.C+c] += dy[o*nf+f] * w[(k*g.C+c)*nf+f]
			}
		}
	})
	return dx
}

// Conv2DFilterGrad returns dL/dw given x and dy.
func Conv2DFilterGrad(g ConvGeom, nf int, x, dy []float64) []float64 {
	dw := make([]float64, g.KH*g.KW*g.C*nf)
	g.tap(func(o, k, i int) {
		for c := range g.C {
			for f := range nf {
				dw[(k*g.C+c)*nf+f] += x[i*g.C+c] * dy[o*nf+f]
			}
		}
	})
	return dw
}

// BiasGrad returns dL/db for a bias added to every pixel of an NHWC tensor
// with ch channels: the sum of dy over everything but the channel.
func BiasGrad(dy []float64, ch int) []float64 {
	db := make([]float64, ch)
	for i, v := range dy {
		db[i%ch] += v
	}
	return db
}

func addBias(y, b []float64) {
	if b == nil {
		return
	}
	for i := range y {
		y[i] += b[i%len(b)]
	}
}

// Depthwise returns y[n][oy][ox][c·mult+m] = Σ x[n][iy][ix][c]·w[ky][kx][c][m]
// + b[c·mult+m]; b may be nil.
func Depthwise(g ConvGeom, mult int, x, w, b []float64) []float64 {
	cm := g.C * mult
	y := make([]float64, g.outPixels()*cm)
	g.tap(func(o, k, i int) {
		for c := range g.C {
			for m := range mult {
				y[o*cm+c*mult+m] += x[i*g.C+c] * w[k*cm+c*mult+m]
			}
		}
	})
	addBias(y, b)
	return y
}

// DepthwiseInputGrad returns dL/dx given dy.
func DepthwiseInputGrad(g ConvGeom, mult int, dy, w []float64) []float64 {
	cm := g.C * mult
	dx := make([]float64, g.N*g.H*g.W*g.C)
	g.tap(func(o, k, i int) {
		for c := range g.C {
			for m := range mult {
				dx[i*g.C+c] += dy[o*cm+c*mult+m] * w[k*cm+c*mult+m]
			}
		}
	})
	return dx
}

// DepthwiseFilterGrad returns dL/dw given x and dy.
func DepthwiseFilterGrad(g ConvGeom, mult int, x, dy []float64) []float64 {
	cm := g.C * mult
	dw := make([]float64, g.KH*g.KW*cm)
	g.tap(func(o, k, i int) {
		for c := range g.C {
			for m := range mult {
				dw[k*cm+c*mult+m] += x[i*g.C+c] * dy[o*cm+c*mult+m]
			}
		}
	})
	return dw
}
