package ref

import "math"

// Lucid's Fourier image parameterisation, written as the definition of
// numpy's irfft2 (an inverse complex DFT along y, then a real inverse DFT of
// length WT along x whose missing bins are the conjugates of the stored
// ones), summed directly over both frequencies at once.

// SpectralWF is the stored frequency count along x: W/2+1, or W/2+2 for odd
// W (Lucid keeps one more and crops a pixel).
func SpectralWF(w int) int {
	if w%2 == 1 {
		return w/2 + 2
	}
	return w/2 + 1
}

// LucidFrequencyScale is 1/max(|f|, 1/max(w,h))^decay·sqrt(w·h) per stored
// frequency [h][wf], with numpy's fftfreq conventions.
func LucidFrequencyScale(h, w int, decay float64) []float64 {
	wf := SpectralWF(w)
	freq := func(k, n int) float64 { // numpy.fft.fftfreq(n)[k]
		if 2*k < n {
			return float64(k) / float64(n)
		}
		return float64(k-n) / float64(n)
	}
	out := make([]float64, h*wf)
	fx2 := make([]float64, wf)
	for kx := range fx2 {
		fx2[kx] = freq(kx, w) * freq(kx, w)
	}
	fmin, sqrtWH := 1/float64(max(w, h)), math.Sqrt(float64(w*h))
	for ky := 0; ky < h; ky++ {
		fy2 := freq(ky, h) * freq(ky, h)
		for kx := 0; kx < wf; kx++ {
			f := math.Max(math.Sqrt(fy2+fx2[kx]), fmin)
			out[ky*wf+kx] = sqrtWH / math.Pow(f, decay)
		}
	}
	return out
}

// spectralBasis returns the coefficient of (re, im) of bin (ky, kx) in
// pixel (y, x): img = Σ cr·re + ci·im.
func spectralBasis(h, wt, y, x, ky, kx int) (cr, ci float64) {
	a := 2.0
	if kx == 0 || 2*kx == wt {
		a = 1 // DC and Nyquist have no conjugate twin
	}
	th := 2 * math.Pi * (float64(ky*y)/float64(h) + float64(kx*x)/float64(wt))
	n := a / float64(h*wt)
	return n * math.Cos(th), -n * math.Sin(th)
}

// SpectralImage maps a spectrum [b][c][2][h][wf] to NHWC images:
// outScale · irfft2(scale ⊙ spectrum), cropped to w.
func SpectralImage(spec []float64, b, c, h, w int, decay, outScale float64) []float64 {
	wf := SpectralWF(w)
	scale := LucidFrequencyScale(h, w, decay)
	img := make([]float64, b*h*w*c)
	for n := 0; n < b; n++ {
		for ch := 0; ch < c; ch++ {
			re := spec[(n*c+ch)*2*h*wf:]
			im := re[h*wf:]
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					img[((n*h+y)*w+x)*c+ch] = spectralPixel(re, im, scale, h, wf, y, x, outScale)
				}
			}
		}
	}
	return img
}

// SpectralPixel is pixel (y, x) of channel ch of image n of SpectralImage,
// given the frequency scale (LucidFrequencyScale(h, w, decay)): the same
// direct sum over the spectrum, one pixel at a time, to check a fast
// transform at sizes where the whole image would take too long.
func SpectralPixel(spec, scale []float64, c, h, w int, outScale float64, n, ch, y, x int) float64 {
	wf := SpectralWF(w)
	re := spec[(n*c+ch)*2*h*wf:]
	return spectralPixel(re, re[h*wf:], scale, h, wf, y, x, outScale)
}

// spectralPixel is one pixel of SpectralImage: re and im are one channel's
// spectrum [h][wf].
func spectralPixel(re, im, scale []float64, h, wf, y, x int, outScale float64) float64 {
	wt := 2 * (wf - 1)
	s := 0.0
	for ky := 0; ky < h; ky++ {
		for kx := 0; kx < wf; kx++ {
			cr, ci := spectralBasis(h, wt, y, x, ky, kx)
			k := ky*wf + kx
			s += scale[k] * (cr*re[k] + ci*im[k])
		}
	}
	return outScale * s
}

// SpectralImageBackward is the gradient of SpectralImage with respect to
// the spectrum, given the gradient dimg of the image.
func SpectralImageBackward(dimg []float64, b, c, h, w int, decay, outScale float64) []float64 {
	wf := SpectralWF(w)
	wt := 2 * (wf - 1)
	scale := LucidFrequencyScale(h, w, decay)
	out := make([]float64, b*c*2*h*wf)
	for n := 0; n < b; n++ {
		for ch := 0; ch < c; ch++ {
			re := out[(n*c+ch)*2*h*wf:]
			im := re[h*wf:]
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					g := outScale * dimg[((n*h+y)*w+x)*c+ch]
					for ky := 0; ky < h; ky++ {
						for kx := 0; kx < wf; kx++ {
							cr, ci := spectralBasis(h, wt, y, x, ky, kx)
							k := ky*wf + kx
							re[k] += g * scale[k] * cr
							im[k] += g * scale[k] * ci
						}
					}
				}
			}
		}
	}
	return out
}
