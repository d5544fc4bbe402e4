package am

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

// Config is a render's settings. The zero value of each field means Lucid's
// default (see Defaults) or, for the survey's additions, off.
type Config struct {
	Size  int     // image side in pixels (Lucid's render_vis: 128)
	Steps int     // optimisation steps (512)
	LR    float64 // the optimiser's learning rate (0.05)
	Seed  uint64
	// Param is "fft" (Lucid's Fourier spectrum, decay power 1), "pixel",
	// or, for a model that ships a generator (Code.Generator), "dgn"
	// (DGN-AM: the generator's code is optimised) or "ppgn" (the Langevin
	// sampler of Eq. 11 in code space, step sizes Langevin). See CodeConfig.
	Param string
	// Transforms is "lucid" (pad 12, jitter 8, scale, rotate, jitter 4),
	// "jitter:N" (only a random crop N pixels smaller in each dimension,
	// offsets drawn per image per step) or "none".
	Transforms string
	// RedirectSteps is how many first steps use the redirected ReLU
	// gradient (Lucid: 16).
	RedirectSteps int

	// Optimizer is "adam" (default) or "sgd" (TensorFlow's momentum
	// update with Momentum).
	Optimizer string
	Momentum  float64
	// Init is the pixel parameter's start: "random" (Lucid's N(0, 0.01²)
	// before colour decorrelation, the default), "grey" (every pixel 0.5)
	// or "mean" (the dataset's mean colour, Mean, the survey's mean-image
	// initialisation). The Fourier parameter always starts random.
	Init string
	// Mean is the dataset's mean RGB colour in [0, 1] for Init "mean";
	// zero means the descriptor's (input.mean in hubel.json), else
	// ImageNet's (0.485, 0.456, 0.406).
	Mean [3]float64
	// BlurEvery > 0 blurs the image (pixel parameter) with a Gaussian of
	// BlurSigma pixels after every BlurEvery-th step (the survey's Eq. 5).
	BlurEvery int
	BlurSigma float64
	// GradBlur > 0 blurs the image's gradient with a Gaussian of GradBlur
	// pixels before each update.
	GradBlur float64
	// CenterBias > 0 biases the image changes to the image centre
	// (Nguyen et al. 2016, the survey's §2): the gradient is weighted by
	// exp(−r²/2σ²), r the distance from the centre and σ = CenterBias·Size.
	CenterBias float64
	// ClipPercentile in (0, 100) zeroes, after each step, the pixels whose
	// norm (over colour, from grey) is below that percentile of the image
	// (the survey's "clip pixels with small norm"; pixel parameter).
	ClipPercentile float64

	// Sampler "langevin" replaces the optimiser by the survey's Langevin
	// sampler (its Eq. 11) in pixel space (see Langevin).
	Sampler string
	Langevin

	// Code holds the settings of "dgn" and "ppgn".
	Code CodeConfig
}

// Langevin holds the step sizes of the survey's Eq. 11,
//
//	x ← x + ε1·∂log p(x)/∂x + ε2·∂log p(y=c|x)/∂x + N(0, ε3²),
//
// with the objective's gradient as the class term (use logsoftmax:c) and,
// as the prior p(x), a Gaussian smoothness prior: log p(x) = −TV²(x) + const,
// TV² the sum of squared differences of adjacent pixels (a Gaussian Markov
// random field), so that ∂log p/∂x = −∂TV²/∂x.
type Langevin struct {
	Eps1, Eps2, Eps3 float64
}

// imageNetMean is the mean colour an "init: mean" image takes when neither
// the config nor the model's descriptor gives one.
var imageNetMean = [3]float64{0.485, 0.456, 0.406}

// Defaults returns Lucid's render_vis defaults.
func Defaults() Config {
	return Config{Size: 128, Steps: 512, LR: 0.05, Param: "fft", Transforms: "lucid", RedirectSteps: 16,
		Optimizer: "adam", Init: "random"}
}

func (c Config) withDefaults() Config {
	d := Defaults()
	if c.Size == 0 {
		c.Size = d.Size
	}
	if c.Steps == 0 {
		c.Steps = d.Steps
	}
	if c.LR == 0 {
		c.LR = d.LR
	}
	if c.Param == "" {
		c.Param = d.Param
	}
	if c.Transforms == "" {
		c.Transforms = d.Transforms
	}
	if c.Optimizer == "" {
		c.Optimizer = d.Optimizer
	}
	if c.Init == "" {
		c.Init = d.Init
	}
	return c
}

