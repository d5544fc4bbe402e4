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
}

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
