package gpu

import (
	"fmt"
	"math"
)

// Launchers for shaders/spectral.wgsl: Lucid's Fourier parameterisation.

// SpectralShape describes a batch of images parameterised by their scaled
// spectra, as Lucid's fft_image.
type SpectralShape struct {
	B, C, H, W int
	Decay      float64 // decay power of the frequency scaling (Lucid: 1)
	OutScale   float64 // factor after the inverse DFT (Lucid: 1/4)
	// Variant is SpectralGEMM or SpectralDirect; "" means the device's
	// choice (Device.SetVariant("spectral", …)), by default SpectralGEMM.
	Variant string
}

// Spectral variants.
const (
	// SpectralDirect runs each pass as one invocation per output, summing
	// over the frequencies with twiddles from tables.
	SpectralDirect = "direct"
	// SpectralGEMM runs both passes (and their adjoints) as matrix products
	// on the GEMM kernels, with the DFT matrices precomputed: the pass
	// along y is one batched product with a shared 2H×2H real matrix
	// [[cos, −sin], [sin, cos]]/H (rows interleaved re, im so that its
	// output is [H][re WFP | im WFP]), the pass along x one product with a
	// 2WFP×W matrix, WFP being WF rounded up to 4 (zero padding) so the
	// GEMMs read whole vec4s. Their adjoints are the transposed products.
	SpectralGEMM = "gemm"
)

// WF is the number of stored frequencies along x: W/2+1 for even W, and
// W/2+2 for odd W (Lucid keeps one extra and crops a pixel after).
func (s SpectralShape) WF() int {
	if s.W%2 == 1 {
		return s.W/2 + 2
	}
	return s.W/2 + 1
}

// SpectrumLen is the number of floats of the spectrum parameter:
// [B][C][2][H][WF].
func (s SpectralShape) SpectrumLen() int { return s.B * s.C * 2 * s.H * s.WF() }

// fftfreq is numpy's fftfreq(n)[k]: k/n for the first ceil(n/2) bins, then
// negative frequencies.
func fftfreq(k, n int) float64 {
	if k < (n+1)/2 {
		return float64(k) / float64(n)
	}
	return float64(k-n) / float64(n)
}

// FrequencyScale is Lucid's per-frequency factor
// 1/max(|f|, 1/max(W,H))^decay · sqrt(W·H), laid out [H][WF].
func (s SpectralShape) FrequencyScale() []float32 {
	wf := s.WF()
	out := make([]float32, s.H*wf)
	floor := 1 / float64(max(s.W, s.H))
	for ky := range s.H {
		fy := fftfreq(ky, s.H)
		for kx := range wf {
			fx := fftfreq(kx, s.W) // fftfreq(w)[:wf], as Lucid (note: W, not the transform width)
			f := math.Max(math.Hypot(fx, fy), floor)
			out[ky*wf+kx] = float32(1 / math.Pow(f, s.Decay) * math.Sqrt(float64(s.W*s.H)))
		}
	}
	return out
}

// Spectral converts spectra to NHWC images (Forward) and image gradients to
// spectrum gradients (Backward, the exact adjoint).
type Spectral struct {
	Shape    SpectralShape
	Forward  Seq
	Backward Seq
	owned    []*Buffer
	disp     []*Dispatch
}

// Release frees the tables, scratch and dispatches.
func (sp *Spectral) Release() {
	for _, x := range sp.disp {
		x.Release()
	}
	for _, b := range sp.owned {
		b.Release()
	}
}

func twiddles(n int) []float32 {
	t := make([]float32, 2*n)
	for k := range n {
		a := 2 * math.Pi * float64(k) / float64(n)
		t[k], t[n+k] = float32(math.Cos(a)), float32(math.Sin(a))
	}
	return t
}

