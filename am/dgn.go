package am

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

// CodeConfig holds the settings of the code parameterisations, "dgn" and
// "ppgn" (the survey's sections 3 and 4). In both the parameter is a code
// h of the classifier's code layer (its penultimate layer, say), the image
// is G(h) for the generator G shipped with the model, and gradients flow
// back through the classifier and G to h.
//
// DGN-AM ("dgn") takes optimiser steps (Config.Optimizer, LR) on the
// objective minus Decay·‖h‖²/2, then clips h to the range the codes of
// real images span.
//
// PPGN ("ppgn") runs the survey's Eq. 11 in code space with the step sizes
// of Config.Langevin, the prior being the denoising autoencoder R shipped
// with the model (DAEPrior):
//
//	h ← h + ε1·(R(h) − h) + ε2·∂objective/∂h + N(0, ε3²)
//
// then clips h as DGN-AM does. With a log-softmax class objective the ε2
// term is ∂log p(y=c|G(h))/∂h, the paper's sampler.
type CodeConfig struct {
	// Generator is the model's generator, its code statistics and its
	// prior (models.LoadGenerative).
	Generator *models.Generative
	// Decay is DGN-AM's L2 weight on h.
	Decay float64
	// Init is "random" (each unit drawn from N(mean, std²) of the real
	// codes, then clipped; different per image and seed), "normal" (each
	// unit drawn from N(0, 1), then clipped: the start of DGN-AM's own code,
	// act_max.py of Nguyen et al. 2016, which begins every restart near the
	// zero code whatever the codes' spread) or "mean" (the
	// mean code).
	Init string
	// Jitter, when > 0, shifts G(h) by a random whole number of pixels in
	// [−Jitter, Jitter] along each axis at every step before the classifier
	// sees it (filling with 0), a fresh draw per image: the objective's
	// gradient then favours codes whose images excite the unit wherever
	// they sit, as Lucid's transforms do in pixel space, rather than
	// codes that exploit one classifier's quirks at one position.
	Jitter int
	// Refine, when > 0, is how many steps of the class term alone
	// (h ← h + ε2·∂objective/∂h, clipped; no prior, no noise) Sample takes
	// from a copy of a PPGN chain's state before it draws the image; the
	// chain itself goes on from its own state. The chain explores; the
	// short ascent then moves each sample to where the classifier, shown
	// shifted copies, is sure of it, as the last noise-free step of a
	// Langevin sampler does. Without the DAE's pull in these steps the
	// samples keep their variety (docs/dgn-ppgn.md).
	Refine int
	// RefineShifts, when > 1, averages each refinement step's class term
	// over this many shifts of G(h) (each drawn as Jitter's, within
	// ±Jitter), an expectation over transformations: the step follows the
	// directions that raise the class under all of them rather than one
	// shift's. 0 or 1: one shift per step. It costs K gradients a step,
	// and needs Jitter > 0 (without shifts the K gradients are equal).
	RefineShifts int
	// RefineTemperature, when > 1, is the temperature T of the
	// refinement's class term for a log-softmax objective: its steps
	// follow T·log softmax(z/T)_c of the logits z, whose gradient,
	// onehot(c) − softmax(z/T), vanishes only once class c's logit leads
	// the others by several T, where log p's vanishes as soon as p ≈ 1.
	// The sampled classifier is sure of a sample after a few steps at T 1,
	// but the sample then sits just inside its decision boundary, where
	// an independent classifier's boundary may fall on the other side; a
	// margin in the logits carries it further in (docs/dgn-ppgn.md). The
	// chain's own steps keep T 1, so the distribution it samples is
	// unchanged. 0 or 1: the chain's objective.
	RefineTemperature float64
	// RefineStep, when > 0, is the refinement's step size in place of the
	// chain's ε2: smaller steps, more of them, follow a narrow class region
	// where ε2's would step across it and back. 0: the chain's ε2.
	RefineStep float64
	// RefineUnshifted, when > 0, makes the last this many refinement steps
	// take the class term of G(h) itself, unshifted, as the sample is
	// read and judged. The shifted steps before them carry the sample to
	// where its class is likely under most shifts, but the classifier's p
	// can differ a lot between shifts of one image (for a Fashion-MNIST
	// pullover, from 0.07 to 1.00 over one refinement), and the last
	// shifted step leaves the sample wherever that shift put it. More
	// than Refine: every refinement step is unshifted.
	RefineUnshifted int
	// ClassStepMax, when > 0, caps the class term's step on each code,
	// ε2·∂objective/∂h, at Euclidean norm ClassStepMax·σ, σ the real
	// codes' spread (the root of the sum over units of the variances in
	// the generator's code statistics: the typical distance of a real code
	// from the mean code). It applies to the PPGN chain's steps and to
	// Sample's refinement, on the GPU (no read-back); the step keeps its
	// direction. Where p(y=c) is small the log-softmax gradient can be
	// large and one step can throw the code into a region where G's
	// output is saturated, whose class gradient through G vanishes and
	// which the chain then leaves only slowly (docs/dgn-ppgn.md). 0: no
	// cap; DefaultCode("ppgn") uses 1.
	ClassStepMax float64
	// PixelNoise, when > 0, adds N(0, PixelNoise²) to every pixel of the
	// image the classifier sees (in the image's [0, 1] units, after the
	// shift) at every step of a DGN-AM or PPGN run and of Sample's
	// refinement, a fresh draw each step, except the refinement's
	// unshifted last steps. Like the shifts it is an expectation over
	// transformations: the class term then follows the class evidence of
	// G(h)'s neighbourhood (a Gaussian-smoothed classifier, whose
	// gradients are known to be more perceptually aligned) rather than
	// pixel-level directions one classifier alone responds to. On the
	// bundled classifiers, trained on clean images, it did not help: the
	// judge rejects more PPGN samples (docs/dgn-ppgn.md, session 17), so
	// DefaultCode leaves it 0.
	PixelNoise float64
}

