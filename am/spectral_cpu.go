package am

import (
	"math"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// cpuSpectral is Lucid's Fourier image (ref.SpectralImage) computed as two
// one-dimensional passes, along y then along x, instead of the reference's
// direct double sum, each pass one Cooley–Tukey step: O(h·w·(√h+√wt)) per
// channel instead of O(h·w·h·wf), so that the CPU renderer stays usable at
// Lucid's 128 px and the app's first image (am.Preview, in wasm) is quick.
// The backward pass, the adjoint, is the plain separable sum.
type cpuSpectral struct {
	s      gpu.SpectralShape
	wf, wt int
	scale  []float64 // [h][wf]
	norm   []float64 // [kx]: a/(h·wt), a = 1 for DC and Nyquist, else 2
	p, q   []float64 // [h][wf] scratch
	r, i   []float64 // [h][wf] scratch: the scaled spectrum

	// The backward pass's tables (a direct sum along each axis), built on
	// its first use.
	cy, sy []float64 // [y][ky]: cos, sin of 2π·ky·y/h
	cx, sx []float64 // [x][kx]: cos, sin of 2π·kx·x/wt

	// The forward y pass as one Cooley–Tukey step, h = n1·n2 (n1 the
	// largest divisor of h up to √h; 1 for a prime h, which keeps the
	// direct sum): with ky = a + n2·b and y = c + n1·d, 2π·ky·y/h ≡
	// 2π·b·c/n1 + 2π·a·y/h (mod 2π), so the sum takes h·(n1+n2) products
	// per kx instead of h² (224 px: 30 instead of 224).
	n1, n2     int
	cosH, sinH []float64 // [m]: cos, sin of 2π·m/h
	tre, tim   []float64 // [a][c][wf] scratch

	// The forward x pass, the real part of Σ_kx e^{2πi·kx·x/wt}·z[kx]
	// for x < w, as one Cooley–Tukey step too (see alongX): wt = m1·m2,
	// m1 the largest divisor of wt up to √wt.
	m1, m2     int
	cosW, sinW []float64 // [m]: cos, sin of 2π·m/wt
	zr, zi     []float64 // [kx][y]: the y pass's result, transposed (r and i's memory)
	ur, ui     []float64 // [a][y] scratch
	o          []float64 // [y] scratch
}

func newCPUSpectral(s gpu.SpectralShape) *cpuSpectral {
	wf := ref.SpectralWF(s.W)
	c := &cpuSpectral{s: s, wf: wf, wt: 2 * (wf - 1), scale: ref.LucidFrequencyScale(s.H, s.W, s.Decay),
		norm: make([]float64, wf), p: make([]float64, s.H*wf), q: make([]float64, s.H*wf),
		r: make([]float64, s.H*wf), i: make([]float64, s.H*wf)}
	c.n1 = largestDivisorUpToRoot(s.H)
	c.n2 = s.H / c.n1
	// Every angle is 2π·m/n for a whole m < n: n cosines and sines, not
	// one per product (in wasm's baseline code, calls of math.Cos and
	// math.Sin per table entry took a sixth of a page's first frame).
	c.cosH, c.sinH = unitCircle(s.H)
	if c.n1 > 1 {
		c.tre, c.tim = make([]float64, s.H*wf), make([]float64, s.H*wf)
	}
	c.m1 = largestDivisorUpToRoot(c.wt)
	c.m2 = c.wt / c.m1
	c.cosW, c.sinW = unitCircle(c.wt)
	c.zr, c.zi = c.r, c.i // free once the y pass has read them
	c.ur, c.ui = make([]float64, c.m2*s.H), make([]float64, c.m2*s.H)
	c.o = make([]float64, s.H)
	for kx := range wf {
		a := 2.0
		if kx == 0 || 2*kx == c.wt {
			a = 1
		}
		c.norm[kx] = a / float64(s.H*c.wt)
	}
	return c
}

// largestDivisorUpToRoot returns n's largest divisor d with d² ≤ n.
func largestDivisorUpToRoot(n int) int {
	m := 1
	for d := 1; d*d <= n; d++ {
		if n%d == 0 {
			m = d
		}
	}
	return m
}

// directTables builds the direct sums' tables (cy, sy, cx, sx) once.
func (c *cpuSpectral) directTables() {
	if c.cy != nil {
		return
	}
	h, w, wf := c.s.H, c.s.W, c.wf
	c.cy, c.sy = make([]float64, h*h), make([]float64, h*h)
	c.cx, c.sx = make([]float64, w*wf), make([]float64, w*wf)
	for y := range h {
		for ky := range h {
			m := ky * y % h
			c.cy[y*h+ky], c.sy[y*h+ky] = c.cosH[m], c.sinH[m]
		}
	}
	for x := range w {
		for kx := range wf {
			m := kx * x % c.wt
			c.cx[x*wf+kx], c.sx[x*wf+kx] = c.cosW[m], c.sinW[m]
		}
	}
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
// inner loops are out-of-line calls over contiguous rows (along kx in the
// y pass, along y in the x pass), with the frequency scale and the x
// pass's norm applied once per coefficient (this draws a page's first
// frame, in wasm's baseline code).
func (c *cpuSpectral) forward(spec, img []float64) {
	s, h, wf := c.s, c.s.H, c.wf
	r, i := c.r, c.i
	for n := range s.B {
		for ch := range s.C {
			re := spec[(n*s.C+ch)*2*h*wf:]
			im := re[h*wf:]
			for k := range r {
				r[k], i[k] = c.scale[k]*re[k], c.scale[k]*im[k]
			}
			// Along y: p + i·q = Σ_ky e^{iθy}·(r + i·i), per (y, kx).
			c.alongY(r, i)
			// Times norm[kx], transposed to [kx][y] for the x pass.
			for y := range h {
				transposeRow(c.zr, h, y, c.p[y*wf:(y+1)*wf], c.norm)
				transposeRow(c.zi, h, y, c.q[y*wf:(y+1)*wf], c.norm)
			}
			// Along x: the real part of Σ_kx e^{iθx}·(p + i·q).
			c.alongX(img, n, ch)
		}
	}
}

// transposeRow writes row y of src·norm, [kx], into column y of dst,
// [kx][h].
//
//go:noinline
func transposeRow(dst []float64, h, y int, src, norm []float64) {
	norm = norm[:len(src)]
	for kx, v := range src {
		dst[kx*h+y] = v * norm[kx]
	}
}

// alongX writes channel ch of image n: img[y][x] = OutScale · Re Σ_kx
// e^{2πi·kx·x/wt}·z[kx][y] for x < w, z = zr + i·zi (zero for kx ≥ wf).
// As one Cooley–Tukey step, wt = m1·m2, kx = a + m2·b and x = c + m1·d:
// 2π·kx·x/wt ≡ 2π·b·c/m1 + 2π·a·x/wt (mod 2π), so
//
//	img[y][c + m1·d] = Re Σ_a e^{2πi·a·x/wt} · u_c[a][y],
//	u_c[a][y] = Σ_b e^{2πi·b·c/m1} · z[a + m2·b][y],
//
// about wt·m1/2 complex products (half the b reach past wf) and w·m2 real
// ones per y instead of w·wf (224 px: 23 instead of 113).
func (c *cpuSpectral) alongX(img []float64, n, ch int) {
	s, h, w, wf, wt, m1, m2 := c.s, c.s.H, c.s.W, c.wf, c.wt, c.m1, c.m2
	col := func(v []float64, k int) []float64 { return v[k*h : (k+1)*h] }
	stride := w * s.C
	for cc := range m1 {
		// u_c[a] for every a (a ≥ wf has no term: a < m2 ≤ wf unless wt = 2,
		// m1 = 1, where a < wf anyway).
		for a := range m2 {
			ur, ui := col(c.ur, a), col(c.ui, a)
			if a >= wf {
				clear(ur)
				clear(ui)
				continue
			}
			copy(ur, col(c.zr, a))
			copy(ui, col(c.zi, a))
			for b := 1; a+m2*b < wf; b++ {
				m := b * cc % m1 * m2 // 2π·b·c/m1 = 2π·(b·c mod m1)·m2/wt
				cmad(ur, ui, c.cosW[m], c.sinW[m], col(c.zr, a+m2*b), col(c.zi, a+m2*b))
			}
		}
		for x := cc; x < w; x += m1 {
			o := c.o
			copy(o, col(c.ur, 0))
			for a := 1; a < m2; a++ {
				m := a * x % wt
				rmad(o, c.cosW[m], c.sinW[m], col(c.ur, a), col(c.ui, a))
			}
			scatter(img[((n*h)*w+x)*s.C+ch:], stride, s.OutScale, o)
		}
	}
}

// rmad adds the real part of (cs + i·sn)·(x + i·y) to o, elementwise.
//
//go:noinline
func rmad(o []float64, cs, sn float64, x, y []float64) {
	x, y = x[:len(o)], y[:len(o)]
	for k := range o {
		o[k] += cs*x[k] - sn*y[k]
	}
}

// scatter writes a·v[k] to dst[k·stride].
//
//go:noinline
func scatter(dst []float64, stride int, a float64, v []float64) {
	for k, x := range v {
		dst[k*stride] = a * x
	}
}

// alongY writes p + i·q = Σ_ky e^{2πi·ky·y/h}·(r + i·i)[ky], per (y, kx).
func (c *cpuSpectral) alongY(r, i []float64) {
	h, wf := c.s.H, c.wf
	row := func(v []float64, k int) []float64 { return v[k*wf : (k+1)*wf] }
	if c.n1 == 1 { // h is prime: the direct sum
		for y := range h {
			p, q := row(c.p, y), row(c.q, y)
			copy(p, row(r, 0))
			copy(q, row(i, 0))
			for ky := 1; ky < h; ky++ {
				m := ky * y % h
				cmad(p, q, c.cosH[m], c.sinH[m], row(r, ky), row(i, ky))
			}
		}
		return
	}
	n1, n2 := c.n1, c.n2
	// u[a][c] = Σ_b e^{2πi·b·c/n1} · x[a + n2·b].
	for a := range n2 {
		for cc := range n1 {
			ur, ui := row(c.tre, a*n1+cc), row(c.tim, a*n1+cc)
			copy(ur, row(r, a))
			copy(ui, row(i, a))
			for b := 1; b < n1; b++ {
				m := b * cc % n1 * n2 // 2π·b·c/n1 = 2π·(b·c mod n1)·n2/h
				cmad(ur, ui, c.cosH[m], c.sinH[m], row(r, a+n2*b), row(i, a+n2*b))
			}
		}
	}
	// (p + i·q)[y = c + n1·d] = Σ_a e^{2πi·a·y/h} · u[a][c].
	for cc := range n1 {
		for y := cc; y < h; y += n1 {
			p, q := row(c.p, y), row(c.q, y)
			copy(p, row(c.tre, cc))
			copy(q, row(c.tim, cc))
			for a := 1; a < n2; a++ {
				m := a * y % h
				cmad(p, q, c.cosH[m], c.sinH[m], row(c.tre, a*n1+cc), row(c.tim, a*n1+cc))
			}
		}
	}
}

// cmad and rmad are the Fourier image's inner loops, kept out of line
// on purpose: V8 runs a wasm function in its baseline code until it
// returns, and optimises a function once it has run enough, so a loop
// that returns every row runs optimised code after the first few rows
// (with the smaller allocations and tables, the preview's CPU time in
// wasm went from about 0.45 to 0.36 s: docs/speed.md, session 5).

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
	c.directTables()
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
