package am

import "github.com/hubelviz/hubel/gpu"

// Prior is the ε1 term of the survey's Langevin sampler (its Eq. 11): a
// prior p(x) over what is sampled. In pixel space hubel uses
// SmoothnessPrior; a generator's code space (PPGN) plugs in a denoising
// autoencoder's reconstruction error instead.
type Prior[Buf, Op any] interface {
	// LogGrad prepares grad += coef·∂log p(x)/∂x for the batch x of shape s.
	LogGrad(be Backend[Buf, Op], s gpu.NHWC, x, grad Buf, coef float64) (Op, error)
}

// SmoothnessPrior is the Gaussian smoothness prior
// log p(x) = −TV²(x) + const, TV² the sum over channels of squared
// differences of horizontally and vertically adjacent pixels: a Gaussian
// Markov random field favouring smooth images.
type SmoothnessPrior[Buf, Op any] struct{}

// LogGrad implements Prior: grad += −coef·∂TV²/∂x.
func (SmoothnessPrior[Buf, Op]) LogGrad(be Backend[Buf, Op], s gpu.NHWC, x, grad Buf, coef float64) (Op, error) {
	var none Buf
	return be.Regularize(s, gpu.Regularizer{Kind: gpu.RegTVSquared, Coef: -coef}, x, grad, none)
}

// LangevinUpdate prepares one step of the survey's Eq. 11 on x (shape s),
//
//	x ← x + ε1·∂log p(x)/∂x + ε2·∂log p(y=c|x)/∂x + N(0, ε3²),
//
// given dloss = −∂log p(y=c|x)/∂x (the gradient of the loss being
// minimised, which it overwrites). The noise is Philox normal draws of seed
// with the counter the caller sets on noise before each step, so that each
// step draws fresh noise and a chain is reproducible.
func LangevinUpdate[Buf, Op any](be Backend[Buf, Op], prior Prior[Buf, Op], s gpu.NHWC, x, dloss Buf, eps Langevin, seed uint64) (update Op, noise Random[Op], err error) {
	return langevinUpdate(be, prior, s, x, dloss, eps, seed, 0)
}

// langevinUpdate is LangevinUpdate with, for classMax > 0, the class term's
// step ε2·∂log p(y=c|x)/∂x of each of the s.N items capped at Euclidean
// norm classMax (Backend.ClipNorm) before the prior's term joins it.
func langevinUpdate[Buf, Op any](be Backend[Buf, Op], prior Prior[Buf, Op], s gpu.NHWC, x, dloss Buf, eps Langevin, seed uint64, classMax float64) (update Op, noise Random[Op], err error) {
	scale, err1 := be.ScaleShift(dloss, -eps.Eps2, 0) // ε2·∂log p(y|x)/∂x
	pr, err2 := prior.LogGrad(be, s, x, dloss, eps.Eps1)
	add, err3 := be.Accumulate(x, dloss)
	noise, err4 := be.Random(gpu.RandSpec{Kind: gpu.RandNormal, Seed: seed, Scale: eps.Eps3, Add: true}, x)
	if err := firstErr(err1, err2, err3, err4); err != nil {
		return update, nil, err
	}
	ops := []Op{scale}
	if classMax > 0 {
		clip, err := be.ClipNorm(s.N, s.Len()/s.N, classMax, dloss)
		if err != nil {
			return update, nil, err
		}
		ops = append(ops, clip)
	}
	return be.Seq(append(ops, pr, add, noise.Op())...), noise, nil
}

// langevinSeed keeps the sampler's noise apart from the initialisation's.
const langevinSeed = 0x4c616e676576696e

// refineSeed keeps the stream of PPGN refinement shifts (Sample) apart
// from the chain's.
const refineSeed = 0x726566696e65

// pixelNoiseSeed keeps CodeConfig.PixelNoise's draws apart from the
// others; refineNoiseBase puts the refinement's draws past any chain's.
const (
	pixelNoiseSeed  = 0x7069786e6f697365
	refineNoiseBase = 1 << 40
)

func (r *Engine[Buf, Op]) prepareLangevin(prior Prior[Buf, Op]) error {
	up, noise, err := LangevinUpdate(r.be, prior, r.imageShape(), r.t, r.dt, r.cfg.Langevin, r.cfg.Seed^langevinSeed)
	if err != nil {
		return err
	}
	r.update, r.noise = []Op{up}, noise
	return nil
}