// DefaultCode returns the code settings of param ("dgn" or "ppgn") that
// `hubel render` and the site use unless told otherwise, and PPGN's step
// sizes. DGN-AM starts from a random code; PPGN's chain starts from the
// mean code (a random start can land where G draws a blank image and the
// chain idles there) and shifts G(h) by up to 2 pixels each step, which
// keeps more samples recognisable to an independent classifier; its step
// sizes are half those of the first settings tried (0.2, 10, 0.7, with the
// noise scaled by √½ to sample the same distribution), whose larger steps
// left more samples between classes (docs/dgn-ppgn.md).
//
// PPGN's samples are read after 30 steps of the class term alone
// (CodeConfig.Refine), which lets the chain run hotter (ε3 0.7 rather than
// 0.5) for more varied samples that both classifiers still recognise. The
// class term's step is capped at the real codes' spread
// (CodeConfig.ClassStepMax 1), which keeps chains from stalling on images
// where G's output is saturated. The refinement's last 5 steps see G(h)
// unshifted (CodeConfig.RefineUnshifted), as the sample is judged: the
// sampled classifier is then sure of every sample.
func DefaultCode(param string) (CodeConfig, Langevin) {
	eps := Langevin{Eps1: 0.1, Eps2: 5, Eps3: 0.7}
	if param == "ppgn" {
		return CodeConfig{Decay: 0.1, Init: "mean", Jitter: 2, Refine: 30, RefineUnshifted: 5, ClassStepMax: 1}, eps
	}
	return CodeConfig{Decay: 0.1, Init: "random"}, eps
}

func (c Config) code() bool { return c.Param == "dgn" || c.Param == "ppgn" }

