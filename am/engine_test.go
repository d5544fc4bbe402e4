package am

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/gputest"
	"github.com/hubelviz/hubel/gpu/ref"
	"github.com/hubelviz/hubel/models"
)

// tinyNet is a small fully convolutional classifier (conv, depthwise,
// batch norm, ReLU6, 1×1 conv, global pooling, dense softmax) with random
// weights: quick on both backends.
func tinyNet(t *testing.T) (*models.Plan, *models.Descriptor) { return tinyNetHead(t, false) }

// tinyNetHead is tinyNet, with a Flatten instead of the global pooling when
// flatten is set (a model that only takes its own input size).
func tinyNetHead(t *testing.T, flatten bool) (*models.Plan, *models.Descriptor) {
	t.Helper()
	return tinyNetOf(t, flatten, 3)
}

// tinyNetOf is tinyNetHead for images of ch channels (1: grey).
func tinyNetOf(t *testing.T, flatten bool, ch int) (*models.Plan, *models.Descriptor) {
	t.Helper()
	type L = map[string]any
	layer := func(class, name string, cfg L, in string) L {
		cfg["name"] = name
		inb := []any{}
		if in != "" {
			inb = []any{[]any{[]any{in, 0, 0, L{}}}}
		}
		return L{"class_name": class, "name": name, "config": cfg, "inbound_nodes": inb}
	}
	layers := []any{
		layer("InputLayer", "in", L{"batch_input_shape": []any{nil, 16, 16, ch}}, ""),
		layer("Conv2D", "c1", L{"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same", "use_bias": true}, "in"),
		layer("ReLU", "c1_relu", L{"max_value": 6}, "c1"),
		layer("DepthwiseConv2D", "dw", L{"kernel_size": 3, "padding": "same", "use_bias": false}, "c1_relu"),
		layer("BatchNormalization", "dw_bn", L{"epsilon": 0.001}, "dw"),
		layer("ReLU", "dw_relu", L{"max_value": 6}, "dw_bn"),
		layer("Conv2D", "pw", L{"filters": 12, "kernel_size": 1, "activation": "relu"}, "dw_relu"),
		layer("GlobalAveragePooling2D", "gap", L{}, "pw"),
		layer("Dense", "logits", L{"units": 10, "activation": "softmax"}, "gap"),
	}
	features := 12
	if flatten {
		layers[7] = layer("Flatten", "gap", L{}, "pw")
		features = 8 * 8 * 12
	}
	topo := L{"model_config": L{"class_name": "Model", "config": L{"name": "tiny", "layers": layers,
		"input_layers": []any{[]any{"in", 0, 0}}, "output_layers": []any{[]any{"logits", 0, 0}}}}}
	weights := []struct {
		name  string
		shape []int
	}{
		{"c1/kernel", []int{3, 3, ch, 8}}, {"c1/bias", []int{8}},
		{"dw/depthwise_kernel", []int{3, 3, 8, 1}},
		{"dw_bn/gamma", []int{8}}, {"dw_bn/beta", []int{8}}, {"dw_bn/moving_mean", []int{8}}, {"dw_bn/moving_variance", []int{8}},
		{"pw/kernel", []int{1, 1, 8, 12}}, {"pw/bias", []int{12}},
		{"logits/kernel", []int{features, 10}}, {"logits/bias", []int{10}},
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var specs []any
	var data []byte
	for _, w := range weights {
		specs = append(specs, L{"name": w.name, "shape": w.shape, "dtype": "float32"})
		n := 1
		for _, d := range w.shape {
			n *= d
		}
		for range n {
			v := float32(rng.NormFloat64() * 0.5)
			if w.name == "dw_bn/moving_variance" {
				v = float32(0.5 + rng.Float64())
			}
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
	}
	doc, err := json.Marshal(L{"modelTopology": topo, "weightsManifest": []any{L{"paths": []string{"w.bin"}, "weights": specs}}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.Load(context.Background(), models.Files{"model.json": doc, "w.bin": data})
	if err != nil {
		t.Fatal(err)
	}
	p, err := models.Lower(m)
	if err != nil {
		t.Fatal(err)
	}
	desc := models.InferDescriptor(m)
	desc.Input.Range = [2]float64{-1, 1}
	return p, &desc
}

// run steps an engine and returns its images and objective curves.
func run[Buf, Op any](t *testing.T, e *Engine[Buf, Op], steps int) ([]float32, [][]float64) {
	t.Helper()
	for range steps {
		if err := e.Step(); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	curves, err := e.Objectives(ctx)
	if err != nil {
		t.Fatal(err)
	}
	img, err := e.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return img, curves
}

// maxRel is max|a−b| / max|b|.
func maxRel(a, b []float64) float64 {
	num, den := 0.0, 1e-30
	for i := range b {
		num = math.Max(num, math.Abs(a[i]-b[i]))
		den = math.Max(den, math.Abs(b[i]))
	}
	if math.IsNaN(num) {
		return math.Inf(1)
	}
	return num / den
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

var ()

// TestGPUvsCPU runs the same render on both backends for 8 steps: the
// images and every step's objective values agree within 1e-3 (relative to
// their largest magnitude).
func TestGPUvsCPU(t *testing.T) {
	d := gputest.Device(t)
	p, desc := tinyNet(t)
	dir := make([]float32, 12)
	for i := range dir {
		dir[i] = float32(i%3) - 1
	}
	objs := []Objective{
		Channel("pw", 5).Plus(Diversity("pw").Scale(0.5)),
		Neuron("c1_relu", 1, -1, -1).Minus(TV().Scale(0.5)),
		LogSoftmax(4).Minus(L2().Scale(0.3)).Plus(Diversity("dw_relu")),
		DeepDream("pw").Plus(Direction("pw", dir)).Minus(L1().Scale(0.1)),
	}
	for _, cfg := range []Config{
		{Size: 16, Steps: 8, Seed: 1},
		{Size: 16, Steps: 8, Seed: 2, Param: "pixel", Transforms: "jitter:3", Optimizer: "sgd", Momentum: 0.9, LR: 0.5,
			GradBlur: 1, CenterBias: 0.4, BlurEvery: 3, BlurSigma: 0.5, ClipPercentile: 20},
		{Size: 16, Steps: 8, Seed: 3, Param: "pixel", Transforms: "none", Sampler: "langevin",
			Langevin: Langevin{Eps1: 0.1, Eps2: 2, Eps3: 0.01}},
	} {
		g, err := NewRenderer(d, p, desc, objs, cfg)
		if err != nil {
			t.Fatal(err)
		}
		gi, gc := run(t, g, cfg.Steps)
		g.Release()
		c, err := NewCPURenderer(p, desc, objs, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ci, cc := run(t, c, cfg.Steps)
		e := maxRel(f64(gi), f64(ci))
		for i := range cc {
			e = math.Max(e, maxRel(gc[i], cc[i]))
		}
		t.Logf("param %s, transforms %s, sampler %q: gpu vs cpu max rel diff %.3g over %d steps; objectives %.4g → %.4g, %.4g → %.4g",
			cfg.Param, cfg.Transforms, cfg.Sampler, e, cfg.Steps, cc[0][0], cc[0][cfg.Steps-1], cc[1][0], cc[1][cfg.Steps-1])
		if e > 1e-3 {
			t.Errorf("%+v: gpu and cpu differ by %.3g (rel)", cfg, e)
		}
	}
}

// TestTermsRaise runs each new term and option for a few steps on the
// small model: its objective rises; the run makes one submit per step and
// reads nothing back; the same seed gives the same image bit for bit.
func TestTermsRaise(t *testing.T) {
	d := gputest.Device(t)
	p, desc := tinyNet(t)
	dir := make([]float32, 12)
	for i := range dir {
		dir[i] = float32(i%4) - 1.5
	}
	base := Config{Size: 16, Steps: 10, Seed: 4, Param: "pixel", Transforms: "jitter:2"}
	with := func(f func(*Config)) Config { c := base; f(&c); return c }
	cases := []struct {
		obj Objective
		cfg Config
	}{
		{Direction("pw", dir), base},
		{Channel("pw", 7).Minus(L1().Scale(5)), with(func(c *Config) { c.Init = "random" })},
		{L2().Scale(-20).Plus(Channel("pw", 7).Scale(0.01)), with(func(c *Config) { c.Init = "mean" })},
		{TV().Scale(-100).Plus(Channel("pw", 7).Scale(0.01)), with(func(c *Config) { c.Optimizer, c.LR = "sgd", 5 })},
		{Channel("pw", 7), with(func(c *Config) { c.Optimizer, c.Momentum, c.LR = "sgd", 0.9, 1 })},
		{Channel("pw", 7), with(func(c *Config) { c.GradBlur, c.CenterBias, c.BlurEvery, c.BlurSigma, c.Init = 1, 0.3, 4, 0.5, "grey" })},
		{Channel("pw", 7), with(func(c *Config) { c.ClipPercentile = 30 })},
		{Diversity("pw"), base}, // a batch of 3: see below
		{LogSoftmax(3), with(func(c *Config) {
			c.Sampler, c.Langevin, c.Transforms = "langevin", Langevin{Eps1: 0.01, Eps2: 20, Eps3: 0.001}, "none"
		})},
	}
	for _, c := range cases {
		var imgs [2][]float32
		var curve []float64
		for k := range imgs {
			objs := []Objective{c.obj}
			if c.obj.Terms[0].Kind == KindDiversity {
				objs = []Objective{c.obj, c.obj, c.obj}
			}
			r, err := NewRenderer(d, p, desc, objs, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			settle(t, d, r)
			before := gpu.ReadStats()
			for range c.cfg.Steps {
				if err := r.Step(); err != nil {
					t.Fatal(err)
				}
			}
			after := gpu.ReadStats()
			if n := after.Submits - before.Submits; n != int64(c.cfg.Steps) {
				t.Errorf("%s: %d submits for %d steps", c.obj, n, c.cfg.Steps)
			}
			if n := after.Readbacks - before.Readbacks; n != 0 {
				t.Errorf("%s: %d read-backs during the steps", c.obj, n)
			}
			curves, err := r.Objectives(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if imgs[k], err = r.Images(context.Background()); err != nil {
				t.Fatal(err)
			}
			r.Release()
			curve = curves[0]
		}
		first, last := curve[0], curve[len(curve)-1]
		t.Logf("%s (%s %s %s): %.4g → %.4g", c.obj, c.cfg.Optimizer, c.cfg.Sampler, c.cfg.Init, first, last)
		if !(last > first+1e-3*math.Abs(first)) {
			t.Errorf("%s with %+v: objective %.4g → %.4g did not rise", c.obj, c.cfg, first, last)
		}
		for i := range imgs[0] {
			if math.Float32bits(imgs[0][i]) != math.Float32bits(imgs[1][i]) {
				t.Errorf("%s: same seed, different image at %d: %v vs %v", c.obj, i, imgs[0][i], imgs[1][i])
				break
			}
		}
	}
}

// TestGradientsFD checks the loss gradient of every term, through the
// whole CPU chain (colour decorrelation, sigmoid, network, image terms),
// against central finite differences of the batch's total objective (the
// diversity term couples the images): with SGD at learning rate ~0 a step
// leaves the pixels alone and records the values.
func TestGradientsFD(t *testing.T) {
	p, desc := tinyNet(t)
	dir := make([]float32, 12)
	for i := range dir {
		dir[i] = float32(i%4) - 1.5
	}
	objs := []Objective{
		Direction("pw", dir).Plus(L1().Scale(3)),
		Channel("pw", 7).Minus(L2().Scale(2)).Plus(Diversity("pw").Scale(2)),
		DeepDream("dw_relu").Minus(TV().Scale(4)).Plus(Diversity("pw")),
		LogSoftmax(2).Plus(Neuron("c1_relu", 2, -1, -1)),
	}
	const probes = 5
	cfg := Config{Size: 12, Steps: 1 + 2*probes*len(objs), Seed: 9, Param: "pixel", Transforms: "none", Optimizer: "sgd", LR: 1e-30}
	r, err := NewCPURenderer(p, desc, objs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	total := func() float64 { // the last step's total objective, in float64
		if err := r.Step(); err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		G, s := len(r.groups), r.step-1
		for i := range objs {
			for k, g := range r.groups {
				sum += g.weights[i] * g.scale * r.history[(s*G+k)*len(objs)+i]
			}
		}
		return sum
	}
	total()
	grad := append([]float64(nil), r.dt...) // ∂loss/∂t = −∂objective/∂t
	rng := rand.New(rand.NewPCG(3, 3))
	per := 12 * 12 * 3
	const h = 1e-5
	for img := range objs {
		for range probes {
			j := img*per + rng.IntN(per)
			r.t[j] += h
			plus := total()
			r.t[j] -= 2 * h
			minus := total()
			r.t[j] += h
			fd := (plus - minus) / (2 * h)
			if an := -grad[j]; math.Abs(fd-an) > 1e-4*math.Max(1, math.Abs(fd))+1e-7 {
				t.Errorf("image %d (%s): ∂objective/∂pixel %d: analytic %.6g, finite differences %.6g", img, objs[img], j%per, an, fd)
			}
		}
	}
}

// TestFixedSizeModel renders on a model with a Flatten: it cannot run at
// the transforms' size, so the network keeps its own input size and the
// transforms' output is stretched onto it.
func TestFixedSizeModel(t *testing.T) {
	d := gputest.Device(t)
	p, desc := tinyNetHead(t, true)
	r, err := NewRenderer(d, p, desc, []Objective{LogSoftmax(3)}, Config{Size: 24, Steps: 6, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if h, w := r.NetworkSize(); h != 16 || w != 16 {
		t.Errorf("network input %d×%d, want the model's 16×16", h, w)
	}
	_, c := run(t, r, 6)
	if !(c[0][5] > c[0][0]) {
		t.Errorf("logsoftmax:3 %.4g → %.4g did not rise", c[0][0], c[0][5])
	}
}

// TestCPUSpectral checks the CPU backend's separable Fourier image against
// gpu/ref's direct sum, forward and backward, for even and odd sizes.
func TestCPUSpectral(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, s := range []gpu.SpectralShape{{B: 2, C: 3, H: 6, W: 8, Decay: 1, OutScale: 0.25}, {B: 1, C: 3, H: 7, W: 5, Decay: 1.5, OutScale: 1},
		{B: 1, C: 1, H: 24, W: 10, Decay: 1, OutScale: 0.25}, {B: 1, C: 2, H: 45, W: 9, Decay: 1, OutScale: 0.25}} {
		spec, dimg := make([]float64, s.SpectrumLen()), make([]float64, s.B*s.H*s.W*s.C)
		for _, v := range [][]float64{spec, dimg} {
			for i := range v {
				v[i] = rng.NormFloat64()
			}
		}
		img, dspec := make([]float64, len(dimg)), make([]float64, len(spec))
		fwd, back, err := CPUBackend{}.Spectral(s, spec, img, dimg, dspec)
		if err != nil {
			t.Fatal(err)
		}
		fwd()
		back()
		if e := maxRel(img, ref.SpectralImage(spec, s.B, s.C, s.H, s.W, s.Decay, s.OutScale)); e > 1e-12 {
			t.Errorf("%+v: image differs from gpu/ref by %.3g", s, e)
		}
		if e := maxRel(dspec, ref.SpectralImageBackward(dimg, s.B, s.C, s.H, s.W, s.Decay, s.OutScale)); e > 1e-12 {
			t.Errorf("%+v: spectrum gradient differs from gpu/ref by %.3g", s, e)
		}
	}
}

// TestMeanInit checks the pixel starts: "mean" is the descriptor's mean
// colour at every pixel (ImageNet's when it has none), "grey" is 0.5.
func TestMeanInit(t *testing.T) {
	p, desc := tinyNet(t)
	for _, c := range []struct {
		init string
		mean [3]float64
		want [3]float64
	}{
		{"mean", [3]float64{0.2, 0.5, 0.7}, [3]float64{0.2, 0.5, 0.7}},
		{"mean", [3]float64{}, [3]float64{0.485, 0.456, 0.406}},
		{"grey", [3]float64{0.2, 0.5, 0.7}, [3]float64{0.5, 0.5, 0.5}},
	} {
		dd := *desc
		dd.Input.Mean = c.mean
		r, err := NewCPURenderer(p, &dd, []Objective{Channel("pw", 1)}, Config{Size: 8, Steps: 1, Param: "pixel", Init: c.init})
		if err != nil {
			t.Fatal(err)
		}
		img, err := r.Images(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range img {
			if math.Abs(float64(v)-c.want[i%3]) > 1e-6 {
				t.Fatalf("init %s, descriptor mean %v: pixel value %v at %d, want %v", c.init, c.mean, v, i, c.want[i%3])
			}
		}
	}
}

// TestInitialImage checks the first frame, which the GPU renderer reads
// back while it prepares the network: at step 0 it is the CPU renderer's
// initial image (the oracle), the same as a later read of the same state,
// and after a step Images shows the new image, not the kept first one.
// Preview, without the model, gives the renderer's initial image bit for
// bit on the GPU, and the CPU renderer's on the CPU; so does PreviewModel,
// given the model's descriptor alone (its channels and mean colour).
func TestInitialImage(t *testing.T) {
	d := gputest.Device(t)
	objs := []Objective{Channel("pw", 5), Channel("pw", 2)}
	for _, c := range []struct {
		cfg       Config
		channels  int
		modelMean [3]float64 // the descriptor's mean colour
	}{
		{Config{Size: 16, Steps: 2, Seed: 4}, 3, [3]float64{}},
		{Config{Size: 16, Steps: 2, Seed: 5, Param: "pixel", Init: "mean", Mean: [3]float64{0.3, 0.5, 0.6}, Transforms: "none"}, 3, [3]float64{}},
		{Config{Size: 16, Steps: 2, Seed: 7, Param: "pixel", Init: "mean", Transforms: "none"}, 3, [3]float64{0.2, 0.7, 0.4}},
		{Config{Size: 16, Steps: 2, Seed: 6}, 1, [3]float64{}},
	} {
		cfg := c.cfg
		p, desc := tinyNetOf(t, false, c.channels)
		desc.Input.Mean = c.modelMean
		g, err := NewRenderer(d, p, desc, objs, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		first, err := g.Images(ctx)
		if err != nil {
			t.Fatal(err)
		}
		again, err := g.Images(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Step(); err != nil {
			t.Fatal(err)
		}
		stepped, err := g.Images(ctx)
		if err != nil {
			t.Fatal(err)
		}
		g.Release()
		cr, err := NewCPURenderer(p, desc, objs, cfg)
		if err != nil {
			t.Fatal(err)
		}
		want, err := cr.Images(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Preview takes no descriptor: it is given the mean colour a
		// renderer takes from the model.
		pcfg := cfg
		if pcfg.Mean == [3]float64{} {
			pcfg.Mean = c.modelMean
		}
		gp, err := Preview(ctx, Backend[*gpu.Buffer, gpu.Op](NewGPUBackend(d)), pcfg, len(objs), c.channels)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := Preview(ctx, Backend[[]float64, func()](CPUBackend{}), pcfg, len(objs), c.channels)
		if err != nil {
			t.Fatal(err)
		}
		mp, err := PreviewModel(ctx, Backend[[]float64, func()](CPUBackend{}), desc, cfg, len(objs))
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != len(want) || len(gp) != len(want) || len(cp) != len(want) || len(mp) != len(want) {
			t.Fatalf("%+v: %d, %d (GPU preview), %d (CPU preview), %d (PreviewModel) values, want %d", cfg, len(first), len(gp), len(cp), len(mp), len(want))
		}
		for _, e := range []struct {
			what string
			got  []float32
			want []float32
			tol  float64
		}{
			{"the first frame vs the CPU renderer's initial image", first, want, 1e-4},
			{"a second read of the initial image vs the first frame", again, first, 0},
			{"the GPU preview vs the first frame", gp, first, 0},
			{"the CPU preview vs the CPU renderer's initial image", cp, want, 0},
			{"PreviewModel vs the CPU renderer's initial image", mp, want, 0},
		} {
			if d := maxRel(f64(e.got), f64(e.want)); d > e.tol {
				t.Errorf("%+v, %d channels: %s: differ by %.3g (rel)", cfg, c.channels, e.what, d)
			}
		}
		if e := maxRel(f64(stepped), f64(first)); e == 0 {
			t.Errorf("%+v: after a step Images still shows the initial image", cfg)
		}
	}
	if _, err := Preview(context.Background(), Backend[[]float64, func()](CPUBackend{}), Config{Param: "dgn"}, 1, 3); err == nil {
		t.Error("Preview of a generator's parameter: no error")
	}
}

// settle waits until r's setup has finished on the GPU, including the
// read-back of the initial image that setup starts in the background (it
// would otherwise land among the read-backs counted during the steps).
func settle(t *testing.T, d *gpu.Device, r *Renderer) {
	t.Helper()
	if _, err := r.Images(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}