// check reports the first bad setting.
func (c Config) check() error {
	bad := func(format string, args ...any) error { return fmt.Errorf("am: "+format, args...) }
	switch {
	case c.Size < 8 || c.Size > 2048:
		return bad("size %d: want 8..2048", c.Size)
	case c.Param != "fft" && c.Param != "pixel" && !c.code():
		return bad("param %q: want fft, pixel, dgn or ppgn", c.Param)
	case c.Optimizer != "adam" && c.Optimizer != "sgd":
		return bad("optimizer %q: want adam or sgd", c.Optimizer)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return bad("momentum %v: want 0 ≤ m < 1", c.Momentum)
	case c.Init != "random" && c.Init != "grey" && c.Init != "mean":
		return bad("init %q: want random, grey or mean", c.Init)
	case c.Init != "random" && c.Param != "pixel":
		return bad("init %q needs the pixel parameter", c.Init)
	case c.BlurEvery < 0 || c.BlurEvery > 0 && !(c.BlurSigma > 0 && c.BlurSigma <= 100):
		return bad("blur every %d steps with σ %v: want σ in (0, 100]", c.BlurEvery, c.BlurSigma)
	case c.BlurEvery > 0 && c.Param != "pixel":
		return bad("blurring the image needs the pixel parameter")
	case !(c.GradBlur >= 0 && c.GradBlur <= 100):
		return bad("gradient blur σ %v: want 0..100", c.GradBlur)
	case !(c.CenterBias >= 0) || math.IsInf(c.CenterBias, 0):
		return bad("centre bias %v: want ≥ 0", c.CenterBias)
	case !(c.ClipPercentile >= 0 && c.ClipPercentile < 100):
		return bad("clip percentile %v: want 0 ≤ p < 100", c.ClipPercentile)
	case c.ClipPercentile > 0 && c.Param != "pixel":
		return bad("percentile clipping needs the pixel parameter")
	case c.Sampler != "" && c.Sampler != "langevin":
		return bad("sampler %q: want langevin (or none)", c.Sampler)
	case c.Sampler == "langevin" && c.Param != "pixel":
		return bad("the Langevin sampler runs in pixel space: use the pixel parameter")
	case (c.Sampler == "langevin" || c.Param == "ppgn") && !(c.Eps1 >= 0 && c.Eps2 >= 0 && c.Eps3 >= 0 && !math.IsInf(c.Eps1+c.Eps2+c.Eps3, 0)):
		return bad("langevin step sizes ε1 %v, ε2 %v, ε3 %v: want finite and ≥ 0", c.Eps1, c.Eps2, c.Eps3)
	}
	for i, m := range c.Mean {
		if !(m > 0 && m < 1) {
			return bad("mean colour %v: channel %d is not in (0, 1)", c.Mean, i)
		}
	}
	return nil
}

// group is one reduction over the batch: one (kind, layer, slot) with a
// per-image index and weight (0 for images that do not use it). Image
// terms (l1, l2, tv) have no node.
type group[Buf, Op any] struct {
	kind    Kind
	node    *models.Node
	idx     []float32 // per image: channel, (x, y, c) for neurons, a direction per image
	weights []float64 // per image
	scale   float64   // the value is scale·(what out holds)
	idxBuf  Buf
	dyBuf   Buf // −weight·scale per image: the loss is −objective
	out     Buf // value per image
	value   Op
	grad    Op
	// refineGrad, where tempered, is grad at the refinement's temperature
	// (CodeConfig.RefineTemperature): Sample's steps use it instead.
	refineGrad Op
	tempered   bool
}

// Engine optimises a batch of images on a Backend, image i to maximise
// objs[i]: the render loop, written once for the GPU (Renderer) and the CPU
// (CPURenderer).
type Engine[Buf, Op any] struct {
	cfg    Config
	be     Backend[Buf, Op]
	g      *models.Graph[Buf, Op]
	batch  int
	groups []*group[Buf, Op]
	rng    *rand.Rand

	param, dparam, t, dt, rgb, drgb, mats, scratch, scratch2 Buf
	paramLen                                                 int
	spectralFwd, spectralBack                                Op
	toRGB, toRGBBack, resample, resampleB                    Op
	toRange, fromRange                                       Op
	imageTerms, gradOps, update, after, everyStep            []Op
	blur                                                     Op
	opt                                                      Optimizer[Op]
	noise                                                    Random[Op]
	history                                                  Buf // [steps][groups][batch]
	step                                                     int
	lo, hi                                                   float64
	modelH, modelW                                           int // the network's input grid
	matsHost                                                 []float32
	jitter                                                   int // "jitter:N": N; otherwise 0
	channels                                                 int // the image's: 3 (RGB) or 1 (grey)
	code                                                     *codeParam[Buf, Op]
	// first waits for the initial image's read-back, started at setup;
	// nil once used or once anything may have changed the parameter.
	first func(context.Context) ([]float32, error)
	// forwardOnly (Preview) prepares the parameterisation's forward
	// pass alone: the gradient buffers are the forward ones, unused.
	forwardOnly bool
}

// Renderer is the render loop on the GPU: every step one command buffer,
// nothing read back.
type Renderer = Engine[*gpu.Buffer, gpu.Op]

// CPURenderer is the render loop on the CPU reference (gpu/ref).
type CPURenderer = Engine[[]float64, func()]

// NewRenderer prepares a render on the GPU d (see New).
func NewRenderer(d *gpu.Device, p *models.Plan, desc *models.Descriptor, objs []Objective, cfg Config) (*Renderer, error) {
	return New(Backend[*gpu.Buffer, gpu.Op](NewGPUBackend(d)), p, desc, objs, cfg)
}

// NewCPURenderer prepares a render on the CPU (see New).
func NewCPURenderer(p *models.Plan, desc *models.Descriptor, objs []Objective, cfg Config) (*CPURenderer, error) {
	return New(Backend[[]float64, func()](CPUBackend{}), p, desc, objs, cfg)
}

// parseJitter checks a Config.Transforms value and returns N of "jitter:N"
// (0 for the other modes).
func parseJitter(t string) (int, error) {
	switch t {
	case "lucid", "none":
		return 0, nil
	}
	var n int
	if _, err := fmt.Sscanf(t, "jitter:%d", &n); err != nil || fmt.Sprintf("jitter:%d", n) != t || n < 1 {
		return 0, fmt.Errorf("am: transforms %q: want lucid, none or jitter:N with N ≥ 1", t)
	}
	return n, nil
}

// New prepares everything a render needs on be: the network laid out for
// len(objs) images, the parameterisation, transforms, objectives and
// optimiser. Nothing is allocated after this. The engine owns be and
// releases it.
func New[Buf, Op any](be Backend[Buf, Op], p *models.Plan, desc *models.Descriptor, objs []Objective, cfg Config) (*Engine[Buf, Op], error) {
	r, err := newEngine(be, p, desc, objs, cfg)
	if err != nil {
		be.Release()
		return nil, err
	}
	return r, nil
}