func (c *CodeConfig) check(param string, p *models.Plan, desc *models.Descriptor) error {
	g := c.Generator
	if g == nil {
		return fmt.Errorf("am: param %s: model %q has no generator (its descriptor needs a \"generator\" field)", param, desc.Name)
	}
	if param == "ppgn" && g.Prior == nil {
		return fmt.Errorf("am: param ppgn: model %q has no prior on codes (its descriptor needs a \"prior\" field naming the denoising autoencoder's folder)", desc.Name)
	}
	if c.Init == "" {
		c.Init = "random"
	}
	if c.Init != "random" && c.Init != "normal" && c.Init != "mean" {
		return fmt.Errorf("am: code init %q: want random, normal or mean", c.Init)
	}
	if c.Jitter < 0 || c.Jitter >= p.Nodes[0].Shape[0] {
		return fmt.Errorf("am: code jitter %d: want 0 up to the image's side − 1", c.Jitter)
	}
	if c.Refine < 0 || c.Refine > 100000 {
		return fmt.Errorf("am: code refine %d: want 0 to 100000 steps", c.Refine)
	}
	if c.RefineShifts < 0 || c.RefineShifts > 1000 {
		return fmt.Errorf("am: code refine shifts %d: want 0 to 1000", c.RefineShifts)
	}
	if !(c.RefineTemperature == 0 || c.RefineTemperature >= 1 && c.RefineTemperature <= 1000) {
		return fmt.Errorf("am: code refine temperature %v: want 0 (the chain's objective) or 1 to 1000", c.RefineTemperature)
	}
	if c.RefineUnshifted < 0 || c.RefineUnshifted > 100000 {
		return fmt.Errorf("am: code refine unshifted %d: want 0 to 100000 steps", c.RefineUnshifted)
	}
	if !(c.RefineStep >= 0 && c.RefineStep < 1e6) {
		return fmt.Errorf("am: code refine step %v: want 0 (the chain's ε2) or a step size > 0", c.RefineStep)
	}
	if !(c.ClassStepMax >= 0 && c.ClassStepMax < 1e6) {
		return fmt.Errorf("am: code class step max %v: want 0 (no cap) or a multiple of the codes' spread > 0", c.ClassStepMax)
	}
	if c.ClassStepMax > 0 && c.classStepLimit() == 0 {
		return fmt.Errorf("am: code class step max %v: the generator's code statistics have no spread (every std is 0)", c.ClassStepMax)
	}
	if !(c.PixelNoise >= 0 && c.PixelNoise <= 10) {
		return fmt.Errorf("am: code pixel noise %v: want 0 (none) to 10", c.PixelNoise)
	}
	if !(c.Decay >= 0 && c.Decay < 1e6) {
		return fmt.Errorf("am: code decay %v: want ≥ 0", c.Decay)
	}
	out, err := g.G.Node(g.G.Model.Output.Name)
	if err != nil {
		return err
	}
	in := p.Nodes[0].Shape
	if !slices.Equal(out.Shape, in) {
		return fmt.Errorf("am: the generator's output %v is not the model's input %v", out.Shape, in)
	}
	if len(in) != 3 || in[0] != in[1] || (in[2] != 1 && in[2] != 3) {
		return fmt.Errorf("am: param %s: the model's input %v is not a square grey or RGB image", param, in)
	}
	return nil
}

// classStepLimit is the largest norm of the class term's step on one code
// (ClassStepMax·σ), or 0 for no cap.
func (c *CodeConfig) classStepLimit() float64 {
	if c.ClassStepMax <= 0 || c.Generator == nil {
		return 0
	}
	v := 0.0
	for _, s := range c.Generator.Code.Std {
		v += float64(s) * float64(s)
	}
	return c.ClassStepMax * math.Sqrt(v)
}

