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
// default (see Defaults).
type Config struct {
	Size  int     // image side in pixels (Lucid's render_vis: 128)
	Steps int     // optimisation steps (512)
	LR    float64 // Adam's learning rate (0.05)
	Seed  uint64
	// Param is "fft" (Lucid's Fourier spectrum, decay power 1) or "pixel".
	Param string
	// Transforms is "lucid" (pad 12, jitter 8, scale, rotate, jitter 4),
	// "jitter:N" (only a random crop N pixels smaller in each dimension,
	// offsets drawn per image per step) or "none".
	Transforms string
	// RedirectSteps is how many first steps use the redirected ReLU
	// gradient (Lucid: 16).
	RedirectSteps int
}

// Defaults returns Lucid's render_vis defaults.
func Defaults() Config {
	return Config{Size: 128, Steps: 512, LR: 0.05, Param: "fft", Transforms: "lucid", RedirectSteps: 16}
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
	return c
}

// group is one reduction over the batch: one (kind, layer, slot) with a
// per-image index and weight (0 for images that do not use it).
type group struct {
	kind    Kind
	node    *models.Node
	idx     []float32 // per image: channel, or (x, y, c) for neurons
	weights []float64 // per image
	idxBuf  *gpu.Buffer
	dyBuf   *gpu.Buffer // −weight per image: the loss is −objective
	out     *gpu.Buffer // value per image
	value   gpu.Op
	grad    gpu.Op
}