// Spectral prepares the transform between spectrum [B][C][2][H][WF] and
// image NHWC [B][H][W][C], and the adjoint from dimg to dspec. Any of the
// gradient buffers may be nil when no backward is needed.
func (d *Device) Spectral(s SpectralShape, spec, img, dimg, dspec *Buffer) (*Spectral, error) {
	if s.B < 1 || s.C < 1 || s.H < 1 || s.W < 1 {
		return nil, fmt.Errorf("gpu: spectral: bad shape %+v", s)
	}
	if spec.Len != s.SpectrumLen() || img.Len != s.B*s.H*s.W*s.C {
		return nil, fmt.Errorf("gpu: spectral: spectrum has %d floats (want %d), image %d (want %d)", spec.Len, s.SpectrumLen(), img.Len, s.B*s.H*s.W*s.C)
	}
	if (dimg == nil) != (dspec == nil) || (dimg != nil && (dimg.Len != img.Len || dspec.Len != spec.Len)) {
		return nil, fmt.Errorf("gpu: spectral: gradient buffers must both be given, sized like image and spectrum")
	}
	if s.Variant == "" {
		s.Variant = d.Variant("spectral")
	}
	switch s.Variant {
	case "", SpectralGEMM:
		return d.spectralGEMM(s, spec, img, dimg, dspec)
	case SpectralDirect:
	default:
		return nil, fmt.Errorf("gpu: spectral: unknown variant %q (want %s or %s)", s.Variant, SpectralGEMM, SpectralDirect)
	}
	sp := &Spectral{Shape: s}
	ok := false
	defer func() {
		if !ok {
			sp.Release()
		}
	}()
	wf := s.WF()
	wt := 2 * (wf - 1)
	upload := func(label string, v []float32) (*Buffer, error) {
		b, err := d.Upload(label, v)
		if err == nil {
			sp.owned = append(sp.owned, b)
		}
		return b, err
	}
	scale, err := upload("spectral.scale", s.FrequencyScale())
	if err != nil {
		return nil, err
	}
	twy, err := upload("spectral.twiddle_y", twiddles(s.H))
	if err != nil {
		return nil, err
	}
	twx, err := upload("spectral.twiddle_x", twiddles(wt))
	if err != nil {
		return nil, err
	}
	z, err := d.NewBuffer("spectral.z", spec.Len)
	if err != nil {
		return nil, err
	}
	sp.owned = append(sp.owned, z)
	params := Params{U(s.B), U(s.C), U(s.H), U(s.W), U(wf), U(wt), F(s.OutScale), 0}
	prep := func(entry string, n int, binds []Binding, bufs ...*Buffer) error {
		k, err := d.Kernel(KernelSpec{File: "spectral.wgsl", Entry: entry, Bufs: binds, Consts: map[string]string{"WG": "64u"}})
		if err != nil {
			return err
		}
		x, err := d.Dispatch(k, params, Groups1D(n, 64), bufs...)
		if err != nil {
			return err
		}
		sp.disp = append(sp.disp, x)
		return nil
	}
	nz := s.B * s.C * s.H * wf
	if err := prep("forward_y", nz, []Binding{{1, Read}, {2, Read}, {3, Read}, {5, ReadWrite}}, spec, scale, twy, z); err != nil {
		return nil, err
	}
	if err := prep("forward_x", img.Len, []Binding{{4, Read}, {6, Read}, {7, ReadWrite}}, twx, z, img); err != nil {
		return nil, err
	}
	sp.Forward = Seq{sp.disp[0], sp.disp[1]}
	if dimg != nil {
		if err := prep("adjoint_x", nz, []Binding{{4, Read}, {8, Read}, {9, ReadWrite}}, twx, dimg, z); err != nil {
			return nil, err
		}
		if err := prep("adjoint_y", nz, []Binding{{1, Read}, {2, Read}, {3, Read}, {5, ReadWrite}}, z, scale, twy, dspec); err != nil {
			return nil, err
		}
		sp.Backward = Seq{sp.disp[2], sp.disp[3]}
	}
	ok = true
	return sp, nil
}

// DFTMatrices returns the GEMM variant's tables: ay (2H×2H), the complex
// inverse DFT along y with 1/H, rows 2y (re) and 2y+1 (im), columns ky (re
// part of the input) and H+ky (im part); and bx (2WF×W), the real inverse
// DFT along x with the Hermitian weights, OutScale and 1/WT, rows kx (re)
// and WFP+kx (im), cropped to W columns; rows from WF to WFP (padding) are
// zero. wfp ≥ WF; the benchmark page passes WF to TF.js.
func (s SpectralShape) DFTMatrices(wfp int) (ay, bx []float32) {
	h, wf := s.H, s.WF()
	wt := 2 * (wf - 1)
	ay = make([]float32, 4*h*h)
	for y := range h {
		for ky := range h {
			a := 2 * math.Pi * float64(ky*y%h) / float64(h)
			c, sn := float32(math.Cos(a)/float64(h)), float32(math.Sin(a)/float64(h))
			ay[(2*y)*2*h+ky], ay[(2*y)*2*h+h+ky] = c, -sn
			ay[(2*y+1)*2*h+ky], ay[(2*y+1)*2*h+h+ky] = sn, c
		}
	}
	bx = make([]float32, 2*wfp*s.W)
	for kx := range wf {
		herm := 2.0
		if kx == 0 || 2*kx == wt {
			herm = 1
		}
		for x := range s.W {
			a := 2 * math.Pi * float64(kx*x%wt) / float64(wt)
			f := herm * s.OutScale / float64(wt)
			bx[kx*s.W+x] = float32(f * math.Cos(a))
			bx[(wfp+kx)*s.W+x] = float32(-f * math.Sin(a))
		}
	}
	return ay, bx
}

