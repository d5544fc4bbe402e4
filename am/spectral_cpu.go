package am

import (
	"math"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// cpuSpectral is Lucid's Fourier image (ref.SpectralImage) computed as two
// one-dimensional passes, along y then along x, each a mixed-radix fast
// Fourier transform (rowDFT) instead of the reference's direct double sum:
// O(h·w·(Σ prime factors of h and of wt)) per channel instead of
// O(h·w·h·wf), so that the CPU renderer stays usable at Lucid's 128 px and
// the app's first image (am.Preview, in wasm) is quick. The backward pass,
// the adjoint, is the plain separable sum.
type cpuSpectral struct {
	s      gpu.SpectralShape
	wf, wt int
	scale  []float64 // [h][wf]
	norm   []float64 // [kx]: a/(h·wt), a = 1 for DC and Nyquist, else 2
	// y: the DFT along y of h rows of wf; x: along x of wt rows of h (the
	// y pass's result transposed; rows from wf on are zero).
	y, x rowDFT
	// Two pairs (re, im) of wt·h floats each, which the passes take
	// turns to read and write.
	bufs [2][2][]float64
	o    []float64 // [h] scratch: one column of the image

	// The backward pass's tables (a direct sum along each axis) and
	// scratch, made on its first use.
	cy, sy []float64 // [y][ky]: cos, sin of 2π·ky·y/h
	cx, sx []float64 // [x][kx]: cos, sin of 2π·kx·x/wt
	p, q   []float64 // [h][wf]
}

func newCPUSpectral(s gpu.SpectralShape) *cpuSpectral {
	wf := ref.SpectralWF(s.W)
	c := &cpuSpectral{s: s, wf: wf, wt: 2 * (wf - 1), scale: ref.LucidFrequencyScale(s.H, s.W, s.Decay),
		norm: make([]float64, wf), o: make([]float64, s.H)}
	c.y = newRowDFT(s.H, wf, true)
	c.x = newRowDFT(c.wt, s.H, false)
	for i := range c.bufs {
		for j := range c.bufs[i] {
			c.bufs[i][j] = make([]float64, max(c.wt, 2)*s.H)
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

// rowDFT is the DFT X[k] = Σ_j e^{2πi·j·k/n}·x[j] of n rows of width
// floats (re and im apart), every row at once: a Stockham transform, one
// stage per prime factor p of n. After the stages for the factors whose
// product is l, for each r < m = n/l the rows k·m + r, k < l, hold the
// length-l DFT Y_r of x[r + m·j], j < l. A stage of radix p makes those
// of length l·p (m' = m/p), with the sum Y'_r[k + l·t] = Σ_q
// e^{2πi·q·(k+l·t)/(l·p)} · Y_{r + m'·q}[k] for k < l, t < p, q < p: over
// the m' residues r at once, each term is one cmad over m'·width
// contiguous floats. That is n·(p−1) products per stage: 224 px (2⁵·7)
// takes 11 per element where the direct sum takes 223.
type rowDFT struct {
	n, width int
	radices  []int
	cos, sin []float64 // [m]: cos, sin of 2π·m/n
}

// newRowDFT plans a transform of n rows of width floats: the prime
// factors of n as radices, largest first if desc (the widest rows for the
// most terms), else smallest first (the x pass: its first stage, of
// radix 2, finds half its rows zero, and its last, real, stage takes
// half the products).
func newRowDFT(n, width int, desc bool) rowDFT {
	var radices []int
	for m, p := n, 2; m > 1; {
		if p*p > m {
			p = m
		}
		if m%p == 0 {
			radices = append(radices, p)
			m /= p
			continue
		}
		p++
	}
	if desc {
		for i, j := 0, len(radices)-1; i < j; i, j = i+1, j-1 {
			radices[i], radices[j] = radices[j], radices[i]
		}
	}
	f := rowDFT{n: n, width: width, radices: radices}
	f.cos, f.sin = unitCircle(n)
	return f
}

// stage runs the radix-p stage after those whose product is l, from src
// to dst (each a pair re, im of n rows); the rows of src from nonzero on
// are zero (not read).
func (f *rowDFT) stage(dst, src [2][]float64, l, p, nonzero int) {
	v, m := f.width, f.n/l
	m1, lp := m/p, l*p
	blk := m1 * v
	for k := range l {
		for t := range p {
			kt := k + l*t
			dr, di := dst[0][kt*blk:(kt+1)*blk], dst[1][kt*blk:(kt+1)*blk]
			// q = 0: the coefficient is 1.
			row := k * m
			valid := min(m1, nonzero-row) * v
			if valid <= 0 {
				clear(dr)
				clear(di)
				continue
			}
			copy(dr, src[0][row*v:row*v+valid])
			copy(di, src[1][row*v:row*v+valid])
			clear(dr[valid:])
			clear(di[valid:])
			for q := 1; q < p; q++ {
				row := k*m + m1*q
				valid := min(m1, nonzero-row) * v
				if valid <= 0 {
					break
				}
				e := q * kt % lp * (f.n / lp) // 2π·q·kt/(l·p) = 2π·e/n
				cmad(dr[:valid], di[:valid], f.cos[e], f.sin[e], src[0][row*v:row*v+valid], src[1][row*v:row*v+valid])
			}
		}
	}
}

// directTables makes the backward pass's tables and scratch once.
func (c *cpuSpectral) directTables() {
	if c.cy != nil {
		return
	}
	h, w, wf := c.s.H, c.s.W, c.wf
	c.cy, c.sy = make([]float64, h*h), make([]float64, h*h)
	c.cx, c.sx = make([]float64, w*wf), make([]float64, w*wf)
	c.p, c.q = make([]float64, h*wf), make([]float64, h*wf)
	for y := range h {
		for ky := range h {
			m := ky * y % h
			c.cy[y*h+ky], c.sy[y*h+ky] = c.y.cos[m], c.y.sin[m]
		}
	}
	for x := range w {
		for kx := range wf {
			m := kx * x % c.wt
			c.cx[x*wf+kx], c.sx[x*wf+kx] = c.x.cos[m], c.x.sin[m]
		}
	}
}

// unitCircle returns cos and sin of 2π·m/n for m in [0, n): n cosines and
// sines for every angle a transform of length n needs (in wasm's baseline
// code, calls of math.Cos and math.Sin per table entry took a sixth of a
// page's first frame).
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
	for n := range s.B {
		for ch := range s.C {
			re := spec[(n*s.C+ch)*2*h*wf:]
			im := re[h*wf:]
			src, dst := c.bufs[0], c.bufs[1]
			r, i := src[0][:h*wf], src[1][:h*wf]
			for k := range r {
				r[k], i[k] = c.scale[k]*re[k], c.scale[k]*im[k]
			}
			// Along y: p + i·q = Σ_ky e^{iθy}·(r + i·i), per (y, kx).
			l := 1
			for _, p := range c.y.radices {
				c.y.stage(dst, src, l, p, h)
				src, dst, l = dst, src, l*p
			}
			// Times norm[kx], transposed to [kx][y] for the x pass.
			for y := range h {
				transposeRow(dst[0], h, y, src[0][y*wf:(y+1)*wf], c.norm)
				transposeRow(dst[1], h, y, src[1][y*wf:(y+1)*wf], c.norm)
			}
			// Along x: the real part of Σ_kx e^{iθx}·(p + i·q).
			c.alongX(img, n, ch, dst, src)
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
// e^{2πi·kx·x/wt}·z[kx][y] for x < w, z (in src, [kx][y]) zero for kx ≥ wf;
// tmp is scratch. The stages of c.x but the last run as they are; the
// last, of radix p after those whose product is l = wt/p, takes only the
// real part of its sum, x = k + l·t:
//
//	img[y][x] = Re Σ_q e^{2πi·q·x/wt} · Y_q[k][y],
//
// and writes it into the image's column x.
func (c *cpuSpectral) alongX(img []float64, n, ch int, src, tmp [2][]float64) {
	s, h, w, wt := c.s, c.s.H, c.s.W, c.wt
	nonzero, l := c.wf, 1
	last := len(c.x.radices) - 1
	for _, p := range c.x.radices[:last] {
		c.x.stage(tmp, src, l, p, nonzero)
		src, tmp, l, nonzero = tmp, src, l*p, wt
	}
	p := c.x.radices[last]
	row := func(v []float64, k int) []float64 { return v[k*h : (k+1)*h] }
	for x := range w {
		k := x % l
		o := c.o
		copy(o, row(src[0], k*p))
		for q := 1; q < p && k*p+q < nonzero; q++ {
			e := q * x % wt
			rmad(o, c.x.cos[e], c.x.sin[e], row(src[0], k*p+q), row(src[1], k*p+q))
		}
		scatter(img[((n*h)*w+x)*s.C+ch:], w*s.C, s.OutScale, o)
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
