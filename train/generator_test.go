package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

func genSetup(t *testing.T) (*gpu.Device, *Dataset, *models.Plan) {
	t.Helper()
	ds, err := Load("mnist", "")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		if os.Getenv("CI") == "true" || !errors.Is(err, gpu.ErrNoAdapter) {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	t.Cleanup(d.Close)
	m, err := models.NewNet("clf", 28, 28, 1).
		Conv2D("conv1", 4, 3, "same", "relu").
		MaxPool("pool1", 2).
		Flatten("flatten").
		Dense("fc1", 16, "relu").
		Dense("logits", 10, "linear").
		Activation("probs", "softmax").Init(7)
	if err != nil {
		t.Fatal(err)
	}
	p, err := models.Lower(m)
	if err != nil {
		t.Fatal(err)
	}
	return d, ds, p
}

// cpuForward runs rows of x (each n floats) through p's target on the CPU
// backend, one at a time.
func cpuForward(t *testing.T, p *models.Plan, target string, x []float32, n int) []float32 {
	t.Helper()
	node, err := p.Node(target)
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.NewSession(p, "cpu", nil, []*models.Node{node}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []float32
	for i := 0; i < len(x); i += n {
		o, err := s.Forward(x[i : i+n])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o[0]...)
	}
	return out
}

// TestCodes checks the GPU's codes and their statistics against the CPU
// backend's codes.
func TestCodes(t *testing.T) {
	d, ds, p := genSetup(t)
	idx := make([]int, 300)
	for i := range idx {
		idx[i] = i
	}
	codes, st, err := Codes(context.Background(), d, p, "fc1", &ds.Train, idx)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, len(idx)*784)
	ds.Train.Batch(idx, x)
	want := cpuForward(t, p, "fc1", x, 784)
	for i := range want {
		if math.Abs(float64(codes[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("code %d: gpu %g, cpu %g", i, codes[i], want[i])
		}
	}
	const D = 16
	for u := range D {
		col := make([]float64, len(idx))
		for i := range idx {
			col[i] = float64(want[i*D+u])
		}
		slices.Sort(col)
		mean := 0.0
		for _, v := range col {
			mean += v / float64(len(col))
		}
		hi := col[int(0.99*float64(len(col)))]
		if math.Abs(float64(st.High[u])-hi) > 1e-4*(1+hi) || math.Abs(float64(st.Mean[u])-mean) > 1e-4*(1+mean) || st.Low[u] != 0 || st.Std[u] < 0 {
			t.Errorf("unit %d: low %g high %g mean %g, want 0, %g, %g", u, st.Low[u], st.High[u], st.Mean[u], hi, mean)
		}
	}
}

// TestGeneratorAndDAELearn trains a generator (the small one without and
// with the adversarial term, and the wide one), and a DAE for a few steps: the generator's
// reconstructions of held-out codes get closer to their images, the
// discriminator trained in the same loop tells the batch's real images from
// G's drawings (its logged p(real) is higher on the real ones), and the
// DAE's reconstructions of corrupted codes get closer to the clean ones
// than the corrupted codes are (all measured on the CPU backend).
func TestGeneratorAndDAELearn(t *testing.T) {
	d, ds, p := genSetup(t)
	ctx := context.Background()
	idx := make([]int, 512)
	for i := range idx {
		idx[i] = i
	}
	codes, st, err := Codes(ctx, d, p, "fc1", &ds.Train, idx)
	if err != nil {
		t.Fatal(err)
	}
	held := codes[448*16:]
	x := make([]float32, 64*784)
	ds.Train.Batch(idx[448:], x)
	lossOf := func(m *models.Model) float64 {
		q, err := models.Lower(m)
		if err != nil {
			t.Fatal(err)
		}
		return mse(cpuForward(t, q, "image", held, 16), x)
	}
	for _, tc := range []struct {
		arch        string
		adversarial float64
	}{{"small", 0}, {"small", 1e-3}, {"wide", 0}} {
		arch, adversarial := tc.arch, tc.adversarial
		var log strings.Builder
		cfg := GenConfig{Arch: arch, Seed: 3, Steps: 40, Batch: 16, LR: 3e-3, Feature: "conv1", FeatureWeight: 1, Adversarial: adversarial, LogEvery: 40, Log: &log}
		g, err := Generator(ctx, d, p, &ds.Train, idx[:448], codes[:448*16], cfg)
		if err != nil {
			t.Fatal(err)
		}
		g0, err := GeneratorArchs[arch](16).Init(cfg.Seed)
		if err != nil {
			t.Fatal(err)
		}
		before, after := lossOf(g0), lossOf(g)
		t.Logf("generator %s, adversarial × %g: held-out pixel mse %.4f -> %.4f after %d steps", arch, adversarial, before, after, cfg.Steps)
		if !(after < 0.8*before) {
			t.Errorf("generator %s, adversarial × %g: held-out pixel mse %.4f -> %.4f, want a drop of 20%%", arch, adversarial, before, after)
		}
		if adversarial == 0 {
			continue
		}
		var real, drawn float64
		i := strings.Index(log.String(), "p(real)")
		if i < 0 {
			t.Fatalf("no discriminator in the log %q", log.String())
		}
		if _, err := fmt.Sscanf(log.String()[i:], "p(real) %g on real, %g on drawn", &real, &drawn); err != nil {
			t.Fatalf("log %q: %v", log.String(), err)
		}
		t.Logf("discriminator p(real) %.3f on real, %.3f on drawn", real, drawn)
		if !(real > drawn+0.1) {
			t.Errorf("discriminator p(real) %.3f on real images, %.3f on G's: want it to tell them apart", real, drawn)
		}
	}

	cfg := GenConfig{Seed: 4, Steps: 600, Batch: 32, LR: 1e-2, Noise: 1}
	r, err := DAE(ctx, d, codes[:448*16], st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	q, err := models.Lower(r)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	noisy := make([]float32, len(held))
	for i := range held {
		noisy[i] = held[i] + float32(rng.NormFloat64()*cfg.Noise*float64(st.Std[i%16]))
	}
	rec := cpuForward(t, q, "dec", noisy, 16)
	t.Logf("dae: held-out corrupted mse %.4f, reconstruction mse %.4f", mse(noisy, held), mse(rec, held))
	if !(mse(rec, held) < 0.8*mse(noisy, held)) {
		t.Errorf("dae: reconstruction mse %.4f is not below the corrupted input's %.4f", mse(rec, held), mse(noisy, held))
	}
}
