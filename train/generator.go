package train

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

// What DGN-AM and PPGN need beside a classifier (the survey's sections 3
// and 4): a generator G trained to invert the classifier, from the code
// h = fc1(x) back to x, and a denoising autoencoder R on codes, the learned
// prior of the PPGN sampler. Both train on the GPU like the classifiers:
// one command buffer per step, Adam over every parameter.

// Codes runs images idx of split s through classifier p and returns the
// codes of layer code ([len(idx)][units], row-major) and their statistics:
// per unit the low clipping bound 0 (codes are post-ReLU), the high bound at
// the 99th percentile, mean and standard deviation.
func Codes(ctx context.Context, d *gpu.Device, p *models.Plan, code string, s *Split, idx []int) ([]float32, models.CodeStats, error) {
	st := models.CodeStats{Layer: code}
	n, err := p.Node(code)
	if err != nil {
		return nil, st, err
	}
	if len(n.Shape) != 1 {
		return nil, st, fmt.Errorf("train: code layer %q has shape %v, want a vector", code, n.Shape)
	}
	D := n.Shape[0]
	codes := make([]float32, len(idx)*D)
	err = Units(ctx, "gpu", d, p, s, idx, []*models.Node{n}, 256, func(start int, units [][]float32) error {
		copy(codes[start*D:], units[0])
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	col := make([]float64, len(idx))
	for u := range D {
		var sum, sq float64
		for i := range idx {
			v := float64(codes[i*D+u])
			col[i] = v
			sum += v
			sq += v * v
		}
		mean := sum / float64(len(idx))
		slices.Sort(col)
		st.Low = append(st.Low, float32(math.Min(0, col[0])))
		st.High = append(st.High, float32(col[min(len(col)-1, int(0.99*float64(len(col))))]))
		st.Mean = append(st.Mean, float32(mean))
		st.Std = append(st.Std, float32(math.Sqrt(math.Max(sq/float64(len(idx))-mean*mean, 0))))
	}
	return codes, st, nil
}

// GeneratorNet is the generator's architecture for 28×28×1 images from a
// code of width units: a dense layer to 7×7×32, nearest upsampling and a
// 3×3 convolution to 14×14×16, upsampling again and a 3×3 convolution to a
// sigmoid image. It is small (about 1.2M multiply-adds per image) so that
// it trains in minutes on a CPU adapter.
func GeneratorNet(units int) *models.Net { return upsamplingGenerator(units, 32, 16, 0) }

// WideGeneratorNet is a larger generator: twice the channels at 7×7 and
// 14×14, and a 3×3 convolution of 16 channels at full resolution before
// the image, so that it can draw detail a single convolution after the
// last upsampling cannot (about 7.7M multiply-adds per image).
func WideGeneratorNet(units int) *models.Net { return upsamplingGenerator(units, 64, 32, 16) }

// upsamplingGenerator maps a code of width units to a 28×28×1 sigmoid
// image: a dense layer to 7×7×c7, nearest upsampling and a 3×3
// convolution to 14×14×c14, upsampling again, a 3×3 convolution to c28
// channels when c28 > 0, and a 3×3 convolution to the image.
func upsamplingGenerator(units, c7, c14, c28 int) *models.Net {
	up := func(name string) (string, string, map[string]any) {
		return "UpSampling2D", name, map[string]any{"size": []int{2, 2}, "interpolation": "nearest"}
	}
	n := models.NewNet("generator", units).
		Dense("fc", 7*7*c7, "relu").
		Layer("Reshape", "reshape", map[string]any{"target_shape": []int{7, 7, c7}}).
		Layer(up("up1")).
		Conv2D("conv1", c14, 3, "same", "relu").
		Layer(up("up2"))
	if c28 > 0 {
		n = n.Conv2D("conv2", c28, 3, "same", "relu")
	}
	return n.Conv2D("image", 1, 3, "same", "sigmoid")
}

// GeneratorArchs are the generator architectures train-generator knows, by
// name.
var GeneratorArchs = map[string]func(units int) *models.Net{
	"small": GeneratorNet,
	"wide":  WideGeneratorNet,
}

// GeneratorArch returns the generator architecture called name, or an
// error that lists the known ones.
func GeneratorArch(name string) (func(units int) *models.Net, error) {
	if arch, ok := GeneratorArchs[name]; ok {
		return arch, nil
	}
	return nil, fmt.Errorf("%q: want one of %v", name, slices.Sorted(maps.Keys(GeneratorArchs)))
}

// DAENet is the denoising autoencoder's architecture on codes of width
// units: one hidden layer of 2·units ReLUs, a linear reconstruction.
func DAENet(units int) *models.Net {
	return models.NewNet("dae", units).
		Dense("enc", 2*units, "relu").
		Dense("dec", units, "linear")
}

// GenConfig is the training of a generator or a DAE.
type GenConfig struct {
	// Arch names the generator's architecture in GeneratorArchs (default
	// "small"); the DAE's is DAENet.
	Arch  string
	Seed  uint64
	Steps int
	Batch int     // default 64
	LR    float64 // Adam's learning rate, default 1e-3, halved at 1/2 and 3/4 of the steps
	// Feature is the classifier layer of the generator's feature loss and
	// FeatureWeight its weight (0: pixel loss only).
	Feature       string
	FeatureWeight float64
	// Adversarial is the weight of the generator's GAN term (0: none):
	// a discriminator trained beside G, see DiscriminatorNet.
	Adversarial float64
	// Noise is the DAE's corruption: h + N(0, (Noise·std_u)²) per unit.
	Noise    float64
	LogEvery int // default 200
	Log      io.Writer
}

func (c *GenConfig) defaults() {
	if c.Batch == 0 {
		c.Batch = 64
	}
	if c.Arch == "" {
		c.Arch = "small"
	}
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.LogEvery == 0 {
		c.LogEvery = 200
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// lrAt is the step's learning rate: c.LR, halved at 1/2 and 3/4 of the run.
func (c *GenConfig) lrAt(step int) float64 {
	lr := c.LR
	if step > c.Steps/2 {
		lr /= 2
	}
	if step > 3*c.Steps/4 {
		lr /= 2
	}
	return lr
}

// Generator trains G to invert classifier clf: from the codes of images
// idx of s (codes, as Codes returns them) back to the images, with the
// loss (per image) mean((G(h) − x)²) + FeatureWeight·mean((F(G(h)) −
// F(x))²), F the classifier's Feature layer, + Adversarial·(−log
// D_real(G(h))) when Adversarial > 0, D a discriminator trained beside G
// (see newAdversary). Batches are drawn with a PCG seeded with c.Seed; the
// initial weights come from the same seed.
func Generator(ctx context.Context, d *gpu.Device, clf *models.Plan, s *Split, idx []int, codes []float32, c GenConfig) (*models.Model, error) {
	c.defaults()
	D := len(codes) / len(idx)
	be := models.NewGPU(d)
	defer be.Release()
	arch, err := GeneratorArch(c.Arch)
	if err != nil {
		return nil, fmt.Errorf("train: generator architecture %w", err)
	}
	t, err := trainable(be, arch(D), c.Seed, c.Batch, "image", models.Grads{Params: true}, gpu.AdamDefaults(c.LR))
	if err != nil {
		return nil, err
	}
	m, out, g, adam := t.m, t.out, t.g, t.adam
	var own releaser
	defer own.release()
	B := c.Batch
	P := s.H * s.W
	x, err := be.Alloc("gen.x", B*P)
	if err != nil {
		return nil, err
	}
	img, seed := g.Out[out], g.Seed[out]
	pix, err := d.AXPBY(seed, img, x, 2/float64(B*P), -2/float64(B*P))
	if err != nil {
		return nil, err
	}
	own.keep(pix)
	loss := gpu.Seq{pix}
	if c.FeatureWeight > 0 {
		f, err := featureLoss(be, &own, clf, c.Feature, c.FeatureWeight, B, img, x, seed)
		if err != nil {
			return nil, err
		}
		loss = append(loss, f)
	}
	var adv *adversary
	if c.Adversarial > 0 {
		adv, err = newAdversary(be, &own, DiscriminatorNet(s.H, s.W), c.Seed^0x646973, B, c.LR, c.Adversarial, img, seed)
		if err != nil {
			return nil, err
		}
		loss = append(loss, adv.Op)
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x67656e))
	hb := make([]float32, B*D)
	xb := make([]float32, B*P)
	pick := make([]int, B)
	start := time.Now()
	fmt.Fprintf(c.Log, "generator: %d codes of %d units, batch %d, %d steps, feature %q × %g, adversarial × %g, adapter %s\n",
		len(idx), D, B, c.Steps, c.Feature, c.FeatureWeight, c.Adversarial, d.Adapter)
	for step := 1; step <= c.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for k := range pick {
			pick[k] = rng.IntN(len(idx))
			copy(hb[k*D:(k+1)*D], codes[pick[k]*D:])
			s.Image(idx[pick[k]], xb[k*P:(k+1)*P])
		}
		if err := g.Input.Write(hb); err != nil {
			return nil, err
		}
		if err := x.Write(xb); err != nil {
			return nil, err
		}
		if err := adam.SetLR(c.lrAt(step)); err != nil {
			return nil, err
		}
		upd, err := adam.Step(step)
		if err != nil {
			return nil, err
		}
		ops := []gpu.Op{gpu.Seq(g.Forward), loss}
		if adv != nil {
			if err := adv.Input().WriteAt(0, xb); err != nil {
				return nil, err
			}
			if err := adv.adam.SetLR(c.lrAt(step)); err != nil {
				return nil, err
			}
			dupd, err := adv.adam.Step(step)
			if err != nil {
				return nil, err
			}
			// D's step uses the gradients the loss left; G's seed is already taken.
			ops = append(ops, dupd)
			if step == 1 {
				ops = append([]gpu.Op{adv.adam.Reset()}, ops...)
			}
		}
		ops = append(ops, gpu.Seq(g.Backward), upd)
		if step == 1 {
			ops = append([]gpu.Op{adam.Reset()}, ops...)
		}
		if err := d.Run(ops...); err != nil {
			return nil, fmt.Errorf("train: generator step %d: %w", step, err)
		}
		if step%c.LogEvery == 0 || step == c.Steps {
			got, err := d.Read(ctx, img)
			if err != nil {
				return nil, err
			}
			var judged string
			if adv != nil {
				probs, err := d.Read(ctx, adv.judge.Probs)
				if err != nil {
					return nil, err
				}
				r, f := realFake(probs)
				judged = fmt.Sprintf(", discriminator p(real) %.3f on real, %.3f on drawn", r, f)
			}
			fmt.Fprintf(c.Log, "generator step %d lr %.2g: pixel mse %.5f%s (%s)\n", step, c.lrAt(step), mse(got, xb), judged, time.Since(start).Round(time.Second))
		}
	}
	if err := models.ReadParams(ctx, d, g.Params); err != nil {
		return nil, err
	}
	return m, nil
}

// featureLoss adds to seed (the gradient of the loss with respect to the
// generated images img) the gradient of w·mean((F(img) − F(x))²), F the
// classifier's layer feature, recorded as: F(x) into a buffer, then F(img),
// its seed, and the backward pass to the classifier's input.
func featureLoss(be *models.GPU, own *releaser, clf *models.Plan, feature string, w float64, B int, img, x, seed *gpu.Buffer) (gpu.Op, error) {
	d := be.D
	fn, err := clf.Node(feature)
	if err != nil {
		return nil, err
	}
	f, err := models.BuildGrads[*gpu.Buffer, gpu.Op](be, clf, B, []*models.Node{fn}, models.Grads{Input: true})
	if err != nil {
		return nil, err
	}
	Q := f.Elems(fn)
	fx, err := be.Alloc("gen.fx", Q)
	if err != nil {
		return nil, err
	}
	var ops gpu.Seq
	add := func(op gpu.Op, err error) error {
		if err != nil {
			return err
		}
		own.keep(op)
		ops = append(ops, op)
		return nil
	}
	if err := add(d.AXPBY(f.Input, x, x, 1, 0)); err != nil {
		return nil, err
	}
	ops = append(ops, gpu.Seq(f.Forward))
	if err := add(d.AXPBY(fx, f.Out[fn], f.Out[fn], 1, 0)); err != nil {
		return nil, err
	}
	if err := add(d.AXPBY(f.Input, img, img, 1, 0)); err != nil {
		return nil, err
	}
	ops = append(ops, gpu.Seq(f.Forward))
	a := 2 * w / float64(Q)
	if err := add(d.AXPBY(f.Seed[fn], f.Out[fn], fx, a, -a)); err != nil {
		return nil, err
	}
	ops = append(ops, gpu.Seq(f.Backward))
	if err := add(d.Accumulate(seed, f.Grad[clf.Nodes[0]], 1)); err != nil {
		return nil, err
	}
	return ops, nil
}

// DAE trains the denoising autoencoder R on codes (rows of width len(st.Std))
// to reconstruct each code from a corrupted copy, h + N(0, (c.Noise·std_u)²),
// with the loss mean((R(h̃) − h)²).
func DAE(ctx context.Context, d *gpu.Device, codes []float32, st models.CodeStats, c GenConfig) (*models.Model, error) {
	c.defaults()
	D := len(st.Std)
	N := len(codes) / D
	be := models.NewGPU(d)
	defer be.Release()
	t, err := trainable(be, DAENet(D), c.Seed, c.Batch, "dec", models.Grads{Params: true}, gpu.AdamDefaults(c.LR))
	if err != nil {
		return nil, err
	}
	m, out, g, adam := t.m, t.out, t.g, t.adam
	var own releaser
	defer own.release()
	B := c.Batch
	clean, err := be.Alloc("dae.h", B*D)
	if err != nil {
		return nil, err
	}
	a := 2 / float64(B*D)
	loss, err := d.AXPBY(g.Seed[out], g.Out[out], clean, a, -a)
	if err != nil {
		return nil, err
	}
	own.keep(loss)
	rng := rand.New(rand.NewPCG(c.Seed, 0x646165))
	hb, nb := make([]float32, B*D), make([]float32, B*D)
	start := time.Now()
	fmt.Fprintf(c.Log, "dae: %d codes of %d units, noise %g·std, batch %d, %d steps, adapter %s\n", N, D, c.Noise, B, c.Steps, d.Adapter)
	for step := 1; step <= c.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for k := range B {
			i := rng.IntN(N)
			copy(hb[k*D:(k+1)*D], codes[i*D:])
			for u := range D {
				nb[k*D+u] = hb[k*D+u] + float32(rng.NormFloat64()*c.Noise*float64(st.Std[u]))
			}
		}
		if err := g.Input.Write(nb); err != nil {
			return nil, err
		}
		if err := clean.Write(hb); err != nil {
			return nil, err
		}
		if err := adam.SetLR(c.lrAt(step)); err != nil {
			return nil, err
		}
		upd, err := adam.Step(step)
		if err != nil {
			return nil, err
		}
		ops := []gpu.Op{gpu.Seq(g.Forward), loss, gpu.Seq(g.Backward), upd}
		if step == 1 {
			ops = append([]gpu.Op{adam.Reset()}, ops...)
		}
		if err := d.Run(ops...); err != nil {
			return nil, fmt.Errorf("train: dae step %d: %w", step, err)
		}
		if step%c.LogEvery == 0 || step == c.Steps {
			got, err := d.Read(ctx, g.Out[out])
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(c.Log, "dae step %d: reconstruction mse %.5f, corrupted input mse %.5f (%s)\n", step, mse(got, hb), mse(nb, hb), time.Since(start).Round(time.Second))
		}
	}
	if err := models.ReadParams(ctx, d, g.Params); err != nil {
		return nil, err
	}
	return m, nil
}

func mse(a, b []float32) float64 {
	s := 0.0
	for i := range b {
		e := float64(a[i]) - float64(b[i])
		s += e * e
	}
	return s / float64(len(b))
}

// releaser frees the ops a training run prepared outside the backend.
type releaser []interface{ Release() }

func (r *releaser) keep(op gpu.Op) {
	if x, ok := op.(interface{ Release() }); ok {
		*r = append(*r, x)
	}
}

func (r *releaser) release() {
	for _, x := range *r {
		x.Release()
	}
	*r = nil
}

// WriteNet saves a generator or autoencoder into dir: model.json and its
// float16 shard (TF.js layers format), TRAINING.md with the command that
// made it, and the extra files given.
func WriteNet(dir string, m *models.Model, command, notes string, extra map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	mj, w, err := m.Encode(Shard, true, map[string]any{"hubel_command": command})
	if err != nil {
		return err
	}
	files := map[string][]byte{"model.json": mj, Shard: w,
		"TRAINING.md": fmt.Appendf(nil, "# %s\n\nMade by:\n\n    %s\n\n%s", m.Name, command, notes)}
	for k, v := range extra {
		files[k] = v
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	return nil
}

// trainee is a network initialised and laid out for training.
type trainee struct {
	m    *models.Model
	out  *models.Node
	g    *models.Graph[*gpu.Buffer, gpu.Op]
	adam *models.Adam
}

// trainable initialises net from seed and lays it out on be for batch
// inputs, with the gradients want from the node named out and Adam with
// cfg: the setup every network trained here shares.
func trainable(be *models.GPU, net *models.Net, seed uint64, batch int, out string, want models.Grads, cfg gpu.AdamConfig) (trainee, error) {
	var t trainee
	m, err := net.Init(seed)
	if err != nil {
		return t, err
	}
	p, err := models.Lower(m)
	if err != nil {
		return t, err
	}
	n, err := p.Node(out)
	if err != nil {
		return t, err
	}
	g, err := models.BuildGrads[*gpu.Buffer, gpu.Op](be, p, batch, []*models.Node{n}, want)
	if err != nil {
		return t, err
	}
	adam, err := models.NewAdam(be, g.Params, cfg)
	if err != nil {
		return t, err
	}
	return trainee{m, n, g, adam}, nil
}