// codeParam is the state of a "dgn" or "ppgn" render.
type codeParam[Buf, Op any] struct {
	gg       *models.Graph[Buf, Op] // the generator, for the batch
	out      *models.Node           // its image
	h, dh    Buf                    // the codes [B][D] and their gradient (the generator's input and its gradient)
	lo, hi   Buf                    // clipping bounds, per unit, repeated per image
	channels int
	// mats holds each image's shift for this step (CodeConfig.Jitter).
	mats     Buf
	matsHost []float32
	// toModel puts G(h) into the classifier's input range; fromModel takes
	// the input gradient back to G's output.
	toModel, fromModel []Op
	// update is DGN-AM's decay and optimiser step or PPGN's Langevin step,
	// then the clipping.
	update []Op
	// Sample's refinement (CodeConfig.Refine): the chain's codes are kept
	// in saved while ascend (h += ε2·∂objective/∂h, then the clipping)
	// moves a copy. With CodeConfig.RefineShifts K > 1 each step's K
	// gradients are summed in acc (first copies the first, add the
	// others) and ascend adds ε2/K times the sum.
	saved         Buf
	save, restore Op
	ascend        []Op
	acc           Buf
	first, add    Op
	// refineRNG draws the refinement's shifts, apart from the chain's, so
	// that sampling does not change the chain's later steps; unshifted
	// marks the refinement's last steps (CodeConfig.RefineUnshifted).
	refineRNG *rand.Rand
	unshifted bool
	// pixelNoise adds CodeConfig.PixelNoise's draws to the classifier's
	// input. A chain step's draw is numbered by the step, the
	// refinement's from refineNoiseBase on (refineDraws counts them), so
	// that sampling leaves the chain's draws as they were.
	pixelNoise  Random[Op]
	refineDraws uint64
}

// repeat returns v repeated n times.
func repeat(v []float32, n int) []float32 {
	out := make([]float32, 0, n*len(v))
	for range n {
		out = append(out, v...)
	}
	return out
}

// prepareCode lays out the generator for the batch, the glue between it
// and the classifier, the objectives, the update and the first codes.
func (r *Engine[Buf, Op]) prepareCode() error {
	for _, g := range r.groups {
		if g.node == nil {
			return fmt.Errorf("am: param %s: image terms (%s) are not supported on a generator's images", r.cfg.Param, g.kind)
		}
	}
	be, cc := r.be, r.cfg.Code
	gen := cc.Generator
	c := &codeParam[Buf, Op]{}
	r.code = c
	var err error
	if c.out, err = gen.G.Node(gen.G.Model.Output.Name); err != nil {
		return err
	}
	c.channels = c.out.Shape[2]
	r.cfg.Size = c.out.Shape[0]
	B := r.batch
	if c.gg, err = models.Build(models.Backend[Buf, Op](be), gen.G, B, []*models.Node{c.out}, true); err != nil {
		return fmt.Errorf("am: generator: %w", err)
	}
	c.h, c.dh = c.gg.Input, c.gg.Grad[c.gg.Plan.Nodes[0]]
	var err1, err2, err3 error
	c.lo, err1 = r.upload("code.low", repeat(gen.Code.Low, B))
	c.hi, err2 = r.upload("code.high", repeat(gen.Code.High, B))
	if err := firstErr(err1, err2); err != nil {
		return err
	}
	clamp, err := be.Clamp(c.h, c.lo, c.hi)
	if err != nil {
		return err
	}
	img, in, din := c.gg.Out[c.out], r.g.Input, r.g.Grad[r.g.Plan.Nodes[0]]
	seed := c.gg.Seed[c.out]
	var shift, shiftBack []Op
	if cc.Jitter > 0 {
		S := c.out.Shape[0]
		rs := gpu.ResampleShape{N: B, H: S, W: S, C: c.channels, OH: S, OW: S}
		var err1, err2, err3 error
		c.mats, err1 = be.Alloc("code.shifts", 6*B)
		shifted, err2 := be.Alloc("code.shifted", B*S*S*c.channels)
		dshifted, err3 := be.Alloc("code.dshifted", B*S*S*c.channels)
		if err := firstErr(err1, err2, err3); err != nil {
			return err
		}
		fwd, err1 := be.Resample(rs, img, c.mats, shifted)
		bwd, err2 := be.ResampleBackward(rs, dshifted, c.mats, seed)
		if err := firstErr(err1, err2); err != nil {
			return err
		}
		shift, shiftBack = []Op{fwd}, []Op{bwd}
		img, seed = shifted, dshifted
		c.matsHost = make([]float32, 6*B)
	}
	scale := r.hi - r.lo
	toIn, err1 := be.AXPBY(in, img, img, scale, 0)
	toRange, err2 := be.ScaleShift(in, 1, r.lo)
	back, err3 := be.AXPBY(seed, din, din, scale, 0)
	if err := firstErr(err1, err2, err3); err != nil {
		return err
	}
	c.toModel, c.fromModel = append(shift, toIn, toRange), append([]Op{back}, shiftBack...)
	if cc.PixelNoise > 0 {
		spec := gpu.RandSpec{Kind: gpu.RandNormal, Seed: r.cfg.Seed ^ pixelNoiseSeed, Scale: cc.PixelNoise * scale, Add: true}
		if c.pixelNoise, err = be.Random(spec, in); err != nil {
			return err
		}
	}
	if err := r.prepareObjectives(); err != nil {
		return err
	}
	if r.cfg.Param == "ppgn" {
		err = r.preparePPGN(c)
	} else {
		err = r.prepareDGN(c)
	}
	if err != nil {
		return err
	}
	c.update = append(c.update, clamp)
	if c.ascend != nil {
		c.ascend = append(c.ascend, clamp)
	}
	return r.initCode(c, clamp)
}

