package am

import (
	"math"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// cpuSpectral is Lucid's Fourier image (ref.SpectralImage) computed as two
// one-dimensional passes, along y then along x, instead of the reference's
// direct double sum: O(h·w·(h+wf)) per channel instead of O(h·w·h·wf), so
// that the CPU renderer stays usable at Lucid's 128 px.
type cpuSpectral struct {
	s      gpu.SpectralShape
	wf, wt int
	scale  []float64 // [h][wf]
	cy, sy []float64 // [y][ky]: cos, sin of 2π·ky·y/h
	cx, sx []float64 // [x][kx]: cos, sin of 2π·kx·x/wt
	norm   []float64 // [kx]: a/(h·wt), a = 1 for DC and Nyquist, else 2
	p, q   []float64 // [h][wf] scratch
}

func newCPUSpectral(s gpu.SpectralShape) *cpuSpectral {
	wf := ref.SpectralWF(s.W)
	c := &cpuSpectral{s: s, wf: wf, wt: 2 * (wf - 1), scale: ref.LucidFrequencyScale(s.H, s.W, s.Decay),
		cy: make([]float64, s.H*s.H), sy: make([]float64, s.H*s.H), cx: make([]float64, s.W*wf), sx: make([]float64, s.W*wf),
		norm: make([]float64, wf), p: make([]float64, s.H*wf), q: make([]float64, s.H*wf)}
	for y := range s.H {
		for ky := range s.H {
			th := 2 * math.Pi * float64(ky*y%s.H) / float64(s.H)
			c.cy[y*s.H+ky], c.sy[y*s.H+ky] = math.Cos(th), math.Sin(th)
		}
	}
	for x := range s.W {
		for kx := range wf {
			th := 2 * math.Pi * float64(kx*x%c.wt) / float64(c.wt)
			c.cx[x*wf+kx], c.sx[x*wf+kx] = math.Cos(th), math.Sin(th)
		}
	}
	for kx := range wf {
		a := 2.0
		if kx == 0 || 2*kx == c.wt {
			a = 1
		}
		c.norm[kx] = a / float64(s.H*c.wt)
	}
	return c
}

// forward writes the images (NHWC) of the spectra [b][c][2][h][wf]. The
// inner loops run along kx, over contiguous memory, with the frequency
// scale and the x pass's norm applied once per coefficient (this draws a
// page's first frame, in wasm's baseline code).
func (c *cpuSpectral) forward(spec, img []float64) {
	s, h, w, wf := c.s, c.s.H, c.s.W, c.wf
	r, i := make([]float64, h*wf), make([]float64, h*wf)
	for n := range s.B {
		for ch := range s.C {
			re := spec[(n*s.C+ch)*2*h*wf:]
			im := re[h*wf:]
			for k := range r {
				r[k], i[k] = c.scale[k]*re[k], c.scale[k]*im[k]
			}
			// Along y: p + i·q = Σ_ky e^{iθy}·(r + i·i), per (y, kx),
			// times norm[kx] for the x pass.
			for y := range h {
				p, q := c.p[y*wf:(y+1)*wf], c.q[y*wf:(y+1)*wf]
				clear(p)
				clear(q)
				for ky := range h {
					cs, sn := c.cy[y*h+ky], c.sy[y*h+ky]
					rk, ik := r[ky*wf:(ky+1)*wf], i[ky*wf:(ky+1)*wf]
					for kx := range p {
						p[kx] += cs*rk[kx] - sn*ik[kx]
						q[kx] += sn*rk[kx] + cs*ik[kx]
					}
				}
				for kx := range p {
					p[kx] *= c.norm[kx]
					q[kx] *= c.norm[kx]
				}
			}
			// Along x: the real part of Σ_kx e^{iθx}·(p + i·q).
			for y := range h {
				p, q := c.p[y*wf:(y+1)*wf], c.q[y*wf:(y+1)*wf]
				for x := range w {
					cx, sx := c.cx[x*wf:(x+1)*wf], c.sx[x*wf:(x+1)*wf]
					v := 0.0
					for kx := range p {
						v += cx[kx]*p[kx] - sx[kx]*q[kx]
					}
					img[((n*h+y)*w+x)*s.C+ch] = s.OutScale * v
				}
			}
		}
	}
}

// backward writes the spectra's gradient from the images' gradient dimg:
// the adjoint of forward.
func (c *cpuSpectral) backward(dimg, dspec []float64) {
	s, h, w, wf := c.s, c.s.H, c.s.W, c.wf
	for n := range s.B {
		for ch := range s.C {
			dre := dspec[(n*s.C+ch)*2*h*wf:]
			dim := dre[h*wf:]
			// Along x: p = Σ_x g·cos θx, q = Σ_x g·sin θx, per (y, kx).
			for y := range h {
				for kx := range wf {
					var p, q float64
					for x := range w {
						g := s.OutScale * dimg[((n*h+y)*w+x)*s.C+ch]
						p += g * c.cx[x*wf+kx]
						q += g * c.sx[x*wf+kx]
					}
					c.p[y*wf+kx], c.q[y*wf+kx] = p, q
				}
			}
			// Along y.
			for ky := range h {
				for kx := range wf {
					var r, i float64
					for y := range h {
						cs, sn := c.cy[y*h+ky], c.sy[y*h+ky]
						p, q := c.p[y*wf+kx], c.q[y*wf+kx]
						r += cs*p - sn*q
						i -= sn*p + cs*q
					}
					k := ky*wf + kx
					dre[k] = c.scale[k] * c.norm[kx] * r
					dim[k] = c.scale[k] * c.norm[kx] * i
				}
			}
		}
	}
}
