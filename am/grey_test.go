package am

import (
	"context"
	"github.com/hubelviz/hubel/gpu/gputest"
	"math"
	"testing"

	"github.com/hubelviz/hubel/models"
)

// TestGreyGPUvsCPU renders on one-channel (grey) models, the small random
// one and the bundled MNIST classifier, with the Fourier and the pixel
// parameters and Lucid's transforms: the GPU and the CPU reference agree
// step for step, and the images come back as RGB with three equal
// channels.
func TestGreyGPUvsCPU(t *testing.T) {
	d := gputest.Device(t)
	tp, tdesc := tinyNetOf(t, false, 1)
	mp, mdesc := bundledGrey(t, bundledMNIST)
	for _, c := range []struct {
		name string
		p    *models.Plan
		desc *models.Descriptor
		objs []Objective
		cfg  Config
	}{
		{"tiny fft", tp, tdesc, []Objective{Channel("pw", 5).Minus(TV().Scale(0.5)), LogSoftmax(4).Minus(L2().Scale(0.3))},
			Config{Size: 16, Steps: 8, Seed: 1}},
		{"tiny pixel", tp, tdesc, []Objective{Neuron("c1_relu", 1, -1, -1), DeepDream("pw").Minus(L1().Scale(0.1))},
			Config{Size: 16, Steps: 8, Seed: 2, Param: "pixel", Transforms: "jitter:3", Init: "mean", GradBlur: 1, CenterBias: 0.4,
				BlurEvery: 3, BlurSigma: 0.5, ClipPercentile: 20}},
		{"mnist fft", mp, mdesc, []Objective{Logit(3), Channel("conv2", 7)}, Config{Size: 32, Steps: 6, Seed: 1}},
		{"mnist pixel", mp, mdesc, []Objective{Logit(3)}, Config{Size: 28, Steps: 6, Seed: 1, Param: "pixel", Transforms: "jitter:2"}},
	} {
		g, err := NewRenderer(d, c.p, c.desc, c.objs, c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if g.Channels() != 1 {
			t.Errorf("%s: %d channels, want 1", c.name, g.Channels())
		}
		gi, gc := run(t, g, c.cfg.Steps)
		g.Release()
		r, err := NewCPURenderer(c.p, c.desc, c.objs, c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		ci, cc := run(t, r, c.cfg.Steps)
		if len(ci) != len(c.objs)*c.cfg.Size*c.cfg.Size*3 {
			t.Fatalf("%s: %d image values, want %d (RGB)", c.name, len(ci), len(c.objs)*c.cfg.Size*c.cfg.Size*3)
		}
		for i := 0; i < len(ci); i += 3 {
			if ci[i] != ci[i+1] || ci[i] != ci[i+2] || !(ci[i] > 0 && ci[i] < 1) {
				t.Fatalf("%s: pixel %d = %v, want three equal values in (0, 1)", c.name, i/3, ci[i:i+3])
			}
		}
		e := maxRel(f64(gi), f64(ci))
		for i := range cc {
			e = math.Max(e, maxRel(gc[i], cc[i]))
		}
		t.Logf("%s: gpu vs cpu max rel diff %.3g over %d steps; objective 0: %.4g → %.4g", c.name, e, c.cfg.Steps, cc[0][0], cc[0][len(cc[0])-1])
		if e > 1e-3 {
			t.Errorf("%s: gpu and cpu differ by %.3g (rel)", c.name, e)
		}
	}
}

// TestGreyRaises renders logit:3 of the bundled MNIST classifier with
// Lucid's defaults (Fourier parameter, transforms) and with pixels: the
// logit rises, and the image ends up classified as a 3 by the model
// itself, read back and run through the CPU reference.
func TestGreyRaises(t *testing.T) {
	d := gputest.Device(t)
	p, desc := bundledGrey(t, bundledMNIST)
	for _, cfg := range []Config{{Size: 28, Steps: 48, Seed: 1, Param: "fft"}, {Size: 28, Steps: 48, Seed: 1, Param: "pixel", Transforms: "jitter:2"}} {
		r, err := NewRenderer(d, p, desc, []Objective{Logit(3)}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		img, c := run(t, r, cfg.Steps)
		r.Release()
		first, last := c[0][0], c[0][cfg.Steps-1]
		t.Logf("param %s: logit 3 %.3f → %.3f", cfg.Param, first, last)
		if !(last > first+1) {
			t.Errorf("param %s: logit 3 %.3f → %.3f did not rise by 1", cfg.Param, first, last)
		}
		// The image as the model sees it (28×28, grey, in its range).
		grey := make([]float32, 28*28)
		for i := range grey {
			grey[i] = float32(desc.Input.Range[0] + (desc.Input.Range[1]-desc.Input.Range[0])*float64(img[3*i]))
		}
		s, err := models.NewSession(p, "cpu", nil, []*models.Node{mustLogits(t, p)}, false)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Forward(grey)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		best := 0
		for k, v := range out[0] {
			if v > out[0][best] {
				best = k
			}
		}
		if best != 3 {
			t.Errorf("param %s: the final image is classified as %d (logits %v), want 3", cfg.Param, best, out[0])
		}
	}
}

func mustLogits(t *testing.T, p *models.Plan) *models.Node {
	t.Helper()
	n, err := p.Logits()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// bundledGrey loads a bundled model (28×28×1) and its descriptor.
func bundledGrey(t *testing.T, dir string) (*models.Plan, *models.Descriptor) {
	t.Helper()
	m, err := models.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := models.LoadDescriptor(context.Background(), models.Dir(dir), m)
	if err != nil {
		t.Fatal(err)
	}
	p, err := models.Lower(m)
	if err != nil {
		t.Fatal(err)
	}
	return p, desc
}
