package am

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/gputest"
	"github.com/hubelviz/hubel/gpu/ref"
	"github.com/hubelviz/hubel/models"
)

// smallGenerative returns a small random classifier (10×10 grey images,
// code layer fc1 of 12 units, 4 classes) with a random generator and prior
// on its codes: enough to check the DGN-AM and PPGN loops' arithmetic.
func smallGenerative(t *testing.T) (*models.Plan, *models.Descriptor, *models.Generative) {
	t.Helper()
	lower := func(n *models.Net, seed uint64) *models.Plan {
		m, err := n.Init(seed)
		if err != nil {
			t.Fatal(err)
		}
		if l, err := m.Layer("logits"); err == nil { // sharper classes than Glorot's
			for i := range l.Weights["kernel"].Data {
				l.Weights["kernel"].Data[i] *= 10
			}
		}
		p, err := models.Lower(m)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	clf := lower(models.NewNet("clf", 10, 10, 1).
		Conv2D("conv1", 4, 3, "same", "relu").
		MaxPool("pool1", 2).
		Flatten("flatten").
		Dense("fc1", 12, "relu").
		Dense("logits", 4, "linear").
		Activation("probs", "softmax"), 1)
	g := lower(models.NewNet("gen", 12).
		Dense("fc", 5*5*3, "relu").
		Layer("Reshape", "r", map[string]any{"target_shape": []int{5, 5, 3}}).
		Layer("UpSampling2D", "up", map[string]any{"size": []int{2, 2}}).
		Conv2D("c1", 4, 3, "same", "relu").
		Conv2D("img", 1, 3, "same", "sigmoid"), 2)
	dae := lower(models.NewNet("dae", 12).
		Dense("enc", 8, "relu").
		Dense("dec", 12, "linear"), 3)
	desc := models.InferDescriptor(clf.Model)
	st := models.CodeStats{Layer: "fc1"}
	for range 12 {
		st.Low = append(st.Low, 0)
		st.High = append(st.High, 3)
		st.Mean = append(st.Mean, 0.5)
		st.Std = append(st.Std, 0.5)
	}
	return clf, &desc, &models.Generative{G: g, Code: st, Prior: dae}
}

// TestCodeGradientMatchesCPU checks one DGN-AM step's code gradient
// against the same chain (G, then the classifier, then the objective's
// gradient back through both) on the CPU backend; with CodeConfig.Jitter,
// the CPU side shifts G(h) by the step's offsets itself (and the gradient
// back), so the GPU's resampling is checked against plain indexing; with
// CodeConfig.PixelNoise it adds the step's draws (gpu/ref's Philox normals
// of the noise's seed, counter 1) to the shifted image itself.
func TestCodeGradientMatchesCPU(t *testing.T) {
	d := gputest.Device(t)
	p, desc, gen := smallGenerative(t)
	for _, c := range []struct {
		jitter int
		noise  float64
	}{{0, 0}, {2, 0}, {2, 0.3}} {
		t.Run(fmt.Sprintf("jitter%d,noise%g", c.jitter, c.noise), func(t *testing.T) {
			codeGradientMatchesCPU(t, d, p, desc, gen, c.jitter, c.noise)
		})
	}
}

// shiftImage returns img (S×S, one channel) shifted so that out(x, y) =
// img(x+dx, y+dy), 0 outside; adjoint adds dout back instead.
func shiftImage(img []float32, S, dx, dy int, adjoint bool) []float32 {
	out := make([]float32, len(img))
	for y := range S {
		for x := range S {
			sx, sy := x+dx, y+dy
			if sx < 0 || sy < 0 || sx >= S || sy >= S {
				continue
			}
			if adjoint {
				out[sy*S+sx] += img[y*S+x]
			} else {
				out[y*S+x] = img[sy*S+sx]
			}
		}
	}
	return out
}

func codeGradientMatchesCPU(t *testing.T, d *gpu.Device, p *models.Plan, desc *models.Descriptor, gen *models.Generative, jitter int, noise float64) {
	objs := []Objective{Logit(1), LogSoftmax(2), Logit(3)}
	const seed = 4
	r, err := NewRenderer(d, p, desc, objs, Config{Param: "dgn", Steps: 2, Seed: seed, Code: CodeConfig{Generator: gen, Init: "random", Jitter: jitter, PixelNoise: noise}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	ctx := context.Background()
	h, err := r.Codes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range h {
		if v < 0 || v > 3 {
			t.Fatalf("initial code %d = %g outside the clipping range [0, 3]", i, v)
		}
	}
	if err := r.Step(); err != nil {
		t.Fatal(err)
	}
	gotGrad, err := d.Read(ctx, r.code.dh)
	if err != nil {
		t.Fatal(err)
	}
	// CPU: image = G(h), shifted; logits; seeds for −objective; back to h.
	gs, cs := cpuSessions(t, p, gen)
	const D, S = 12, 10
	if r.lo != 0 || r.hi != 1 {
		t.Fatalf("the small model's input range is [%g, %g]; this check feeds it G's [0, 1] images as they are", r.lo, r.hi)
	}
	draws := ref.RandomNormal(seed^pixelNoiseSeed, 1, len(objs)*S*S) // step 1's
	shifted := 0
	var objStep0 []float64
	for i, o := range objs {
		dx, dy := 0, 0
		if jitter > 0 {
			m := r.code.matsHost[6*i:]
			dx, dy = int(m[2]), int(m[5])
			if m[0] != 1 || m[1] != 0 || m[3] != 0 || m[4] != 1 || float32(dx) != m[2] || float32(dy) != m[5] ||
				max(dx, -dx, dy, -dy) > jitter {
				t.Fatalf("image %d: shift matrix %v is not a whole-pixel translation within ±%d", i, m[:6], jitter)
			}
			if dx != 0 || dy != 0 {
				shifted++
			}
		}
		img, err := gs.Forward(h[i*D : (i+1)*D])
		if err != nil {
			t.Fatal(err)
		}
		in := shiftImage(img[0], S, dx, dy, false)
		for k := range in {
			in[k] += float32(noise * draws[i*S*S+k])
		}
		lg, err := cs.Forward(in)
		if err != nil {
			t.Fatal(err)
		}
		seed := make([]float32, 4)
		z := lg[0]
		c := o.Terms[0].Class
		if o.Terms[0].Kind == KindLogit {
			seed[c] = -1
			objStep0 = append(objStep0, float64(z[c]))
		} else {
			var logp float64
			seed, logp = logSoftmaxSeed(z, c, 1)
			objStep0 = append(objStep0, logp)
		}
		dimg, err := cs.InputGrad([][]float32{seed})
		if err != nil {
			t.Fatal(err)
		}
		dh, err := gs.InputGrad([][]float32{shiftImage(dimg, S, dx, dy, true)})
		if err != nil {
			t.Fatal(err)
		}
		// (Decay is 0 here, so the GPU's gradient is the objective's alone.)
		if e := relErr(gotGrad[i*D:(i+1)*D], dh); e > 1e-4 {
			t.Errorf("image %d (shift %d, %d): code gradient gpu vs cpu rel err %.3g\n gpu %v\n cpu %v", i, dx, dy, e, gotGrad[i*D:(i+1)*D], dh)
		}
	}
	if jitter > 0 && shifted == 0 {
		t.Errorf("jitter %d: no image was shifted", jitter)
	}
	curves, err := r.Objectives(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range objs {
		if math.Abs(curves[i][0]-objStep0[i]) > 1e-4*math.Max(1, math.Abs(objStep0[i])) {
			t.Errorf("image %d: objective %g on the gpu, %g on the cpu", i, curves[i][0], objStep0[i])
		}
	}
}

// cpuSessions returns CPU reference sessions of the generator (its image)
// and the classifier p (its logits), both with input gradients: the chain
// the code parameterisations run on the GPU, step by step.
func cpuSessions(t *testing.T, p *models.Plan, gen *models.Generative) (g, c models.Session) {
	t.Helper()
	gout, err1 := gen.G.Node(gen.G.Model.Output.Name)
	logits, err2 := p.Logits()
	if err := firstErr(err1, err2); err != nil {
		t.Fatal(err)
	}
	g, err := models.NewSession(gen.G, "cpu", nil, []*models.Node{gout}, true)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = models.NewSession(p, "cpu", nil, []*models.Node{logits}, true); err != nil {
		t.Fatal(err)
	}
	return g, c
}

// logSoftmaxSeed returns the seed of the loss −T·log softmax(z/T)_c for
// the logits z, softmax(z/T) − onehot(c) (its gradient with respect to z),
// and log softmax(z/T)_c.
func logSoftmaxSeed(z []float32, c int, T float64) ([]float32, float64) {
	m, s := math.Inf(-1), 0.0
	for _, v := range z {
		m = math.Max(m, float64(v)/T)
	}
	for _, v := range z {
		s += math.Exp(float64(v)/T - m)
	}
	seed := make([]float32, len(z))
	for k, v := range z {
		seed[k] = float32(math.Exp(float64(v)/T-m) / s)
	}
	seed[c]--
	return seed, float64(z[c])/T - m - math.Log(s)
}

func relErr(a, b []float32) float64 {
	num, den := 0.0, 1e-30
	for i := range b {
		num = math.Max(num, math.Abs(float64(a[i])-float64(b[i])))
		den = math.Max(den, math.Abs(float64(b[i])))
	}
	if num != num {
		return math.Inf(1)
	}
	return num / den
}

// TestDGNRaisesObjective runs DGN-AM and PPGN on the small model: the
// class's log-probability rises, codes stay clipped, nothing is read back
// during the steps, and PPGN's noise makes two seeds differ.
func TestDGNRaisesObjective(t *testing.T) {
	d := gputest.Device(t)
	p, desc, gen := smallGenerative(t)
	ctx := context.Background()
	for _, param := range []string{"dgn", "ppgn"} {
		cfg := Config{Param: param, Steps: 30, Seed: 1, LR: 0.2,
			Code: CodeConfig{Generator: gen, Decay: 1e-3}, Langevin: Langevin{Eps1: 0.01, Eps2: 5, Eps3: 0.01}}
		r, err := NewRenderer(d, p, desc, []Objective{LogSoftmax(0), LogSoftmax(3)}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		before := gpu.ReadStats()
		for range cfg.Steps {
			if err := r.Step(); err != nil {
				t.Fatal(err)
			}
		}
		after := gpu.ReadStats()
		if n := after.Readbacks - before.Readbacks; n != 0 {
			t.Errorf("%s: %d read-backs during %d steps", param, n, cfg.Steps)
		}
		if n := after.Submits - before.Submits; n != int64(cfg.Steps) {
			t.Errorf("%s: %d submits for %d steps, want one per step", param, n, cfg.Steps)
		}
		curves, err := r.Objectives(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range curves {
			first, last := c[0], c[len(c)-1]
			t.Logf("%s image %d: log p %.4f -> %.4f", param, i, first, last)
			if !(last > first+0.05) {
				t.Errorf("%s image %d: objective %.4f -> %.4f did not rise", param, i, first, last)
			}
		}
		h, err := r.Codes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range h {
			if v < 0 || v > 3 {
				t.Fatalf("%s: code %d = %g outside [0, 3]", param, i, v)
			}
		}
		imgs, err := r.Images(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(imgs) != 2*10*10*3 || r.Size() != 10 {
			t.Errorf("%s: %d floats of %d px images, want 2 RGB 10×10", param, len(imgs), r.Size())
		}
		r.Release()
	}
}

func TestCodeErrors(t *testing.T) {
	d := gputest.Device(t)
	p, desc, gen := smallGenerative(t)
	noPrior := *gen
	noPrior.Prior = nil
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Param: "dgn"}, `model "clf" has no generator`},
		{Config{Param: "ppgn", Code: CodeConfig{Generator: &noPrior}}, `model "clf" has no prior`},
		{Config{Param: "ppgn", Code: CodeConfig{Generator: gen}, Langevin: Langevin{Eps1: -2}}, "ε1 -2"},
		{Config{Param: "dgn", Code: CodeConfig{Generator: gen, Init: "zero"}}, `init "zero"`},
		{Config{Param: "ppgn", Code: CodeConfig{Generator: gen, Jitter: -1}}, "code jitter -1"},
		{Config{Param: "dgn", Code: CodeConfig{Generator: gen, Jitter: 10}}, "code jitter 10"},
		{Config{Param: "ppgn", Code: CodeConfig{Generator: gen, Refine: 3, RefineShifts: -1}}, "code refine shifts -1"},
		{Config{Param: "ppgn", Code: CodeConfig{Generator: gen, PixelNoise: -0.1}}, "code pixel noise -0.1"},
		{Config{Param: "dgn", Code: CodeConfig{Generator: gen, PixelNoise: math.NaN()}}, "code pixel noise NaN"},
	} {
		_, err := NewRenderer(d, p, desc, []Objective{Logit(0)}, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v: got %v, want an error containing %q", c.cfg.Param, c.cfg.Code, err, c.want)
		}
	}
}

// renderers returns a GPU renderer and a CPU one of the same config.
func renderers(t *testing.T, d *gpu.Device, p *models.Plan, desc *models.Descriptor, objs []Objective, cfg Config) (*Renderer, *CPURenderer) {
	t.Helper()
	g, err := NewRenderer(d, p, desc, objs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCPURenderer(p, desc, objs, cfg)
	if err != nil {
		g.Release()
		t.Fatal(err)
	}
	return g, c
}

// TestCodeInit checks the code parameterisations' starts on the GPU
// against the CPU backend, and their relation to one another: one seed
// draws the same z ~ N(0, 1) per unit, so "random" is clip(mean + std·z),
// "normal" is clip(z) and "mean" the mean code.
func TestCodeInit(t *testing.T) {
	d := gputest.Device(t)
	p, desc, gen := smallGenerative(t)
	ctx := context.Background()
	st := gen.Code
	objs := []Objective{Logit(0), Logit(1), Logit(2), Logit(3), Logit(0), Logit(1)}
	codes := map[string][]float32{}
	for _, init := range []string{"random", "normal", "mean"} {
		cfg := Config{Param: "dgn", Steps: 1, Seed: 7, Code: CodeConfig{Generator: gen, Init: init}}
		g, c := renderers(t, d, p, desc, objs, cfg)
		hg, err1 := g.Codes(ctx)
		hc, err2 := c.Codes(ctx)
		g.Release()
		c.Release()
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if e := relErr(hg, hc); e > 1e-6 {
			t.Errorf("%s: first codes differ, gpu vs cpu rel err %.3g", init, e)
		}
		codes[init] = hg
	}
	D := len(st.Mean)
	clip := func(v float64, u int) float64 { return min(max(v, float64(st.Low[u])), float64(st.High[u])) }
	inside, atLow := 0, 0
	for i, r := range codes["random"] {
		u := i % D
		if m := codes["mean"][i]; m != st.Mean[u] {
			t.Fatalf("mean: code %d unit %d = %g, want the mean %g", i/D, u, m, st.Mean[u])
		}
		if r <= st.Low[u] || r >= st.High[u] {
			continue // clipped: z is not known
		}
		inside++
		z := (float64(r) - float64(st.Mean[u])) / float64(st.Std[u])
		want := clip(z, u)
		if want == float64(st.Low[u]) {
			atLow++
		}
		if got := float64(codes["normal"][i]); math.Abs(got-want) > 1e-5 {
			t.Fatalf("normal: code %d unit %d = %g, want clip(z) = %g (z = %g from the random start %g)", i/D, u, got, want, z, r)
		}
	}
	if inside < len(codes["random"])/2 || atLow == 0 || atLow == inside {
		t.Fatalf("%d of %d random starts inside the range, %d of them with z below the low bound: the check saw too few of each", inside, len(codes["random"]), atLow)
	}
}

// TestCodeGPUvsCPU runs DGN-AM and PPGN for 4 steps on the GPU and on the
// CPU backend from the same seed: the codes and the objectives agree.
func TestCodeGPUvsCPU(t *testing.T) {
	d := gputest.Device(t)
	p, desc, gen := smallGenerative(t)
	ctx := context.Background()
	for _, param := range []string{"dgn", "ppgn"} {
		cfg := Config{Param: param, Steps: 4, Seed: 2, LR: 0.1, Code: CodeConfig{Generator: gen, Decay: 1e-2, Jitter: 1},
			Langevin: Langevin{Eps1: 0.1, Eps2: 2, Eps3: 0.3}}
		objs := []Objective{LogSoftmax(1), Logit(2).Plus(Channel("fc1", 3))}
		g, c := renderers(t, d, p, desc, objs, cfg)
		for range cfg.Steps {
			if err := g.Step(); err != nil {
				t.Fatal(err)
			}
			if err := c.Step(); err != nil {
				t.Fatal(err)
			}
		}
		hg, err := g.Codes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hc, err := c.Codes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		og, _ := g.Objectives(ctx)
		oc, _ := c.Objectives(ctx)
		for i := range og {
			for s := range og[i] {
				if math.Abs(og[i][s]-oc[i][s]) > 1e-4*(1+math.Abs(oc[i][s])) {
					t.Errorf("%s image %d step %d: objective %g on the gpu, %g on the cpu", param, i, s, og[i][s], oc[i][s])
				}
			}
		}
		e := relErr(hg, hc)
		t.Logf("%s: codes after %d steps, gpu vs cpu rel err %.3g", param, cfg.Steps, e)
		if e > 1e-4 {
			t.Errorf("%s: codes differ, gpu vs cpu rel err %.3g", param, e)
		}
		g.Release()
		c.Release()
	}
}

const bundledMNIST = "../models/bundled/mnist"

// TestBundledDGN runs DGN-AM for a few steps on the bundled MNIST
// classifier with its generator: the class's log-probability rises for
// every class; and the generator's forward and backward passes agree on
// the GPU and the CPU backends.
func TestBundledDGN(t *testing.T) {
	ctx := context.Background()
	m, err := models.LoadDir(bundledMNIST)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := models.LoadDescriptor(ctx, models.Dir(bundledMNIST), m)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := models.LoadGenerative(ctx, models.Dir(bundledMNIST), desc, m)
	if err != nil {
		t.Fatal(err)
	}
	p, err := models.Lower(m)
	if err != nil {
		t.Fatal(err)
	}
	d := gputest.Device(t)
	var objs []Objective
	for c := range 10 {
		objs = append(objs, LogSoftmax(c))
	}
	r, err := NewRenderer(d, p, desc, objs, Config{Param: "dgn", Steps: 8, LR: 0.1, Seed: 1, Code: CodeConfig{Generator: gen, Decay: 1e-3, Init: "mean"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	for range 8 {
		if err := r.Step(); err != nil {
			t.Fatal(err)
		}
	}
	curves, err := r.Objectives(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for c, v := range curves {
		if !(v[len(v)-1] > v[0]) {
			t.Errorf("class %d: log p %.4f -> %.4f did not rise in 8 steps", c, v[0], v[len(v)-1])
		}
	}
	t.Logf("class 3: log p %.4f -> %.4f", curves[3][0], curves[3][7])

	// The generator alone, GPU vs CPU, on the mean code and a random seed.
	out, err := gen.G.Node(gen.G.Model.Output.Name)
	if err != nil {
		t.Fatal(err)
	}
	seed := make([]float32, 28*28)
	for i := range seed {
		seed[i] = float32(math.Sin(float64(i)))
	}
	var imgs, grads [2][]float32
	for i, be := range []string{"gpu", "cpu"} {
		s, err := models.NewSession(gen.G, be, d, []*models.Node{out}, true)
		if err != nil {
			t.Fatal(err)
		}
		o, err := s.Forward(gen.Code.Mean)
		if err != nil {
			t.Fatal(err)
		}
		imgs[i] = o[0]
		if grads[i], err = s.InputGrad([][]float32{seed}); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	if e := relErr(imgs[0], imgs[1]); e > 1e-5 {
		t.Errorf("generator image gpu vs cpu: rel err %.3g", e)
	}
	if e := relErr(grads[0], grads[1]); e > 1e-4 {
		t.Errorf("generator code gradient gpu vs cpu: rel err %.3g", e)
	}
}

// TestSampleRefines checks PPGN's Sample with CodeConfig.Refine: the
// refined images agree on the GPU and the CPU backends, differ from the
// chain's own images, and the chain's codes are put back afterwards.
//
// With RefineShifts K > 1 each refinement step averages the class term over
// K shifts: the GPU must agree with the CPU, and the sample must differ
// from the one-shift refinement from the same chain state (the shifts
// really are averaged, not one of them taken). With PixelNoise the chain's
// and the refinement's noisy steps agree on both backends too, and the
// refinement's draws leave the chain's as they were.
func TestSampleRefines(t *testing.T) {
	d := gputest.Device(t)
	p, desc, gen := smallGenerative(t)
	var oneShift []float32 // the GPU sample with RefineShifts 0, for the K = 3 case
	for _, c := range []struct {
		shifts int
		noise  float64
	}{{0, 0}, {3, 0}, {0, 0.2}} {
		t.Run(fmt.Sprintf("shifts=%d,noise=%g", c.shifts, c.noise), func(t *testing.T) {
			s := sampleRefines(t, d, p, desc, gen, c.shifts, c.noise)
			switch {
			case c.noise > 0:
			case c.shifts == 0:
				oneShift = s
			case oneShift != nil:
				if e := relErr(s, oneShift); e < 1e-3 {
					t.Errorf("the sample averaged over %d shifts is the one-shift sample (rel diff %.3g)", c.shifts, e)
				}
			}
		})
	}
	// Without shifts (Jitter 0) the K gradients are equal, so their
	// average is the one gradient: the same sample as RefineShifts 0.
	var still [2][]float32
	for i, shifts := range []int{0, 3} {
		cfg := Config{Param: "ppgn", Steps: 2, Seed: 3, Code: CodeConfig{Generator: gen, Refine: 3, RefineShifts: shifts},
			Langevin: Langevin{Eps1: 0.1, Eps2: 2, Eps3: 0.3}}
		r, err := NewRenderer(d, p, desc, []Objective{LogSoftmax(1), LogSoftmax(3)}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Release()
		for range cfg.Steps {
			if err := r.Step(); err != nil {
				t.Fatal(err)
			}
		}
		if still[i], err = r.Sample(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if e := relErr(still[1], still[0]); e > 1e-5 {
		t.Errorf("jitter 0: the sample averaged over 3 equal gradients differs from the one-gradient sample (rel err %.3g)", e)
	}
}

// sampleRefines runs TestSampleRefines's checks with RefineShifts shifts
// and PixelNoise noise, and returns the GPU's sample.
func sampleRefines(t *testing.T, d *gpu.Device, p *models.Plan, desc *models.Descriptor, gen *models.Generative, shifts int, noise float64) []float32 {
	ctx := context.Background()
	cfg := Config{Param: "ppgn", Steps: 4, Seed: 3, Code: CodeConfig{Generator: gen, Jitter: 1, Refine: 3, RefineShifts: shifts, PixelNoise: noise},
		Langevin: Langevin{Eps1: 0.1, Eps2: 2, Eps3: 0.3}}
	objs := []Objective{LogSoftmax(1), LogSoftmax(3)}
	g, c := renderers(t, d, p, desc, objs, cfg)
	defer g.Release()
	defer c.Release()
	var samples [2][]float32
	for _, step := range []func() error{g.Step, c.Step} {
		for range 2 {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
	}
	type engine interface {
		Codes(context.Context) ([]float32, error)
		Images(context.Context) ([]float32, error)
		Sample(context.Context) ([]float32, error)
	}
	for i, e := range []engine{g, c} {
		before, err := e.Codes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		chain, err := e.Images(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if samples[i], err = e.Sample(ctx); err != nil {
			t.Fatal(err)
		}
		after, err := e.Codes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(before, after) {
			t.Errorf("engine %d: the chain's codes changed across Sample", i)
		}
		if e := relErr(samples[i], chain); e < 1e-3 {
			t.Errorf("engine %d: the refined sample is the chain's image (rel diff %.3g)", i, e)
		}
	}
	if e := relErr(samples[0], samples[1]); e > 1e-4 {
		t.Errorf("refined samples: gpu vs cpu rel err %.3g", e)
	}
	// The chain goes on as if it had never been sampled: the same codes as
	// a twin that took the same steps without Sample.
	twin, err := NewRenderer(d, p, desc, objs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer twin.Release()
	for range 2 {
		if err := twin.Step(); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*Renderer{g, twin} {
		for range 2 {
			if err := r.Step(); err != nil {
				t.Fatal(err)
			}
		}
	}
	hg, err1 := g.Codes(ctx)
	ht, err2 := twin.Codes(ctx)
	if err := firstErr(err1, err2); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hg, ht) {
		t.Errorf("the sampled chain's codes differ from its unsampled twin's (rel err %.3g)", relErr(hg, ht))
	}
	return samples[0]
}

// TestClassStepMax checks PPGN's cap on the class term's step
// (CodeConfig.ClassStepMax): with no prior and no noise one step from the
// mean code moves each code by exactly the cap, ClassStepMax·σ (σ the norm
// of the code statistics' std), where the uncapped step is larger; and a
// capped chain with prior, noise, shifts and Sample's refinement gives the
// same codes and sample on the GPU as on the CPU backend, and other codes
// than the uncapped chain.
func TestClassStepMax(t *testing.T) {
	d := gputest.Device(t)
	p, desc, gen := smallGenerative(t)
	ctx := context.Background()
	objs := []Objective{LogSoftmax(1), LogSoftmax(3)}
	sigma := 0.0
	for _, s := range gen.Code.Std {
		sigma += float64(s) * float64(s)
	}
	sigma = math.Sqrt(sigma)
	const capMult = 0.02
	D := len(gen.Code.Std)
	// One step, class term only: the step's norm is the cap.
	oneStep := func(capped float64) ([]float32, []float32) {
		cfg := Config{Param: "ppgn", Steps: 1, Seed: 5, Code: CodeConfig{Generator: gen, Init: "mean", ClassStepMax: capped},
			Langevin: Langevin{Eps2: 20}}
		r, err := NewRenderer(d, p, desc, objs, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Release()
		h0, err := r.Codes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Step(); err != nil {
			t.Fatal(err)
		}
		h1, err := r.Codes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return h0, h1
	}
	stepNorms := func(h0, h1 []float32) []float64 {
		var n []float64
		for i := 0; i < len(h0); i += D {
			s := 0.0
			for u := i; u < i+D; u++ {
				s += float64(h1[u]-h0[u]) * float64(h1[u]-h0[u])
			}
			n = append(n, math.Sqrt(s))
		}
		return n
	}
	free, capped := stepNorms(oneStep(0)), stepNorms(oneStep(capMult))
	for i := range free {
		want := capMult * sigma
		if free[i] <= 2*want {
			t.Fatalf("code %d: the uncapped step %.4g is not above the cap %.4g: the case tests nothing", i, free[i], want)
		}
		if math.Abs(capped[i]-want) > 1e-4*want {
			t.Errorf("code %d: capped step %.6g, want %.6g (uncapped %.4g)", i, capped[i], want, free[i])
		}
	}
	// The whole chain with its refinement, GPU against CPU.
	cfg := Config{Param: "ppgn", Steps: 3, Seed: 3, Code: CodeConfig{Generator: gen, Jitter: 1, Refine: 3, ClassStepMax: 0.1},
		Langevin: Langevin{Eps1: 0.1, Eps2: 20, Eps3: 0.05}}
	g, c := renderers(t, d, p, desc, objs, cfg)
	defer g.Release()
	defer c.Release()
	uncfg := cfg
	uncfg.Code.ClassStepMax = 0
	u, err := NewRenderer(d, p, desc, objs, uncfg)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Release()
	for range cfg.Steps {
		for _, step := range []func() error{g.Step, c.Step, u.Step} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
	}
	hg, err1 := g.Codes(ctx)
	hc, err2 := c.Codes(ctx)
	hu, err3 := u.Codes(ctx)
	sg, err4 := g.Sample(ctx)
	sc, err5 := c.Sample(ctx)
	su, err6 := u.Sample(ctx)
	if err := firstErr(err1, err2, err3, err4, err5, err6); err != nil {
		t.Fatal(err)
	}
	if e := relErr(hg, hc); e > 1e-4 {
		t.Errorf("capped chain: codes gpu vs cpu rel err %.3g", e)
	}
	if e := relErr(sg, sc); e > 1e-4 {
		t.Errorf("capped chain: refined samples gpu vs cpu rel err %.3g", e)
	}
	if e := relErr(hg, hu); e < 1e-3 {
		t.Errorf("the capped chain's codes are the uncapped chain's (rel diff %.3g): the cap did not bind", e)
	}
	if e := relErr(sg, su); e < 1e-3 {
		t.Errorf("the capped sample is the uncapped one (rel diff %.3g): the cap did not bind in the refinement", e)
	}
}

// TestRefineTemperature checks a tempered refinement step of its own size
// (CodeConfig.RefineTemperature, RefineStep) against the sessions' forward
// and backward passes (models' CPU reference): from the mean code, one
// step of h ← h + ε·∂[T·log softmax(z/T)_c]/∂h, the
// gradient being Jᵀ(onehot(c) − softmax(z/T)), then G(h). It runs on the
// GPU and the CPU backends, and checks that the temperature changes the
// sample (the case would pass with T ignored otherwise), and that with
// shifts (CodeConfig.Jitter) RefineUnshifted's steps see G(h) unshifted.
func TestRefineTemperature(t *testing.T) {
	d := gputest.Device(t)
	p, desc, gen := smallGenerative(t)
	ctx := context.Background()
	gs, cs := cpuSessions(t, p, gen)
	const eps2 = 0.5
	classes := []int{1, 3}
	// want returns the refined images (RGB, as Sample) for temperature T.
	want := func(T float64) []float32 {
		var out []float32
		for _, c := range classes {
			h := slices.Clone(gen.Code.Mean)
			img, err := gs.Forward(h)
			if err != nil {
				t.Fatal(err)
			}
			lg, err := cs.Forward(img[0])
			if err != nil {
				t.Fatal(err)
			}
			seed, _ := logSoftmaxSeed(lg[0], c, T)
			dimg, err := cs.InputGrad([][]float32{seed})
			if err != nil {
				t.Fatal(err)
			}
			dh, err := gs.InputGrad([][]float32{dimg})
			if err != nil {
				t.Fatal(err)
			}
			for u := range h {
				h[u] -= eps2 * dh[u]
				if h[u] < gen.Code.Low[u] || h[u] > gen.Code.High[u] {
					t.Fatalf("class %d, T %g: unit %d's step leaves the clipping range: the case would test the clipping", c, T, u)
				}
			}
			img, err = gs.Forward(h)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, greyToRGB(img[0], 1)...)
		}
		return out
	}
	const T = 4
	plain, tempered := want(1), want(T)
	if e := relErr(tempered, plain); e < 1e-3 {
		t.Fatalf("T %d and T 1 give the same refined images (rel diff %.3g): the case tests nothing", T, e)
	}
	objs := []Objective{LogSoftmax(classes[0]), LogSoftmax(classes[1])}
	// The chain's ε2 differs: the refinement's step is RefineStep's.
	cfg := Config{Param: "ppgn", Steps: 1, Seed: 2, Code: CodeConfig{Generator: gen, Init: "mean", Refine: 1, RefineTemperature: T, RefineStep: eps2},
		Langevin: Langevin{Eps2: 7 * eps2}}
	type sampler interface {
		Sample(context.Context) ([]float32, error)
		Release()
	}
	// With shifts (Jitter 2) the one step is unshifted where
	// RefineUnshifted covers it, so it is the reference's; where it does
	// not, a shifted image's gradient gives another sample.
	shifted, unshifted := cfg, cfg
	shifted.Code.Jitter, unshifted.Code.Jitter, unshifted.Code.RefineUnshifted = 2, 2, 1
	for _, tc := range []struct {
		name string
		cfg  Config
		same bool // the reference's sample, or another
	}{
		{"unshifted", cfg, true},
		{"jitter 2, last step unshifted", unshifted, true},
		{"jitter 2", shifted, false},
	} {
		for _, be := range []string{"gpu", "cpu"} {
			t.Run(tc.name+"/"+be, func(t *testing.T) {
				var r sampler
				var err error
				if be == "gpu" {
					r, err = NewRenderer(d, p, desc, objs, tc.cfg)
				} else {
					r, err = NewCPURenderer(p, desc, objs, tc.cfg)
				}
				if err != nil {
					t.Fatal(err)
				}
				defer r.Release()
				got, err := r.Sample(ctx)
				if err != nil {
					t.Fatal(err)
				}
				switch e := relErr(got, tempered); {
				case tc.same && e > 1e-4:
					t.Errorf("refined at T %d: rel err %.3g against the reference (against T 1's: %.3g)", T, e, relErr(got, plain))
				case !tc.same && e < 1e-3:
					t.Errorf("refined from a shifted image: rel diff %.3g from the unshifted reference, want a different sample", e)
				}
			})
		}
	}
	bad := cfg
	bad.Code.RefineTemperature = -1
	if _, err := NewCPURenderer(p, desc, objs, bad); err == nil || !strings.Contains(err.Error(), "refine temperature -1") {
		t.Errorf("refine temperature -1: got %v, want an error naming it", err)
	}
}