func newEngine[Buf, Op any](be Backend[Buf, Op], p *models.Plan, desc *models.Descriptor, objs []Objective, cfg Config) (*Engine[Buf, Op], error) {
	cfg = cfg.withDefaults().withModelMean(desc)
	if len(objs) == 0 {
		return nil, fmt.Errorf("am: no objective")
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	jitter, err := parseJitter(cfg.Transforms)
	if err != nil {
		return nil, err
	}
	if jitter >= cfg.Size {
		return nil, fmt.Errorf("am: transforms %q: the crop leaves nothing of a %d px image", cfg.Transforms, cfg.Size)
	}
	B := len(objs)
	in := p.Nodes[0].Shape
	if cfg.code() {
		if err := cfg.Code.check(cfg.Param, p, desc); err != nil {
			return nil, err
		}
	} else if len(in) != 3 || (in[2] != 1 && in[2] != 3) {
		return nil, fmt.Errorf("am: the model's input %v is not a grey or RGB image (height, width, 1 or 3 channels)", in)
	}
	// The network runs at the size of the transforms' output (at scale 1),
	// as Lucid feeds it, when the model takes any size; otherwise at its own.
	// A generator's images have the model's own size.
	if q, err := p.Resize(cfg.gridSize(jitter), cfg.gridSize(jitter)); err == nil && !cfg.code() {
		p = q
		in = p.Nodes[0].Shape
	}
	r := &Engine[Buf, Op]{cfg: cfg, be: be, batch: B, rng: rand.New(rand.NewPCG(cfg.Seed, 0x6c75636964)), jitter: jitter,
		lo: desc.Input.Range[0], hi: desc.Input.Range[1], modelH: in[0], modelW: in[1], channels: in[len(in)-1]}
	// Group the terms of every image by (kind, layer, slot).
	keyOf := map[string]*group[Buf, Op]{}
	var targets []*models.Node
	for i, o := range objs {
		slot := map[string]int{}
		for _, t := range o.Terms {
			node, err := termNode(p, t)
			if err != nil {
				return nil, fmt.Errorf("am: objective %d (%s): %w", i, o, err)
			}
			base := t.Kind.String()
			if node != nil {
				base += "/" + node.Name
			}
			key := fmt.Sprintf("%s/%d", base, slot[base])
			slot[base]++
			g := keyOf[key]
			if g == nil {
				g = &group[Buf, Op]{kind: t.Kind, node: node, weights: make([]float64, B), scale: 1}
				switch t.Kind {
				case KindNeuron:
					g.idx = make([]float32, 3*B)
				case KindDirection:
					g.idx = make([]float32, B*node.Shape[len(node.Shape)-1])
				default:
					g.idx = make([]float32, B)
				}
				keyOf[key] = g
				r.groups = append(r.groups, g)
				if node != nil {
					targets = append(targets, node)
				}
			}
			g.weights[i] = t.Weight
			if node != nil {
				if err := g.setIndex(i, t, node); err != nil {
					return nil, fmt.Errorf("am: objective %d (%s): %w", i, o, err)
				}
			}
		}
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("am: the objectives read no layer of the network (image terms alone have nothing to maximise)")
	}
	if !cfg.code() {
		// The image's own chain first, with its initial image rendered
		// and its read-back asked for: the first frame does not wait for
		// the GPU to take the network's buffers and weights.
		if err := r.prepareParam(); err != nil {
			return nil, err
		}
	}
	if r.g, err = models.Build(models.Backend[Buf, Op](be), p, B, targets, true); err != nil {
		return nil, err
	}
	if cfg.code() {
		return r, r.prepareCode()
	}
	if err := r.prepareInput(); err != nil {
		return nil, err
	}
	if err := r.prepareObjectives(); err != nil {
		return nil, err
	}
	if err := r.prepareUpdate(); err != nil {
		return nil, err
	}
	return r, nil
}

// termNode resolves the layer a term reads (nil for image terms).
func termNode(p *models.Plan, t Term) (*models.Node, error) {
	switch t.Kind {
	case KindChannel, KindNeuron, KindDeepDream, KindDirection, KindDiversity:
		return p.Node(t.Layer)
	case KindLogit, KindSoftmax, KindLogSoftmax:
		return p.Logits()
	case KindL1, KindL2, KindTV:
		return nil, nil
	}
	return nil, fmt.Errorf("objective %s is not supported by the renderer yet", t.Kind)
}

func (g *group[Buf, Op]) setIndex(i int, t Term, n *models.Node) error {
	c := n.Shape[len(n.Shape)-1]
	h, w := 1, 1
	if len(n.Shape) == 3 {
		h, w = n.Shape[0], n.Shape[1]
	}
	switch t.Kind {
	case KindChannel, KindLogit, KindSoftmax, KindLogSoftmax:
		ch := t.Channel
		if t.Kind != KindChannel {
			ch = t.Class
		}
		if ch < 0 || ch >= c {
			return fmt.Errorf("%s has %d channels, %d is out of range", n.Name, c, ch)
		}
		g.idx[i] = float32(ch)
	case KindNeuron:
		x, y := t.X, t.Y
		if x < 0 && y < 0 {
			x, y = w/2, h/2 // Lucid's default: the centre
		}
		if x < 0 || x >= w || y < 0 || y >= h || t.Channel < 0 || t.Channel >= c {
			return fmt.Errorf("neuron (%d, %d) channel %d is outside %s's %dx%dx%d", x, y, t.Channel, n.Name, w, h, c)
		}
		g.idx[3*i], g.idx[3*i+1], g.idx[3*i+2] = float32(x), float32(y), float32(t.Channel)
	case KindDirection:
		if len(t.Dir) != c {
			return fmt.Errorf("direction %s has %d values, %s has %d channels", t.DirFile, len(t.Dir), n.Name, c)
		}
		copy(g.idx[i*c:], t.Dir)
	}
	return nil
}

// shape is a node's output for the batch as NHWC (1×1 for vectors).
func (r *Engine[Buf, Op]) shape(n *models.Node) gpu.NHWC {
	s := gpu.NHWC{N: r.batch, H: 1, W: 1, C: n.Shape[len(n.Shape)-1]}
	if len(n.Shape) == 3 {
		s.H, s.W = n.Shape[0], n.Shape[1]
	}
	return s
}

// imageShape is the batch of images being optimised.
func (r *Engine[Buf, Op]) imageShape() gpu.NHWC {
	return gpu.NHWC{N: r.batch, H: r.cfg.Size, W: r.cfg.Size, C: r.channels}
}

func (r *Engine[Buf, Op]) upload(label string, v []float32) (Buf, error) {
	return r.be.Const(label, v)
}

// prepareObjectives makes each group's value and gradient ops. The first
// group on a node writes its seed, later ones accumulate.
func (r *Engine[Buf, Op]) prepareObjectives() error {
	seen := map[*models.Node]bool{}
	var err error
	for _, g := range r.groups {
		if g.node == nil {
			if err := r.imageTerm(g); err != nil {
				return err
			}
			continue
		}
		n := g.node
		s := r.shape(n)
		if g.idxBuf, err = r.upload("objective.index", g.idx); err != nil {
			return err
		}
		if g.dyBuf, err = r.dy(g); err != nil {
			return err
		}
		if g.out, err = r.be.Alloc("objective.value", r.batch); err != nil {
			return err
		}
		x, seed := r.g.Out[n], r.g.Seed[n]
		acc := seen[n]
		seen[n] = true
		be := r.be
		var v, gr Op
		switch g.kind {
		case KindChannel, KindLogit:
			if v, err = be.ChannelMean(s, x, g.idxBuf, g.out); err == nil {
				gr, err = be.ChannelMeanBackward(s, g.idxBuf, g.dyBuf, seed, acc)
			}
		case KindNeuron:
			if v, err = be.Neuron(s, x, g.idxBuf, g.out); err == nil {
				gr, err = be.NeuronBackward(s, g.idxBuf, g.dyBuf, seed, acc)
			}
		case KindSoftmax, KindLogSoftmax:
			v, gr, err = r.probability(g, s, x, seed, acc)
		case KindDeepDream:
			if v, err = be.MeanSquare(s, x, g.out); err == nil {
				gr, err = be.MeanSquareBackward(s, x, g.dyBuf, seed, acc)
			}
		case KindDirection:
			v, gr, err = r.direction(g, s, x, seed, acc)
		case KindDiversity:
			v, gr, err = be.Diversity(s, x, g.dyBuf, g.out, seed, acc)
		}
		if err != nil {
			return err
		}
		g.value, g.grad = v, gr
	}
	var e error
	r.history, e = r.be.Alloc("objective.history", r.cfg.Steps*len(r.groups)*r.batch)
	return e
}

// dy uploads the gradient of the loss (−objective) with respect to each
// image's value of g: −weight·scale.
func (r *Engine[Buf, Op]) dy(g *group[Buf, Op]) (Buf, error) {
	dy := make([]float32, r.batch)
	for i, w := range g.weights {
		dy[i] = float32(-w * g.scale)
	}
	return r.upload("objective.dy", dy)
}

// probability prepares a class objective on the softmax (or log-softmax)
// of the logits x: the survey's Table, variants b and c. The gradient
// through the softmax goes to a scratch buffer, then into the seed.
func (r *Engine[Buf, Op]) probability(g *group[Buf, Op], s gpu.NHWC, x, seed Buf, acc bool) (value, grad Op, err error) {
	be := r.be
	n := s.H * s.W * s.C
	rows := r.batch * s.H * s.W
	var sm, dsm, dx Buf
	for _, b := range []*Buf{&sm, &dsm, &dx} {
		if *b, err = be.Alloc("objective.softmax", r.batch*n); err != nil {
			return value, grad, err
		}
	}
	log := g.kind == KindLogSoftmax
	f, err1 := be.Softmax(rows, s.C, log, x, sm)
	v, err2 := be.ChannelMean(s, sm, g.idxBuf, g.out)
	seedSm, err3 := be.ChannelMeanBackward(s, g.idxBuf, g.dyBuf, dsm, false)
	b, err4 := be.SoftmaxBackward(rows, s.C, log, sm, dsm, dx)
	var into Op
	var err5 error
	if acc {
		into, err5 = be.Accumulate(seed, dx)
	} else {
		into, err5 = be.Copy(seed, dx)
	}
	if err := firstErr(err1, err2, err3, err4, err5); err != nil {
		return value, grad, err
	}
	if T := r.cfg.Code.RefineTemperature; log && T > 1 && r.cfg.Param == "ppgn" {
		// T·log softmax(z/T): the log-softmax of z/T, whose gradient with
		// respect to z/T is, scaled by T and by 1/T, its gradient with
		// respect to z.
		zT, err := be.Alloc("objective.tempered", r.batch*n)
		if err != nil {
			return value, grad, err
		}
		scale, err1 := be.AXPBY(zT, x, x, 1/T, 0)
		fT, err2 := be.Softmax(rows, s.C, true, zT, sm)
		bT, err3 := be.SoftmaxBackward(rows, s.C, true, sm, dsm, dx)
		if err := firstErr(err1, err2, err3); err != nil {
			return value, grad, err
		}
		g.refineGrad, g.tempered = be.Seq(scale, fT, seedSm, bT, into), true
	}
	return be.Seq(f, v), be.Seq(seedSm, b, into), nil
}

// direction prepares Lucid's direction objective: the mean over positions
// of the dot product of the activations with a vector (one per image):
// proj = X·d (a batched GEMM, HW×C by C×1), its channel mean, and back
// dX = dproj·dᵀ (HW×1 by 1×C).
func (r *Engine[Buf, Op]) direction(g *group[Buf, Op], s gpu.NHWC, x, seed Buf, acc bool) (value, grad Op, err error) {
	be := r.be
	hw := s.H * s.W
	proj, err1 := be.Alloc("objective.projection", r.batch*hw)
	dproj, err2 := be.Alloc("objective.dprojection", r.batch*hw)
	zero, err3 := r.upload("objective.channel0", make([]float32, r.batch))
	if err := firstErr(err1, err2, err3); err != nil {
		return value, grad, err
	}
	s1 := gpu.NHWC{N: r.batch, H: s.H, W: s.W, C: 1}
	f, err1 := be.GEMM(gpu.GEMMShape{Batch: r.batch, M: hw, K: s.C, N: 1, Alpha: 1}, proj, x, g.idxBuf)
	v, err2 := be.ChannelMean(s1, proj, zero, g.out)
	dp, err3 := be.ChannelMeanBackward(s1, zero, g.dyBuf, dproj, false)
	beta := 0.0
	if acc {
		beta = 1
	}
	b, err4 := be.GEMM(gpu.GEMMShape{Batch: r.batch, M: hw, K: 1, N: s.C, Alpha: 1, Beta: beta}, seed, dproj, g.idxBuf)
	if err := firstErr(err1, err2, err3, err4); err != nil {
		return value, grad, err
	}
	return be.Seq(f, v), be.Seq(dp, b), nil
}

// imageTerm prepares an image penalty (l1, l2, tv) on the image in [0, 1]
// as seen (after colour decorrelation and sigmoid): its value per image,
// as a mean over the image's values, and its gradient, weighted per image,
// added into the image's gradient. L1 and L2 pull towards grey (0.5); TV is
// the survey's, squared differences of adjacent pixels.
func (r *Engine[Buf, Op]) imageTerm(g *group[Buf, Op]) error {
	be := r.be
	s := r.imageShape()
	per := s.H * s.W * s.C
	g.scale = 1 / float64(per)
	reg := map[Kind]gpu.Regularizer{
		KindL1: {Kind: gpu.RegL1, Coef: 1, Center: 0.5},
		KindL2: {Kind: gpu.RegL2, Coef: 1, Center: 0.5},
		KindTV: {Kind: gpu.RegTVSquared, Coef: 1},
	}[g.kind]
	var err error
	if g.dyBuf, err = r.dy(g); err != nil {
		return err
	}
	if g.out, err = be.Alloc("objective.value", r.batch); err != nil {
		return err
	}
	var none Buf
	v, err1 := be.Regularize(s, reg, r.rgb, none, g.out)
	gr, err2 := be.Regularize(s, reg, r.rgb, r.scratch, none)
	// drgb += dy[n] · scratch[n]: a batched (per×1)·(1×1) product.
	acc, err3 := be.GEMM(gpu.GEMMShape{Batch: r.batch, M: per, K: 1, N: 1, Alpha: 1, Beta: 1}, r.drgb, r.scratch, g.dyBuf)
	// Zero the scratch with a kernel (0·rgb): a buffer clear between
	// dispatches is not ordered reliably in gogpu v0.34.5.
	zero, err4 := be.AXPBY(r.scratch, r.rgb, r.rgb, 0, 0)
	if err := firstErr(err1, err2, err3, err4); err != nil {
		return err
	}
	g.value = v
	r.imageTerms = append(r.imageTerms, zero, gr, acc)
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// prepareParam makes the parameterisation → colour chain and its adjoint,
// initialises the parameter, renders the initial image and starts its
// read-back (r.first), before the network exists.
func (r *Engine[Buf, Op]) prepareParam() error {
	be := r.be
	B, S, C := r.batch, r.cfg.Size, r.channels
	img := B * S * S * C
	bufs := []*Buf{&r.t, &r.rgb, &r.dt, &r.drgb, &r.scratch, &r.scratch2}
	if r.forwardOnly {
		// A preview: no gradients, no scratch (allocating them was a
		// quarter of a page's first frame in wasm).
		bufs = bufs[:2]
	}
	for _, b := range bufs {
		var err error
		if *b, err = be.Alloc("image", img); err != nil {
			return err
		}
	}
	if r.forwardOnly {
		r.dt = r.t // never written: no backward pass runs
	}
	var init []Op
	if r.cfg.Param == "fft" {
		sh := gpu.SpectralShape{B: B, C: C, H: S, W: S, Decay: 1, OutScale: 0.25}
		var err error
		if r.param, err = be.Alloc("spectrum", sh.SpectrumLen()); err != nil {
			return err
		}
		if r.dparam = r.param; !r.forwardOnly {
			if r.dparam, err = be.Alloc("dspectrum", sh.SpectrumLen()); err != nil {
				return err
			}
		}
		if r.spectralFwd, r.spectralBack, err = be.Spectral(sh, r.param, r.t, r.dt, r.dparam); err != nil {
			return err
		}
		r.paramLen = sh.SpectrumLen()
	} else {
		r.param, r.dparam, r.paramLen = r.t, r.dt, img
	}
	switch r.cfg.Init {
	case "random":
		// N(0, 0.01²), drawn on the host with gpu/ref's Philox (the
		// stream of the GPU's random kernel and of the CPU backend): for a
		// draw made once, one upload costs less than building the GPU's
		// Philox kernel, which SwiftShader compiles for a second or more.
		if err := be.Write(r.param, normalInit(r.cfg.Seed, 0, r.paramLen, 0.01)); err != nil {
			return err
		}
	case "grey", "mean":
		if err := be.Write(r.t, r.initImage()); err != nil {
			return err
		}
	}
	// Colour decorrelation for RGB; a grey image only has the sigmoid.
	cs := gpu.ColorShape{N: B, H: S, W: S, C: C, M: gpu.LucidColor()}
	var err1, err2 error
	r.toRGB, err1 = be.ToRGB(cs, r.t, r.rgb)
	if !r.forwardOnly {
		r.toRGBBack, err2 = be.ToRGBBackward(cs, r.rgb, r.drgb, r.dt)
	}
	if err := firstErr(err1, err2); err != nil {
		return err
	}
	if r.cfg.Param == "fft" {
		init = append(init, r.spectralFwd)
	}
	if err := be.Submit(append(init, r.toRGB)...); err != nil {
		return err
	}
	r.first = be.ReadSoon(r.rgb)
	return nil
}

// prepareInput makes the transforms → model input chain (into the
// network's input) and its adjoint.
func (r *Engine[Buf, Op]) prepareInput() error {
	be := r.be
	B, S, C := r.batch, r.cfg.Size, r.channels
	var err1, err2, err3, err4, err5 error
	r.mats, err1 = be.Alloc("transforms", 6*B)
	if err1 != nil {
		return err1
	}
	r.matsHost = make([]float32, 6*B)
	rs := gpu.ResampleShape{N: B, H: S, W: S, C: C, OH: r.modelH, OW: r.modelW, Fill: gpu.LucidFill}
	dx := r.g.Grad[r.g.Plan.Nodes[0]]
	r.resample, err1 = be.Resample(rs, r.rgb, r.mats, r.g.Input)
	r.resampleB, err2 = be.ResampleBackward(rs, dx, r.mats, r.drgb)
	// [0,1] → the model's range in place, and the chain rule back.
	r.toRange, err3 = be.ScaleShift(r.g.Input, r.hi-r.lo, r.lo)
	r.fromRange, err4 = be.ScaleShift(dx, r.hi-r.lo, 0)
	if r.cfg.BlurEvery > 0 {
		r.blur, err5 = be.Blur(r.imageShape(), r.cfg.BlurSigma, r.t, r.scratch2, r.t)
	}
	return firstErr(err1, err2, err3, err4, err5)
}

// initImage is the pixel parameter of a grey or mean-colour image: the
// pre-image under sigmoid(t·Cᵀ) of the colour, the same at every pixel (a
// grey model's mean is the first channel of Mean, and it has no C).
func (r *Engine[Buf, Op]) initImage() []float32 {
	var t [3]float64
	if r.cfg.Init == "mean" {
		var z [3]float64
		for i, m := range r.cfg.Mean {
			z[i] = math.Log(m / (1 - m))
		}
		t = z
		if r.channels == 3 {
			t = solve3(gpu.LucidColor(), z)
		}
	}
	C := r.channels
	img := make([]float32, r.batch*r.cfg.Size*r.cfg.Size*C)
	for i := range img {
		img[i] = float32(t[i%C%3])
	}
	return img
}

// solve3 solves m·x = z for a row-major 3×3 m (Cramer's rule).
func solve3(m gpu.ColorMatrix, z [3]float64) [3]float64 {
	det := func(a [9]float64) float64 {
		return a[0]*(a[4]*a[8]-a[5]*a[7]) - a[1]*(a[3]*a[8]-a[5]*a[6]) + a[2]*(a[3]*a[7]-a[4]*a[6])
	}
	d := det(m)
	var x [3]float64
	for j := range 3 {
		a := [9]float64(m)
		for i := range 3 {
			a[3*i+j] = z[i]
		}
		x[j] = det(a) / d
	}
	return x
}

// prepareUpdate makes what turns the image gradient into an update: the
// centre bias and gradient blur, then the optimiser or the Langevin
// sampler, then the image blur and percentile clipping.
func (r *Engine[Buf, Op]) prepareUpdate() error {
	be, s := r.be, r.imageShape()
	if r.cfg.CenterBias > 0 {
		w, err := r.upload("centre bias", centreWeights(r.batch, r.cfg.Size, r.channels, r.cfg.CenterBias))
		if err != nil {
			return err
		}
		mul, err1 := be.Mul(r.scratch, r.dt, w)
		back, err2 := be.Copy(r.dt, r.scratch)
		if err := firstErr(err1, err2); err != nil {
			return err
		}
		r.gradOps = append(r.gradOps, mul, back)
	}
	if r.cfg.GradBlur > 0 {
		op, err := be.Blur(s, r.cfg.GradBlur, r.dt, r.scratch, r.dt)
		if err != nil {
			return err
		}
		r.gradOps = append(r.gradOps, op)
	}
	var err error
	if r.cfg.Sampler == "langevin" {
		err = r.prepareLangevin(SmoothnessPrior[Buf, Op]{})
	} else {
		err = r.prepareOptimizer()
	}
	if err != nil {
		return err
	}
	if r.cfg.BlurEvery > 0 {
		r.after = append(r.after, r.blur)
	}
	if r.cfg.ClipPercentile > 0 {
		thr, err := be.Alloc("clip thresholds", r.batch)
		if err != nil {
			return err
		}
		clip, err := be.ClipPercentile(s, r.cfg.ClipPercentile, r.t, thr)
		if err != nil {
			return err
		}
		r.everyStep = append(r.everyStep, clip)
	}
	return nil
}

func (r *Engine[Buf, Op]) prepareOptimizer() error {
	be := r.be
	m, err1 := be.Alloc("optimizer.m", r.paramLen)
	v, err2 := be.Alloc("optimizer.v", r.paramLen)
	if err := firstErr(err1, err2); err != nil {
		return err
	}
	var err error
	if r.cfg.Optimizer == "sgd" {
		r.opt, err = be.SGD(r.cfg.LR, r.cfg.Momentum, r.param, r.dparam, v)
	} else {
		r.opt, err = be.Adam(gpu.AdamDefaults(r.cfg.LR), r.param, r.dparam, m, v)
	}
	if err != nil {
		return err
	}
	r.update = []Op{r.opt.Op()}
	return nil // the state starts at zero: Alloc zeroes
}

// centreWeights is the centre bias's Gaussian weight of every value of a
// batch of size×size images of ch channels: exp(−r²/2σ²), σ = frac·size.
func centreWeights(batch, size, ch int, frac float64) []float32 {
	sigma := frac * float64(size)
	c := float64(size-1) / 2
	w := make([]float32, batch*size*size*ch)
	for i := range w {
		p := i / ch % (size * size)
		dx, dy := float64(p%size)-c, float64(p/size)-c
		w[i] = float32(math.Exp(-(dx*dx + dy*dy) / (2 * sigma * sigma)))
	}
	return w
}

// gridSize is the side of the transforms' output at scale 1: Lucid's
// S + 2·pad − jitter1 − jitter2, S − N for jitter:N, S for none.
func (c Config) gridSize(jitter int) int {
	switch c.Transforms {
	case "lucid":
		h, _ := gpu.LucidSize(c.Size, c.Size, 1)
		return h
	case "none":
		return c.Size
	}
	return c.Size - jitter
}

// lucidAngles is Lucid's random_rotate set: −10..10 degrees plus five
// extra zeros.
var lucidAngles = func() []float64 {
	a := make([]float64, 0, 26)
	for d := -10; d <= 10; d++ {
		a = append(a, float64(d))
	}
	return append(a, 0, 0, 0, 0, 0)
}()

// drawTransforms writes this step's transform matrices: Lucid's chain for
// a fresh draw per image (or a random crop, or the identity), mapped onto
// the network's input grid.
func (r *Engine[Buf, Op]) drawTransforms() error {
	S := r.cfg.Size
	grid := r.cfg.gridSize(r.jitter)
	for i := range r.batch {
		m, oh, ow := gpu.Identity(), S, S
		switch {
		case r.jitter > 0:
			m = gpu.Translate(float64(r.rng.IntN(r.jitter+1)), float64(r.rng.IntN(r.jitter+1)))
			oh, ow = grid, grid
		case r.cfg.Transforms == "lucid":
			d := gpu.LucidDraw{
				X1: r.rng.IntN(gpu.LucidJitter1 + 1), Y1: r.rng.IntN(gpu.LucidJitter1 + 1),
				Scale:   1 + float64(r.rng.IntN(11)-5)/50,
				Degrees: lucidAngles[r.rng.IntN(len(lucidAngles))],
				X2:      r.rng.IntN(gpu.LucidJitter2 + 1), Y2: r.rng.IntN(gpu.LucidJitter2 + 1),
			}
			var err error
			if m, oh, ow, err = gpu.LucidTransform(S, S, d); err != nil {
				return err
			}
		}
		if r.modelH == grid && r.modelW == grid {
			// The network runs at the chain's size at scale 1: a scaled
			// draw is centred on that grid (a smaller one with the fill
			// around it, a larger one cropped), not stretched.
			m = gpu.Compose(m, gpu.Translate(math.Floor(float64(ow-grid)/2), math.Floor(float64(oh-grid)/2)))
		} else {
			// A model with a fixed input size: stretch the chain's output
			// onto it.
			m = gpu.Compose(m, gpu.Affine{float64(ow) / float64(r.modelW), 0, 0, 0, float64(oh) / float64(r.modelH), 0})
		}
		m.Put(r.matsHost[6*i:])
	}
	return r.be.Write(r.mats, r.matsHost)
}

// Transforms returns the matrices of the last step's transforms, one per
// image: each maps the network's input pixel to the image point it samples
// (see gpu.Affine). With "jitter:N" at the network's input size, entries 2
// and 5 are the crop's x and y offsets.
func (r *Engine[Buf, Op]) Transforms() []gpu.Affine {
	out := make([]gpu.Affine, r.batch)
	for i := range out {
		for k := range 6 {
			out[i][k] = float64(r.matsHost[6*i+k])
		}
	}
	return out
}

// Params reads back the parameters being optimised: the spectra
// [B][C][2][Size][WF] (gpu.SpectralShape) for "fft", or the NHWC images
// before colour decorrelation for "pixel" (C = Channels()).
func (r *Engine[Buf, Op]) Params(ctx context.Context) ([]float32, error) {
	return r.be.Read(ctx, r.param)
}

// Step runs one optimisation (or sampling) step: on the GPU one command
// buffer, nothing read back.
func (r *Engine[Buf, Op]) Step() error {
	if r.step >= r.cfg.Steps {
		return fmt.Errorf("am: all %d steps done", r.cfg.Steps)
	}
	if r.code != nil {
		return r.codeStep()
	}
	r.first = nil // the parameter changes
	if err := r.drawTransforms(); err != nil {
		return err
	}
	if r.opt != nil {
		if err := r.opt.SetStep(r.step + 1); err != nil {
			return err
		}
	}
	if r.noise != nil {
		if err := r.noise.SetCounter(uint64(r.step) + 1); err != nil {
			return err
		}
	}
	ops := make([]Op, 0, 32)
	if r.cfg.Param == "fft" {
		ops = append(ops, r.spectralFwd)
	}
	ops = append(ops, r.toRGB, r.resample, r.toRange)
	ops, err := r.networkOps(ops, r.step < r.cfg.RedirectSteps, true, false)
	if err != nil {
		return err
	}
	ops = append(ops, r.fromRange, r.resampleB)
	ops = append(ops, r.imageTerms...)
	ops = append(ops, r.toRGBBack)
	ops = append(ops, r.gradOps...)
	if r.cfg.Param == "fft" {
		ops = append(ops, r.spectralBack)
	}
	ops = append(ops, r.update...)
	if r.cfg.BlurEvery > 0 && (r.step+1)%r.cfg.BlurEvery == 0 {
		ops = append(ops, r.after...)
	}
	ops = append(ops, r.everyStep...)
	if err := r.be.Submit(ops...); err != nil {
		return err
	}
	r.step++
	return nil
}

// networkOps appends the network's forward pass from its input, every
// objective's value (copied into the history) and gradient, and the
// backward pass to the input's gradient.
func (r *Engine[Buf, Op]) networkOps(ops []Op, redirect, history, refine bool) ([]Op, error) {
	ops = append(ops, r.g.Forward...)
	for k, g := range r.groups {
		switch {
		case g.node == nil:
			ops = append(ops, g.value) // image terms: their gradient comes later
		case refine && g.tempered:
			ops = append(ops, g.refineGrad)
		default:
			ops = append(ops, g.value, g.grad)
		}
		if !history {
			continue
		}
		cp, err := r.be.CopyAt(r.history, (r.step*len(r.groups)+k)*r.batch, g.out)
		if err != nil {
			return nil, err
		}
		ops = append(ops, cp)
	}
	if redirect {
		return append(ops, r.g.BackwardRedirect...), nil
	}
	return append(ops, r.g.Backward...), nil
}

// Size is the side in pixels of the images Images returns (for "dgn" and
// "ppgn", the generator's).
func (r *Engine[Buf, Op]) Size() int { return r.cfg.Size }

// Param is the parameterisation being optimised ("fft", "pixel", "dgn" or
// "ppgn").
func (r *Engine[Buf, Op]) Param() string { return r.cfg.Param }

// Steps is the number of steps the engine was prepared for.
func (r *Engine[Buf, Op]) Steps() int { return r.cfg.Steps }

// Sync waits until every step submitted so far has finished.
func (r *Engine[Buf, Op]) Sync(ctx context.Context) error { return r.be.Sync(ctx) }

// StepsDone is the number of steps run.
func (r *Engine[Buf, Op]) StepsDone() int { return r.step }

// NetworkSize is the size of the network's input grid: the transforms'
// output at scale 1 when the model takes any size, else the model's own.
func (r *Engine[Buf, Op]) NetworkSize() (h, w int) { return r.modelH, r.modelW }

// Backend names the backend the engine runs on.
func (r *Engine[Buf, Op]) Backend() string { return r.be.Name() }

// Objectives reads back each image's objective value at every step so far:
// [image][step].
func (r *Engine[Buf, Op]) Objectives(ctx context.Context) ([][]float64, error) {
	h, err := r.be.Read(ctx, r.history)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, r.batch)
	G := len(r.groups)
	for i := range out {
		out[i] = make([]float64, r.step)
		for s := 0; s < r.step; s++ {
			for k, g := range r.groups {
				if g.weights[i] == 0 {
					continue // a group other images use
				}
				out[i][s] += g.weights[i] * g.scale * float64(h[(s*G+k)*r.batch+i])
			}
		}
	}
	return out, nil
}

// Images renders the current parameters and reads the images back: NHWC
// float32 in [0, 1], size×size×3 each (a grey image's value repeated in
// the three channels; see Channels).
func (r *Engine[Buf, Op]) Images(ctx context.Context) ([]float32, error) {
	if r.code != nil {
		return r.codeImages(ctx)
	}
	if first := r.first; first != nil {
		// The initial image, read back while the network was being
		// prepared (nothing has changed the parameter since).
		r.first = nil
		px, err := first(ctx)
		if err != nil {
			return nil, err
		}
		return greyToRGB(px, r.channels), nil
	}
	var ops []Op
	if r.cfg.Param == "fft" {
		ops = append(ops, r.spectralFwd)
	}
	if err := r.be.Submit(append(ops, r.toRGB)...); err != nil {
		return nil, err
	}
	px, err := r.be.Read(ctx, r.rgb)
	if err != nil {
		return nil, err
	}
	return greyToRGB(px, r.channels), nil
}

// Channels is the number of channels of the images the model sees: 3
// (RGB) or 1 (grey).
func (r *Engine[Buf, Op]) Channels() int {
	if r.code != nil {
		return r.code.channels
	}
	return r.channels
}

// greyToRGB returns NHWC pixels of ch channels as RGB: unchanged for 3,
// a grey value repeated in the three channels for 1.
func greyToRGB(px []float32, ch int) []float32 {
	if ch == 3 {
		return px
	}
	out := make([]float32, 0, len(px)/ch*3)
	for i := 0; i < len(px); i += ch {
		out = append(out, px[i], px[i], px[i])
	}
	return out
}

// Release frees everything the engine allocated (on the GPU, after waiting
// for its work to finish).
func (r *Engine[Buf, Op]) Release() { r.be.Release() }