// prepareDGN prepares dh += Decay·h and the optimiser's step on h.
func (r *Engine[Buf, Op]) prepareDGN(c *codeParam[Buf, Op]) error {
	be := r.be
	n := r.batch * r.code.gg.Plan.Nodes[0].Shape[0]
	t, err := be.Alloc("code.scratch", n)
	if err != nil {
		return err
	}
	decay, err1 := be.AXPBY(t, c.dh, c.h, 1, r.cfg.Code.Decay)
	back, err2 := be.Copy(c.dh, t)
	if err := firstErr(err1, err2); err != nil {
		return err
	}
	r.param, r.dparam, r.paramLen = c.h, c.dh, n
	if err := r.prepareOptimizer(); err != nil {
		return err
	}
	c.update = append([]Op{decay, back}, r.update...)
	return nil
}

// DAEPrior is PPGN's learned prior on codes: a denoising autoencoder R, whose
// reconstruction error approximates the gradient of the log-density of the
// codes it was trained on, R(h) − h ∝ ∂log p(h)/∂h (Alain and Bengio; the
// survey's Eq. 11, ε1 term).
type DAEPrior[Buf, Op any] struct {
	R *models.Plan
}

// LogGrad implements Prior: grad += coef·(R(x) − x), x the batch of codes
// (s.N codes of s.C units).
func (p DAEPrior[Buf, Op]) LogGrad(be Backend[Buf, Op], s gpu.NHWC, x, grad Buf, coef float64) (Op, error) {
	out, err := p.R.Node(p.R.Model.Output.Name)
	if err != nil {
		return *new(Op), err
	}
	g, err := models.Build(models.Backend[Buf, Op](be), p.R, s.N, []*models.Node{out}, false)
	if err != nil {
		return *new(Op), fmt.Errorf("am: prior: %w", err)
	}
	t, err := be.Alloc("prior.scratch", s.Len())
	if err != nil {
		return *new(Op), err
	}
	in, err1 := be.Copy(g.Input, x)
	diff, err2 := be.AXPBY(t, g.Out[out], x, coef, -coef)
	acc, err3 := be.Accumulate(grad, t)
	if err := firstErr(err1, err2, err3); err != nil {
		return *new(Op), err
	}
	return be.Seq(append(append([]Op{in}, g.Forward...), diff, acc)...), nil
}

