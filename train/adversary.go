package train

import (
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

// The generator's optional adversarial term (the survey's §3: its generator
// "was trained using the GAN loss to improve the image realism"): a
// discriminator D learns to tell the batch's real images from G's drawings
// of their codes, and G is pushed towards images D takes for real.

// DiscriminatorNet is the discriminator for h×w×1 images: two 3×3
// convolutions with pooling and two logits, real (0) and generated (1).
func DiscriminatorNet(h, w int) *models.Net {
	return models.NewNet("discriminator", h, w, 1).
		Conv2D("conv1", 8, 3, "same", "relu").
		MaxPool("pool1", 2).
		Conv2D("conv2", 16, 3, "same", "relu").
		MaxPool("pool2", 2).
		Flatten("flatten").
		Dense("logits", 2, "linear").
		Activation("probs", "softmax")
}

// adversary is D laid out for one batch of 2B images: the B real ones
// first (written by the caller into Input), then G's B drawings.
type adversary struct {
	g    *models.GPUGraph
	adam *models.Adam
	// judge is D's loss, cross-entropy against the true sources; its
	// Probs are what the log reads.
	judge *models.CrossEntropy
	// Op copies G's images in, runs D, adds the adversarial gradient to
	// G's seed and leaves D's parameter gradients for the Adam step.
	Op gpu.Seq
}

// Input is where the caller writes the batch's real images (the first B
// of 2B).
func (a *adversary) Input() *gpu.Buffer { return a.g.Input }

// newAdversary builds D (initialised from seed) on be for G's images img
// (B images of h×w), adding to seed, G's image gradient, weight times the
// gradient of the non-saturating loss mean over the B images of
// −log D_real(G(h)).
func newAdversary(be *models.GPU, own *releaser, net *models.Net, seed uint64, B int, lr, weight float64, img, gseed *gpu.Buffer) (*adversary, error) {
	d := be.D
	// Adam with β1 = 0.5, as GANs are usually trained: D's target moves.
	cfg := gpu.AdamDefaults(lr)
	cfg.Beta1 = 0.5
	t, err := trainable(be, net, seed, 2*B, "logits", models.Grads{Params: true, Input: true}, cfg)
	if err != nil {
		return nil, err
	}
	g, logits, adam := t.g, t.out, t.adam
	P := g.Input.Len / (2 * B)
	if img.Len != B*P {
		return nil, fmt.Errorf("train: discriminator takes %d floats per image, the generator draws %d", P, img.Len/B)
	}
	judge, err := models.NewCrossEntropy(be, g, logits)
	if err != nil {
		return nil, err
	}
	fool, err := models.NewCrossEntropy(be, g, logits)
	if err != nil {
		return nil, err
	}
	src := make([]uint8, 2*B)
	for i := B; i < 2*B; i++ {
		src[i] = 1
	}
	lab := make([]float32, 2*B*2)
	models.OneHot(lab, src, 2)
	if err := judge.Labels.Write(lab); err != nil {
		return nil, err
	}
	models.OneHot(lab, make([]uint8, 2*B), 2) // every image labelled real
	if err := fool.Labels.Write(lab); err != nil {
		return nil, err
	}
	fake, err := be.Alloc("adv.dimg", B*P)
	if err != nil {
		return nil, err
	}
	// The cross-entropy's gradient is a mean over 2B rows; the loss is a
	// mean over B, hence 2·weight.
	acc, err := d.Accumulate(gseed, fake, 2*weight)
	if err != nil {
		return nil, err
	}
	own.keep(acc)
	dx := g.Grad[g.Plan.Nodes[0]]
	// Two backward passes: G needs D's input gradient of the fooling loss,
	// D its parameter gradients of its own. The first pass's parameter
	// gradients are overwritten by the second's; the graph has no backward
	// without them, and the term is off by default.
	op := gpu.Seq{
		gpu.CopyRangeOp{Dst: g.Input, DstOff: B * P, Src: img, N: B * P},
		gpu.Seq(g.Forward),
		fool.Op, gpu.Seq(g.Backward),
		gpu.CopyRangeOp{Dst: fake, Src: dx, SrcOff: B * P, N: B * P}, acc,
		judge.Op, gpu.Seq(g.Backward),
	}
	return &adversary{g: g, adam: adam, judge: judge, Op: op}, nil
}

// realFake is D's mean probability of "real" on the real half and on the
// generated half of a batch, from judge.Probs.
func realFake(probs []float32) (real, fake float64) {
	B := len(probs) / 4
	for i := range B {
		real += float64(probs[2*i])
		fake += float64(probs[2*(B+i)])
	}
	return real / float64(B), fake / float64(B)
}