// spectralGEMM prepares the SpectralGEMM variant: frequency scaling, the
// pass along y and the pass along x as GEMMs, then planar to NHWC; the
// backward is the same chain transposed, in reverse.
func (d *Device) spectralGEMM(s SpectralShape, spec, img, dimg, dspec *Buffer) (*Spectral, error) {
	sp := &Spectral{Shape: s}
	ok := false
	defer func() {
		if !ok {
			sp.Release()
		}
	}()
	own := func(b *Buffer, err error) (*Buffer, error) {
		if err == nil {
			sp.owned = append(sp.owned, b)
		}
		return b, err
	}
	wf := s.WF()
	wfp := Ceil(wf, 4) * 4 // rows of whole vec4s for the GEMMs
	ay, bx := s.DFTMatrices(wfp)
	scale, err := own(d.Upload("spectral.scale", s.FrequencyScale()))
	if err != nil {
		return nil, err
	}
	ayBuf, err := own(d.Upload("spectral.ay", ay))
	if err != nil {
		return nil, err
	}
	bxBuf, err := own(d.Upload("spectral.bx", bx))
	if err != nil {
		return nil, err
	}
	padded := s.B * s.C * 2 * s.H * wfp
	xs, err := own(d.NewBuffer("spectral.scaled", padded))
	if err != nil {
		return nil, err
	}
	z, err := own(d.NewBuffer("spectral.z", padded))
	if err != nil {
		return nil, err
	}
	planar, err := own(d.NewBuffer("spectral.planar", img.Len))
	if err != nil {
		return nil, err
	}
	params := Params{U(s.B), U(s.C), U(s.H), U(s.W), U(wf), U(2 * (wf - 1)), F(s.OutScale), U(wfp)}
	glue := func(entry string, n int, binds []Binding, bufs ...*Buffer) (*Dispatch, error) {
		k, err := d.Kernel(KernelSpec{File: "spectral.wgsl", Entry: entry, Bufs: binds, Consts: map[string]string{"WG": "64u"}})
		if err != nil {
			return nil, err
		}
		x, err := d.Dispatch(k, params, Groups1D(n, 64), bufs...)
		if err == nil {
			sp.disp = append(sp.disp, x)
		}
		return x, err
	}
	gemm := func(g GEMMShape, c, a, b *Buffer) (*Dispatch, error) {
		g.Alpha = 1
		x, err := d.gemm(g, c, a, b, nil)
		if err == nil {
			sp.disp = append(sp.disp, x)
		}
		return x, err
	}
	bc, h, w := s.B*s.C, s.H, s.W
	scaleBinds := []Binding{{1, Read}, {2, Read}, {5, ReadWrite}}
	fs, err := glue("scale_pad", padded, scaleBinds, spec, scale, xs)
	if err != nil {
		return nil, err
	}
	fy, err := gemm(GEMMShape{Batch: bc, M: 2 * h, K: 2 * h, N: wfp, SharedA: true}, z, ayBuf, xs)
	if err != nil {
		return nil, err
	}
	fx, err := gemm(GEMMShape{M: bc * h, K: 2 * wfp, N: w}, planar, z, bxBuf)
	if err != nil {
		return nil, err
	}
	fo, err := glue("to_nhwc", img.Len, []Binding{{6, Read}, {7, ReadWrite}}, planar, img)
	if err != nil {
		return nil, err
	}
	sp.Forward = Seq{fs, fy, fx, fo}
	if dimg != nil {
		bi, err := glue("from_nhwc", img.Len, []Binding{{8, Read}, {9, ReadWrite}}, dimg, planar)
		if err != nil {
			return nil, err
		}
		bx, err := gemm(GEMMShape{M: bc * h, K: w, N: 2 * wfp, TransB: true}, z, planar, bxBuf)
		if err != nil {
			return nil, err
		}
		by, err := gemm(GEMMShape{Batch: bc, M: 2 * h, K: 2 * h, N: wfp, SharedA: true, TransA: true}, xs, ayBuf, z)
		if err != nil {
			return nil, err
		}
		bs, err := glue("scale_unpad", spec.Len, scaleBinds, xs, scale, dspec)
		if err != nil {
			return nil, err
		}
		sp.Backward = Seq{bi, bx, by, bs}
	}
	ok = true
	return sp, nil
}
