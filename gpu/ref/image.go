package ref

import "math"

// Image operations of activation maximisation: Gaussian blur, colour
// decorrelation with a sigmoid, and the regularisers (total variation, L1,
// L2) with their gradients. Images are NHWC.

// blurMirror maps position t of the infinite mirrored line into [0, n):
// half-sample symmetric reflection (… b a | a b … | … z | z …).
func blurMirror(t, n int) int {
	m := t % (2 * n)
	if m < 0 {
		m += 2 * n
	}
	if m >= n {
		m = 2*n - 1 - m
	}
	return m
}

// blurWeights returns w[k+r] = exp(-k²/(2σ²)) / Σ, for k = -r..r with
// r = ceil(3σ).
func blurWeights(sigma float64) []float64 {
	r := int(math.Ceil(3 * sigma))
	w := make([]float64, 2*r+1)
	sum := 0.0
	for k := -r; k <= r; k++ {
		v := 1.0
		if r > 0 {
			v = math.Exp(-float64(k*k) / (2 * sigma * sigma))
		}
		w[k+r] = v
		sum += v
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

// Blur returns x (n×h×w×c) blurred by a Gaussian of standard deviation
// sigma truncated at radius ceil(3σ), along x then along y, with the border
// reflected half-sample symmetrically. The blur is its own adjoint, so it is
// also its gradient.
func Blur(n, h, w, c int, sigma float64, x []float64) []float64 {
	wts := blurWeights(sigma)
	r := len(wts) / 2
	pass := func(src []float64, length, stride int) []float64 {
		dst := make([]float64, len(src))
		for i := range src {
			q := (i / stride) % length
			base := i - q*stride
			s := 0.0
			for k := -r; k <= r; k++ {
				s += wts[k+r] * src[base+blurMirror(q+k, length)*stride]
			}
			dst[i] = s
		}
		return dst
	}
	return pass(pass(x, w, c), h, w*c)
}

// ToRGB returns rgb = sigmoid(t · Mᵀ) for each pixel of t (3 channels,
// innermost): rgb_i = sigmoid(Σ_j M[3i+j]·t_j). M is row-major.
func ToRGB(m [9]float64, t []float64) []float64 {
	y := make([]float64, len(t))
	ToRGBInto(y, m, t)
	return y
}

// ToRGBInto is ToRGB writing into y (len(t) floats).
func ToRGBInto(y []float64, m [9]float64, t []float64) {
	y = y[:len(t)]
	for p := 0; p+3 <= len(t); p += 3 {
		for i := range 3 {
			z := m[3*i]*t[p] + m[3*i+1]*t[p+1] + m[3*i+2]*t[p+2]
			y[p+i] = 1 / (1 + math.Exp(-z))
		}
	}
}

// ToRGBBackward returns the gradient with respect to t of ToRGB, given the
// gradient drgb of its output.
func ToRGBBackward(m [9]float64, t, drgb []float64) []float64 {
	y := ToRGB(m, t)
	dt := make([]float64, len(t))
	for p := 0; p+3 <= len(t); p += 3 {
		for i := range 3 {
			dz := drgb[p+i] * y[p+i] * (1 - y[p+i])
			for j := range 3 {
				dt[p+j] += m[3*i+j] * dz
			}
		}
	}
	return dt
}

// absPenalty is the L1 penalty of a difference d: sqrt(d²+eps) when
// eps > 0 (smooth), |d| when eps == 0; and its derivative (the subgradient
// sign(d), 0 at 0, when eps == 0).
func absPenalty(d, eps float64) (v, dv float64) {
	if eps > 0 {
		s := math.Sqrt(d*d + eps)
		return s, d / s
	}
	sg := 0.0
	if d > 0 {
		sg = 1
	} else if d < 0 {
		sg = -1
	}
	return math.Abs(d), sg
}

// sqPenalty is d² and its derivative.
func sqPenalty(d, _ float64) (v, dv float64) { return d * d, 2 * d }

// tv returns per-image Σ pen(right − here) + pen(below − here) over every
// pixel and channel, and the gradient of that sum.
func tv(n, h, w, c int, x []float64, pen func(d, eps float64) (float64, float64), eps float64) (vals, grad []float64) {
	vals = make([]float64, n)
	grad = make([]float64, len(x))
	at := func(b, y, xx, ch int) int { return ((b*h+y)*w+xx)*c + ch }
	for b := range n {
		for y := range h {
			for xx := range w {
				for ch := range c {
					i := at(b, y, xx, ch)
					if xx+1 < w {
						j := at(b, y, xx+1, ch)
						v, dv := pen(x[j]-x[i], eps)
						vals[b] += v
						grad[j] += dv
						grad[i] -= dv
					}
					if y+1 < h {
						j := at(b, y+1, xx, ch)
						v, dv := pen(x[j]-x[i], eps)
						vals[b] += v
						grad[j] += dv
						grad[i] -= dv
					}
				}
			}
		}
	}
	return vals, grad
}

// TVSquared returns, per image of x (n×h×w×c), the total variation as the
// sum of squared differences between horizontal and vertical neighbours
// (the survey's R_TV), and its gradient with respect to x.
func TVSquared(n, h, w, c int, x []float64) (vals, grad []float64) {
	return tv(n, h, w, c, x, sqPenalty, 0)
}

// TVAbs returns, per image, the anisotropic total variation
// Σ sqrt(d²+eps) over horizontal and vertical neighbour differences d (Σ|d|
// when eps == 0, with the subgradient sign(d)), and its gradient.
func TVAbs(n, h, w, c int, eps float64, x []float64) (vals, grad []float64) {
	return tv(n, h, w, c, x, absPenalty, eps)
}

// pointwise returns per-image Σ pen(x − center) over the n images of x and
// its gradient.
func pointwise(n int, x []float64, pen func(d, eps float64) (float64, float64), eps, center float64) (vals, grad []float64) {
	vals = make([]float64, n)
	grad = make([]float64, len(x))
	per := len(x) / n
	for i, v := range x {
		pv, dv := pen(v-center, eps)
		vals[i/per] += pv
		grad[i] = dv
	}
	return vals, grad
}

// L1 returns, per image of the n in x, Σ sqrt((x−center)²+eps) (Σ|x−center|
// when eps == 0, with the subgradient sign), and its gradient.
func L1(n int, eps, center float64, x []float64) (vals, grad []float64) {
	return pointwise(n, x, absPenalty, eps, center)
}

// L2 returns, per image of the n in x, Σ (x−center)², and its gradient.
func L2(n int, center float64, x []float64) (vals, grad []float64) {
	return pointwise(n, x, sqPenalty, 0, center)
}