// preparePPGN prepares the Langevin step of Eq. 11 on h with the DAE prior.
func (r *Engine[Buf, Op]) preparePPGN(c *codeParam[Buf, Op]) error {
	D := c.gg.Plan.Nodes[0].Shape[0]
	s := gpu.NHWC{N: r.batch, H: 1, W: 1, C: D}
	limit := r.cfg.Code.classStepLimit()
	up, noise, err := langevinUpdate(r.be, Prior[Buf, Op](DAEPrior[Buf, Op]{R: r.cfg.Code.Generator.Prior}), s, c.h, c.dh, r.cfg.Langevin, r.cfg.Seed^langevinSeed, limit)
	if err != nil {
		return err
	}
	c.update, r.noise = []Op{up}, noise
	if r.cfg.Code.Refine == 0 {
		return nil
	}
	be := r.be
	var err1, err2, err3 error
	if c.saved, err = be.Alloc("code.saved", s.Len()); err != nil {
		return err
	}
	c.save, err1 = be.Copy(c.saved, c.h)
	c.restore, err2 = be.Copy(c.h, c.saved)
	if err := firstErr(err1, err2); err != nil {
		return err
	}
	grad, eps2 := c.dh, r.cfg.Langevin.Eps2
	if r.cfg.Code.RefineStep > 0 {
		eps2 = r.cfg.Code.RefineStep
	}
	if K := r.cfg.Code.RefineShifts; K > 1 {
		if c.acc, err = be.Alloc("code.refine.acc", s.Len()); err != nil {
			return err
		}
		c.first, err1 = be.Copy(c.acc, c.dh)
		c.add, err2 = be.Accumulate(c.acc, c.dh)
		if err := firstErr(err1, err2); err != nil {
			return err
		}
		grad, eps2 = c.acc, eps2/float64(K)
	}
	scale, err3 := be.ScaleShift(grad, -eps2, 0) // ε2·∂objective/∂h (averaged over the shifts)
	add, err4 := be.Accumulate(c.h, grad)
	if err := firstErr(err3, err4); err != nil {
		return err
	}
	c.ascend = []Op{scale}
	if limit > 0 {
		clip, err := be.ClipNorm(s.N, D, limit, grad)
		if err != nil {
			return err
		}
		c.ascend = append(c.ascend, clip)
	}
	c.ascend = append(c.ascend, add) // the clipping to [low, high] is appended with update's
	c.refineRNG = rand.New(rand.NewPCG(r.cfg.Seed, refineSeed))
	return nil
}

// initCode writes the first codes: the mean code, or per unit a draw from
// N(mean, std²) or N(0, 1), clipped.
func (r *Engine[Buf, Op]) initCode(c *codeParam[Buf, Op], clamp Op) error {
	be := r.be
	st := r.cfg.Code.Generator.Code
	B := r.batch
	draw := func(dst Buf) (Op, error) {
		rnd, err := be.Random(gpu.RandSpec{Kind: gpu.RandNormal, Seed: r.cfg.Seed, Scale: 1}, dst)
		if err != nil {
			return *new(Op), err
		}
		return rnd.Op(), nil
	}
	if r.cfg.Code.Init == "normal" {
		z, err := draw(c.h)
		if err != nil {
			return err
		}
		return be.Submit(z, clamp)
	}
	mean, err := r.upload("code.mean", repeat(st.Mean, B))
	if err != nil {
		return err
	}
	if r.cfg.Code.Init == "mean" {
		cp, err := be.Copy(c.h, mean)
		if err != nil {
			return err
		}
		return be.Submit(cp, clamp)
	}
	std, err1 := r.upload("code.std", repeat(st.Std, B))
	z, err2 := be.Alloc("code.z", B*len(st.Std))
	t, err3 := be.Alloc("code.t", B*len(st.Std))
	if err := firstErr(err1, err2, err3); err != nil {
		return err
	}
	rnd, err1 := draw(z)
	mul, err2 := be.Mul(t, z, std)
	add, err3 := be.AXPBY(c.h, t, mean, 1, 1)
	if err := firstErr(err1, err2, err3); err != nil {
		return err
	}
	return be.Submit(rnd, mul, add, clamp)
}

// codeStep runs one DGN-AM or PPGN step: on the GPU one command buffer,
// nothing read back.
func (r *Engine[Buf, Op]) codeStep() error {
	c := r.code
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
	if err := r.codeGradient(c.update, r.rng, false); err != nil {
		return err
	}
	r.step++
	return nil
}