// Renderer optimises a batch of images, image i to maximise objs[i], every
// step one command buffer on the GPU.
type Renderer struct {
	cfg    Config
	d      *gpu.Device
	be     *models.GPU
	g      *models.GPUGraph
	batch  int
	groups []*group
	rng    *rand.Rand

	param, dparam, t, dt, rgb, drgb, mats *gpu.Buffer
	spectral                              *gpu.Spectral
	toRGB, toRGBBack, resample, resampleB gpu.Op
	toRange, fromRange                    gpu.Op
	adam                                  *gpu.Adam
	history                               *gpu.Buffer // [steps][groups][batch]
	owned                                 []interface{ Release() }
	step                                  int
	lo, hi                                float64
	modelH, modelW                        int // the network's input grid
	matsHost                              []float32
	jitter                                int // "jitter:N": N; otherwise 0
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

// NewRenderer prepares everything a render needs on d: the network laid
// out for len(objs) images, the parameterisation, transforms and optimiser.
// Nothing is allocated after this.
func NewRenderer(d *gpu.Device, p *models.Plan, desc *models.Descriptor, objs []Objective, cfg Config) (*Renderer, error) {
	cfg = cfg.withDefaults()
	if len(objs) == 0 {
		return nil, fmt.Errorf("am: no objective")
	}
	if cfg.Size < 8 || cfg.Size > 2048 {
		return nil, fmt.Errorf("am: size %d: want 8..2048", cfg.Size)
	}
	if cfg.Param != "fft" && cfg.Param != "pixel" {
		return nil, fmt.Errorf("am: param %q: want fft or pixel", cfg.Param)
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
	if len(in) != 3 || in[2] != 3 {
		return nil, fmt.Errorf("am: the model's input %v is not an RGB image", in)
	}
	// The network runs at the size of the transforms' output (at scale 1),
	// as Lucid feeds it, when the model takes any size; otherwise at its own.
	grid := cfg.gridSize(jitter)
	if grid < 1 {
		return nil, fmt.Errorf("am: size %d: the transforms leave no image", cfg.Size)
	}
	if q, err := p.Resize(grid, grid); err == nil {
		p = q
		in = p.Nodes[0].Shape
	}
	r := &Renderer{cfg: cfg, d: d, be: models.NewGPU(d), batch: B, rng: rand.New(rand.NewPCG(cfg.Seed, 0x6c75636964)),
		lo: desc.Input.Range[0], hi: desc.Input.Range[1], modelH: in[0], modelW: in[1], jitter: jitter}
	ok := false
	defer func() {
		if !ok {
			r.Release()
		}
	}()
	// Group the terms of every image by (kind, layer, slot).
	keyOf := map[string]*group{}
	var targets []*models.Node
	for i, o := range objs {
		slot := map[string]int{}
		for _, t := range o.Terms {
			node, err := termNode(p, t)
			if err != nil {
				return nil, fmt.Errorf("am: objective %d (%s): %w", i, o, err)
			}
			base := fmt.Sprintf("%d/%s", t.Kind, node.Name)
			key := fmt.Sprintf("%s/%d", base, slot[base])
			slot[base]++
			g := keyOf[key]
			if g == nil {
				width := 1
				if t.Kind == KindNeuron {
					width = 3
				}
				g = &group{kind: t.Kind, node: node, idx: make([]float32, width*B), weights: make([]float64, B)}
				keyOf[key] = g
				r.groups = append(r.groups, g)
				targets = append(targets, node)
			}
			g.weights[i] = t.Weight
			if err := g.setIndex(i, t, node); err != nil {
				return nil, fmt.Errorf("am: objective %d (%s): %w", i, o, err)
			}
		}
	}
	if r.g, err = models.Build[*gpu.Buffer, gpu.Op](r.be, p, B, targets, true); err != nil {
		return nil, err
	}
	if err := r.prepareObjectives(); err != nil {
		return nil, err
	}
	if err := r.prepareImage(); err != nil {
		return nil, err
	}
	ok = true
	return r, nil
}

// termNode resolves the layer a term reads.
func termNode(p *models.Plan, t Term) (*models.Node, error) {
	switch t.Kind {
	case KindChannel, KindNeuron, KindDeepDream:
		return p.Node(t.Layer)
	case KindLogit, KindSoftmax, KindLogSoftmax:
		return p.Logits()
	}
	return nil, fmt.Errorf("objective %s is not supported by the renderer yet", t.Kind)
}

func (g *group) setIndex(i int, t Term, n *models.Node) error {
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
	}
	return nil
}

func (r *Renderer) keep(x interface{ Release() }) { r.owned = append(r.owned, x) }

func (r *Renderer) buf(label string, n int) (*gpu.Buffer, error) {
	b, err := r.d.NewBuffer(label, n)
	if err == nil {
		r.keep(b)
	}
	return b, err
}

func (r *Renderer) upload(label string, v []float32) (*gpu.Buffer, error) {
	b, err := r.d.Upload(label, v)
	if err == nil {
		r.keep(b)
	}
	return b, err
}

func (r *Renderer) op(op gpu.Op, err error) (gpu.Op, error) {
	if err != nil {
		return nil, err
	}
	if x, ok := op.(interface{ Release() }); ok {
		r.keep(x)
	}
	return op, nil
}

// prepareObjectives makes each group's value and gradient ops. The first
// group on a node writes its seed, later ones accumulate.
func (r *Renderer) prepareObjectives() error {
	seen := map[*models.Node]bool{}
	var err error
	for _, g := range r.groups {
		n := g.node
		s := gpu.NHWC{N: r.batch, H: 1, W: 1, C: n.Shape[len(n.Shape)-1]}
		if len(n.Shape) == 3 {
			s.H, s.W = n.Shape[0], n.Shape[1]
		}
		if g.idxBuf, err = r.upload("objective.index", g.idx); err != nil {
			return err
		}
		dy := make([]float32, r.batch)
		for i, w := range g.weights {
			dy[i] = float32(-w)
		}
		if g.dyBuf, err = r.upload("objective.dy", dy); err != nil {
			return err
		}
		if g.out, err = r.buf("objective.value", r.batch); err != nil {
			return err
		}
		x, seed := r.g.Out[n], r.g.Seed[n]
		acc := seen[n]
		seen[n] = true
		switch g.kind {
		case KindChannel, KindLogit:
			if g.value, err = r.op(r.d.ChannelMean(s, x, g.idxBuf, g.out)); err == nil {
				g.grad, err = r.op(r.d.ChannelMeanBackward(s, g.idxBuf, g.dyBuf, seed, 1, acc))
			}
		case KindNeuron:
			if g.value, err = r.op(r.d.Neuron(s, x, g.idxBuf, g.out)); err == nil {
				g.grad, err = r.op(r.d.NeuronBackward(s, g.idxBuf, g.dyBuf, seed, 1, acc))
			}
		case KindSoftmax, KindLogSoftmax:
			g.value, g.grad, err = r.probability(g, s, x, seed, acc)
		case KindDeepDream:
			if g.value, err = r.op(r.d.MeanSquare(s, x, g.out)); err == nil {
				g.grad, err = r.op(r.d.MeanSquareBackward(s, x, g.dyBuf, seed, 1, acc))
			}
		}
		if err != nil {
			return err
		}
	}
	var e error
	r.history, e = r.buf("objective.history", r.cfg.Steps*len(r.groups)*r.batch)
	return e
}

// probability prepares a class objective on the softmax (or log-softmax)
// of the logits x: the survey's Table, variants b and c. The gradient
// through the softmax goes to a scratch buffer, then into the seed.
func (r *Renderer) probability(g *group, s gpu.NHWC, x, seed *gpu.Buffer, acc bool) (value, grad gpu.Op, err error) {
	n := s.H * s.W * s.C
	rows := r.batch * s.H * s.W
	sm, err := r.buf("objective.softmax", r.batch*n)
	if err != nil {
		return nil, nil, err
	}
	dsm, err := r.buf("objective.dsoftmax", r.batch*n)
	if err != nil {
		return nil, nil, err
	}
	dx, err := r.buf("objective.dlogits", r.batch*n)
	if err != nil {
		return nil, nil, err
	}
	fwd, back := r.d.Softmax, r.d.SoftmaxBackward
	if g.kind == KindLogSoftmax {
		fwd, back = r.d.LogSoftmax, r.d.LogSoftmaxBackward
	}
	f, err := r.op(fwd(rows, s.C, x, sm))
	if err != nil {
		return nil, nil, err
	}
	v, err := r.op(r.d.ChannelMean(s, sm, g.idxBuf, g.out))
	if err != nil {
		return nil, nil, err
	}
	seedSm, err := r.op(r.d.ChannelMeanBackward(s, g.idxBuf, g.dyBuf, dsm, 1, false))
	if err != nil {
		return nil, nil, err
	}
	b, err := r.op(back(rows, s.C, sm, dsm, dx))
	if err != nil {
		return nil, nil, err
	}
	into, err := r.op(r.d.AXPBY(seed, dx, dx, 1, 0))
	if acc {
		into, err = r.op(r.d.Accumulate(seed, dx, 1))
	}
	if err != nil {
		return nil, nil, err
	}
	return gpu.Seq{f, v}, gpu.Seq{seedSm, b, into}, nil
}

// prepareImage makes the parameterisation → colour → transforms → model
// input chain and its adjoint, and the optimiser.
func (r *Renderer) prepareImage() error {
	B, S := r.batch, r.cfg.Size
	var err error
	img := B * S * S * 3
	if r.t, err = r.buf("image.t", img); err != nil {
		return err
	}
	if r.dt, err = r.buf("image.dt", img); err != nil {
		return err
	}
	if r.rgb, err = r.buf("image.rgb", img); err != nil {
		return err
	}
	if r.drgb, err = r.buf("image.drgb", img); err != nil {
		return err
	}
	init := gpu.RandSpec{Kind: gpu.RandNormal, Seed: r.cfg.Seed, Scale: 0.01}
	if r.cfg.Param == "fft" {
		sh := gpu.SpectralShape{B: B, C: 3, H: S, W: S, Decay: 1, OutScale: 0.25}
		if r.param, err = r.buf("spectrum", sh.SpectrumLen()); err != nil {
			return err
		}
		if r.dparam, err = r.buf("dspectrum", sh.SpectrumLen()); err != nil {
			return err
		}
		if r.spectral, err = r.d.Spectral(sh, r.param, r.t, r.dt, r.dparam); err != nil {
			return err
		}
		r.keep(r.spectral)
	} else {
		r.param, r.dparam = r.t, r.dt
	}
	rnd, err := r.d.Random(init, r.param)
	if err != nil {
		return err
	}
	r.keep(rnd)
	cs := gpu.ColorShape{N: B, H: S, W: S, M: gpu.LucidColor()}
	if r.toRGB, err = r.op(r.d.ToRGB(cs, r.t, r.rgb)); err != nil {
		return err
	}
	if r.toRGBBack, err = r.op(r.d.ToRGBBackward(cs, r.rgb, r.drgb, r.dt)); err != nil {
		return err
	}
	if r.mats, err = r.buf("transforms", 6*B); err != nil {
		return err
	}
	r.matsHost = make([]float32, 6*B)
	rs := gpu.ResampleShape{N: B, H: S, W: S, C: 3, OH: r.modelH, OW: r.modelW, Fill: gpu.LucidFill}
	if r.resample, err = r.op(r.d.Resample(rs, r.rgb, r.mats, r.g.Input)); err != nil {
		return err
	}
	if r.resampleB, err = r.op(r.d.ResampleBackward(rs, r.g.Grad[r.g.Plan.Nodes[0]], r.mats, r.drgb)); err != nil {
		return err
	}
	// [0,1] → the model's range in place, and the chain rule back.
	if r.toRange, err = r.op(r.d.ScaleShift(r.g.Input, r.hi-r.lo, r.lo)); err != nil {
		return err
	}
	if r.fromRange, err = r.op(r.d.ScaleShift(r.g.Grad[r.g.Plan.Nodes[0]], r.hi-r.lo, 0)); err != nil {
		return err
	}
	m, err := r.buf("adam.m", r.param.Len)
	if err != nil {
		return err
	}
	v, err := r.buf("adam.v", r.param.Len)
	if err != nil {
		return err
	}
	if r.adam, err = r.d.Adam(gpu.AdamDefaults(r.cfg.LR), r.param, r.dparam, m, v); err != nil {
		return err
	}
	r.keep(r.adam)
	return r.d.Run(rnd, r.adam.Reset())
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
func (r *Renderer) drawTransforms() error {
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
	return r.mats.Write(r.matsHost)
}

// Transforms returns the matrices of the last step's transforms, one per
// image: each maps the network's input pixel to the image point it samples
// (see gpu.Affine). With "jitter:N" at the network's input size, entries 2
// and 5 are the crop's x and y offsets.
func (r *Renderer) Transforms() []gpu.Affine {
	out := make([]gpu.Affine, r.batch)
	for i := range out {
		for k := range 6 {
			out[i][k] = float64(r.matsHost[6*i+k])
		}
	}
	return out
}

// Params reads back the parameters being optimised: the spectra
// [B][3][2][Size][WF] (gpu.SpectralShape) for "fft", or the NHWC images
// before colour decorrelation for "pixel".
func (r *Renderer) Params(ctx context.Context) ([]float32, error) {
	return r.d.Read(ctx, r.param)
}

// Step runs one optimisation step: one command buffer, nothing read back.
func (r *Renderer) Step() error {
	if r.step >= r.cfg.Steps {
		return fmt.Errorf("am: all %d steps done", r.cfg.Steps)
	}
	if err := r.drawTransforms(); err != nil {
		return err
	}
	if err := r.adam.SetStep(r.step + 1); err != nil {
		return err
	}
	rec := r.d.NewRecorder()
	if r.spectral != nil {
		rec.Run(r.spectral.Forward)
	}
	rec.Run(r.toRGB, r.resample, r.toRange)
	rec.Run(gpu.Seq(r.g.Forward))
	for k, g := range r.groups {
		rec.Run(g.value, g.grad)
		rec.Copy(g.out, 0, r.history, (r.step*len(r.groups)+k)*r.batch, r.batch)
	}
	if r.step < r.cfg.RedirectSteps {
		rec.Run(gpu.Seq(r.g.BackwardRedirect))
	} else {
		rec.Run(gpu.Seq(r.g.Backward))
	}
	rec.Run(r.fromRange, r.resampleB, r.toRGBBack)
	if r.spectral != nil {
		rec.Run(r.spectral.Backward)
	}
	rec.Run(r.adam)
	if err := rec.Submit(); err != nil {
		return err
	}
	r.step++
	return nil
}

// NetworkSize is the size of the network's input grid: the transforms'
// output at scale 1 when the model takes any size, else the model's own.
func (r *Renderer) NetworkSize() (h, w int) { return r.modelH, r.modelW }

// StepsDone is the number of steps run.
func (r *Renderer) StepsDone() int { return r.step }

// Objectives reads back each image's objective value at every step so far:
// [image][step].
func (r *Renderer) Objectives(ctx context.Context) ([][]float64, error) {
	h, err := r.d.Read(ctx, r.history)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, r.batch)
	G := len(r.groups)
	for i := range out {
		out[i] = make([]float64, r.step)
		for s := 0; s < r.step; s++ {
			for k, g := range r.groups {
				out[i][s] += g.weights[i] * float64(h[(s*G+k)*r.batch+i])
			}
		}
	}
	return out, nil
}

// Images renders the current parameters and reads the images back: NHWC
// float32 in [0, 1], size×size×3 each.
func (r *Renderer) Images(ctx context.Context) ([]float32, error) {
	rec := r.d.NewRecorder()
	if r.spectral != nil {
		rec.Run(r.spectral.Forward)
	}
	if err := rec.Run(r.toRGB).Submit(); err != nil {
		return nil, err
	}
	return r.d.Read(ctx, r.rgb)
}

// Release waits for the GPU to finish the renderer's work (a buffer freed
// while a submitted step still uses it crashes lavapipe) and frees
// everything the renderer allocated.
func (r *Renderer) Release() {
	r.d.Sync(context.Background())
	for i := len(r.owned) - 1; i >= 0; i-- {
		r.owned[i].Release()
	}
	r.owned = nil
	r.be.Release()
}
