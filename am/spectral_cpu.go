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

	// The forward y pass as one Cooley–Tukey step, h = n1·n2 (n1 the
	// largest divisor of h up to √h; 1 for a prime h, which keeps the
	// direct sum): with ky = a + n2·b and y = c + n1·d, 2π·ky·y/h ≡
	// 2π·b·c/n1 + 2π·a·c/h + 2π·a·d/n2 (mod 2π), so the sum takes
	// h·(n1+n2) products per kx instead of h² (232 px: 37 instead of 232).
	n1, n2   int
	c1, s1   []float64 // [b][c]: cos, sin of 2π·b·c/n1
	ct, st   []float64 // [a][c]: of 2π·a·c/h (the twiddles)
	c2, s2   []float64 // [a][d]: of 2π·a·d/n2
	tre, tim []float64 // [a][c][wf] scratch
}

func newCPUSpectral(s gpu.SpectralShape) *cpuSpectral {
	wf := ref.SpectralWF(s.W)
	c := &cpuSpectral{s: s, wf: wf, wt: 2 * (wf - 1), scale: ref.LucidFrequencyScale(s.H, s.W, s.Decay),
		cy: make([]float64, s.H*s.H), sy: make([]float64, s.H*s.H), cx: make([]float64, s.W*wf), sx: make([]float64, s.W*wf),
		norm: make([]float64, wf), p: make([]float64, s.H*wf), q: make([]float64, s.H*wf)}
	// Every angle is 2π·m/n for a whole m < n: n cosines and sines, not
	// one per entry (in wasm's baseline code the tables' 160 000 calls
	// of math.Cos and math.Sin took a sixth of a page's first frame).
	cosH, sinH := unitCircle(s.H)
	for y := range s.H {
		for ky := range s.H {
			m := ky * y % s.H
			c.cy[y*s.H+ky], c.sy[y*s.H+ky] = cosH[m], sinH[m]
		}
	}
	cosW, sinW := unitCircle(c.wt)
	for x := range s.W {
		for kx := range wf {
			m := kx * x % c.wt
			c.cx[x*wf+kx], c.sx[x*wf+kx] = cosW[m], sinW[m]
		}
	}
	for d := 1; d*d <= s.H; d++ {
		if s.H%d == 0 {
			c.n1 = d
		}
	}
	c.n2 = s.H / c.n1
	if c.n1 > 1 {
		n1, n2 := c.n1, c.n2
		cos1, sin1 := unitCircle(n1)
		cos2, sin2 := unitCircle(n2)
		c.c1, c.s1 = make([]float64, n1*n1), make([]float64, n1*n1)
		for b := range n1 {
			for cc := range n1 {
				c.c1[b*n1+cc], c.s1[b*n1+cc] = cos1[b*cc%n1], sin1[b*cc%n1]
			}
		}
		c.ct, c.st = make([]float64, n2*n1), make([]float64, n2*n1)
		c.c2, c.s2 = make([]float64, n2*n2), make([]float64, n2*n2)
		for a := range n2 {
			for cc := range n1 {
				c.ct[a*n1+cc], c.st[a*n1+cc] = cosH[a*cc%s.H], sinH[a*cc%s.H]
			}
			for d := range n2 {
				c.c2[a*n2+d], c.s2[a*n2+d] = cos2[a*d%n2], sin2[a*d%n2]
			}
		}
		c.tre, c.tim = make([]float64, s.H*wf), make([]float64, s.H*wf)
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

// unitCircle returns cos and sin of 2π·m/n for m in [0, n).
func unitCircle(n int) (cos, sin []float64) {
	cos, sin = make([]float64, n), make([]float64, n)
	for m := range n {
		th := 2 * math.Pi * float64(m) / float64(n)
		cos[m], sin[m] = math.Cos(th), math.Sin(th)
	}
	return cos, sin
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
			c.alongY(r, i)
			for y := range h {
				p, q := c.p[y*wf:(y+1)*wf], c.q[y*wf:(y+1)*wf]
				for kx := range p {
					p[kx] *= c.norm[kx]
					q[kx] *= c.norm[kx]
				}
			}
			// Along x: the real part of Σ_kx e^{iθx}·(p + i·q).
			for y := range h {
				p, q := c.p[y*wf:(y+1)*wf], c.q[y*wf:(y+1)*wf]
				for x := range w {
					img[((n*h+y)*w+x)*s.C+ch] = s.OutScale * cdotRe(c.cx[x*wf:(x+1)*wf], c.sx[x*wf:(x+1)*wf], p, q)
				}
			}
		}
	}
}

// alongY writes p + i·q = Σ_ky e^{2πi·ky·y/h}·(r + i·i)[ky], per (y, kx).
func (c *cpuSpectral) alongY(r, i []float64) {
	h, wf := c.s.H, c.wf
	row := func(v []float64, k int) []float64 { return v[k*wf : (k+1)*wf] }
	if c.n1 == 1 { // h is prime: the direct sum
		for y := range h {
			p, q := row(c.p, y), row(c.q, y)
			clear(p)
			clear(q)
			for ky := range h {
				cmad(p, q, c.cy[y*h+ky], c.sy[y*h+ky], row(r, ky), row(i, ky))
			}
		}
		return
	}
	n1, n2 := c.n1, c.n2
	// T[a][c] = e^{2πi·a·c/h} · Σ_b e^{2πi·b·c/n1} · x[a + n2·b].
	for a := range n2 {
		for cc := range n1 {
			tr, ti := row(c.tre, a*n1+cc), row(c.tim, a*n1+cc)
			clear(tr)
			clear(ti)
			for b := range n1 {
				cmad(tr, ti, c.c1[b*n1+cc], c.s1[b*n1+cc], row(r, a+n2*b), row(i, a+n2*b))
			}
			cs, sn := c.ct[a*n1+cc], c.st[a*n1+cc]
			for kx := range tr {
				x, y := tr[kx], ti[kx]
				tr[kx], ti[kx] = cs*x-sn*y, sn*x+cs*y
			}
		}
	}
	// (p + i·q)[c + n1·d] = Σ_a e^{2πi·a·d/n2} · T[a][c].
	for cc := range n1 {
		for d := range n2 {
			p, q := row(c.p, cc+n1*d), row(c.q, cc+n1*d)
			clear(p)
			clear(q)
			for a := range n2 {
				cmad(p, q, c.c2[a*n2+d], c.s2[a*n2+d], row(c.tre, a*n1+cc), row(c.tim, a*n1+cc))
			}
		}
	}
}

// cdotRe is the real part of Σ (cs + i·sn)·(p + i·q).
//
// It and cmad are the preview's inner loops, kept out of line on purpose:
// V8 runs a wasm function in its baseline code until it returns, and
// optimises a function once it has run enough, so a loop that returns
// every row runs optimised code after the first few rows (with the
// smaller allocations and tables, the preview's CPU time in wasm went
// from about 0.45 to 0.36 s: docs/speed.md, session 5).
//
//go:noinline
func cdotRe(cs, sn, p, q []float64) float64 {
	cs, sn, q = cs[:len(p)], sn[:len(p)], q[:len(p)]
	v := 0.0
	for k := range p {
		v += cs[k]*p[k] - sn[k]*q[k]
	}
	return v
}

// cmad adds (cs + i·sn)·(x + i·y) to p + i·q, elementwise.
//
//go:noinline
func cmad(p, q []float64, cs, sn float64, x, y []float64) {
	x, y = x[:len(p)], y[:len(p)]
	for k := range p {
		p[k] += cs*x[k] - sn*y[k]
		q[k] += sn*x[k] + cs*y[k]
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