// codeGradient submits, in one command buffer, G(h), the objectives and
// their gradient back to h (shifting the image first, by shifts drawn from
// rng, where CodeConfig.Jitter asks, unless the refinement's last steps
// say unshifted), then the update ops. A chain step
// records the objectives' values as this step's; a refinement step (Sample)
// records nothing and takes the class term at the refinement's temperature.
func (r *Engine[Buf, Op]) codeGradient(update []Op, rng *rand.Rand, refine bool) error {
	c := r.code
	if c.matsHost != nil {
		J := r.cfg.Code.Jitter
		for i := range r.batch {
			dx, dy := float64(rng.IntN(2*J+1)-J), float64(rng.IntN(2*J+1)-J)
			if c.unshifted {
				dx, dy = 0, 0 // drawn all the same, so that the other steps' shifts do not change
			}
			gpu.Translate(dx, dy).Put(c.matsHost[6*i:])
		}
		if err := r.be.Write(c.mats, c.matsHost); err != nil {
			return err
		}
	}
	ops := append(append([]Op{}, c.gg.Forward...), c.toModel...)
	if c.pixelNoise != nil && !c.unshifted {
		n := uint64(r.step) + 1
		if refine {
			c.refineDraws++
			n = refineNoiseBase + c.refineDraws
		}
		if err := c.pixelNoise.SetCounter(n); err != nil {
			return err
		}
		ops = append(ops, c.pixelNoise.Op())
	}
	ops, err := r.networkOps(ops, false, !refine, refine)
	if err != nil {
		return err
	}
	ops = append(ops, c.fromModel...)
	ops = append(ops, c.gg.Backward...)
	return r.be.Submit(append(ops, update...)...)
}

// Sample returns the images of a "dgn" or "ppgn" render as Images does,
// except that for PPGN with CodeConfig.Refine > 0 each image is drawn after
// Refine steps of the class term alone (each averaged over RefineShifts
// shifts) from a copy of the chain's codes, which are then put back: the
// chain goes on as if Sample had not been called (the refinement's shifts
// come from a random stream of their own).
func (r *Engine[Buf, Op]) Sample(ctx context.Context) ([]float32, error) {
	c := r.code
	if c == nil {
		return nil, fmt.Errorf("am: Sample: param %s has no code", r.cfg.Param)
	}
	if c.ascend == nil {
		return r.codeImages(ctx)
	}
	if err := r.be.Submit(c.save); err != nil {
		return nil, err
	}
	K := max(r.cfg.Code.RefineShifts, 1)
	defer func() { c.unshifted = false }()
	for step := range r.cfg.Code.Refine {
		c.unshifted = step >= r.cfg.Code.Refine-r.cfg.Code.RefineUnshifted
		for k := range K {
			var ops []Op
			switch {
			case K > 1 && k == 0:
				ops = []Op{c.first}
			case K > 1:
				ops = []Op{c.add}
			}
			if k == K-1 {
				ops = append(ops, c.ascend...)
			}
			if err := r.codeGradient(ops, c.refineRNG, true); err != nil {
				return nil, err
			}
		}
	}
	px, err := r.codeImages(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.be.Submit(c.restore); err != nil {
		return nil, err
	}
	return px, nil
}

// codeImages renders G(h) and reads it back as RGB (a grey image's value
// repeated in the three channels).
func (r *Engine[Buf, Op]) codeImages(ctx context.Context) ([]float32, error) {
	c := r.code
	if err := r.be.Submit(c.gg.Forward...); err != nil {
		return nil, err
	}
	px, err := r.be.Read(ctx, c.gg.Out[c.out])
	if err != nil {
		return nil, err
	}
	return greyToRGB(px, c.channels), nil
}

// Codes reads back the codes h being optimised by "dgn" or "ppgn": [B][D].
func (r *Engine[Buf, Op]) Codes(ctx context.Context) ([]float32, error) {
	if r.code == nil {
		return nil, fmt.Errorf("am: param %s has no code", r.cfg.Param)
	}
	return r.be.Read(ctx, r.code.h)
}
