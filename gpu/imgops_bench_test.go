package gpu_test

import (
	"testing"

	"github.com/hubelviz/hubel/gpu"
)

// BenchmarkImgOps times the image, regulariser, optimiser and random
// kernels on one batch of two 224×224 RGB images (the sizes of an AM step
// on MobileNet), each as the median of a few submissions of 10 ops:
//
//	go test -bench ImgOps ./gpu/ -run '^$' -benchtime 1x -v
func BenchmarkImgOps(b *testing.B) {
	d := device(b)
	const n, h, w, c = 2, 224, 224, 3
	size := n * h * w * c
	rng := newRand(51)
	x32, _ := randVec(rng, size)
	x, g, t1, t2, m, v := upload(b, d, x32), upload(b, d, x32), zeros(b, d, size), zeros(b, d, size), zeros(b, d, size), zeros(b, d, size)
	vals := zeros(b, d, n)
	ps := gpu.PadShape{N: n, H: h, W: w, C: c, Top: 12, Bottom: 12, Left: 12, Right: 12, Value: 0.5}
	ph, pw := ps.Out()
	padded := zeros(b, d, n*ph*pw*c)

	type bench struct {
		name string
		mk   func() (gpu.Op, error)
	}
	release := func(op gpu.Op) {
		if r, ok := op.(interface{ Release() }); ok {
			r.Release()
		}
	}
	for _, bc := range []bench{
		{"pad12", func() (gpu.Op, error) { return d.Pad(ps, x, padded) }},
		{"blur_sigma1", func() (gpu.Op, error) { return d.Blur(gpu.NHWC{N: n, H: h, W: w, C: c}, 1, x, t1, t2) }},
		{"tv2_value_grad", func() (gpu.Op, error) {
			return d.Regularize(gpu.NHWC{N: n, H: h, W: w, C: c}, gpu.Regularizer{Kind: gpu.RegTVSquared, Coef: 1e-3}, x, g, vals)
		}},
		{"to_rgb", func() (gpu.Op, error) { return d.ToRGB(gpu.ColorShape{N: n, H: h, W: w, M: gpu.LucidColor()}, x, t1) }},
		{"to_rgb_backward", func() (gpu.Op, error) {
			return d.ToRGBBackward(gpu.ColorShape{N: n, H: h, W: w, M: gpu.LucidColor()}, t1, g, t2)
		}},
		{"adam", func() (gpu.Op, error) { return d.Adam(gpu.AdamDefaults(0.05), t2, g, m, v) }},
		{"normal_fill", func() (gpu.Op, error) { return d.Random(gpu.RandSpec{Kind: gpu.RandNormal, Seed: 1, Scale: 1}, t1) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			op, err := bc.mk()
			if err != nil {
				b.Fatal(err)
			}
			defer release(op)
			for range b.N {
				dt, err := d.Time(op, 10, 5)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(dt.Microseconds()), "µs/op")
			}
			b.Logf("%s on %s", bc.name, d.Adapter)
		})
	}
}

// BenchmarkSpectral times Lucid's Fourier parameter (forward and adjoint)
// for one 232×232 RGB image (the benchmark page's step) in each variant:
//
//	go test -bench Spectral ./gpu/ -run '^$' -benchtime 1x -v
func BenchmarkSpectral(b *testing.B) {
	d := device(b)
	for _, v := range []string{gpu.SpectralDirect, gpu.SpectralGEMM} {
		b.Run(v, func(b *testing.B) {
			s := gpu.SpectralShape{B: 1, C: 3, H: 232, W: 232, Decay: 1, OutScale: 0.25, Variant: v}
			spec, img := zeros(b, d, s.SpectrumLen()), zeros(b, d, s.B*s.H*s.W*s.C)
			dimg, dspec := zeros(b, d, img.Len), zeros(b, d, spec.Len)
			sp, err := d.Spectral(s, spec, img, dimg, dspec)
			if err != nil {
				b.Fatal(err)
			}
			defer sp.Release()
			for range b.N {
				dt, err := d.Time(gpu.Seq{sp.Forward, sp.Backward}, 1, 3)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(dt.Microseconds())/1000, "ms/op")
			}
		})
	}
}
