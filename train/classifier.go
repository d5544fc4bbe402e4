package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

// Archs are the classifier architectures hubel train knows, by name. Each
// takes 28×28×1 images in [0, 1] and ends in logits and a softmax; the
// layers worth visualising are listed by Visualised.
var Archs = map[string]func(name string) *models.Net{
	// cnn: the main classifier. fc1 is the penultimate code h.
	"cnn": func(name string) *models.Net {
		return models.NewNet(name, 28, 28, 1).
			Conv2D("conv1", 16, 3, "same", "relu").
			MaxPool("pool1", 2).
			Conv2D("conv2", 32, 3, "same", "relu").
			MaxPool("pool2", 2).
			Flatten("flatten").
			Dense("fc1", 128, "relu").
			Dense("logits", 10, "linear").
			Activation("probs", "softmax")
	},
	// judge: the independent judge of synthesised images, another
	// architecture than cnn: three narrower 3×3 convolutions, each
	// followed by pooling, and a 64-unit code.
	"judge": func(name string) *models.Net {
		return models.NewNet(name, 28, 28, 1).
			Conv2D("conv1", 8, 3, "same", "relu").
			MaxPool("pool1", 2).
			Conv2D("conv2", 16, 3, "same", "relu").
			MaxPool("pool2", 2).
			Conv2D("conv3", 32, 3, "same", "relu").
			MaxPool("pool3", 2).
			Flatten("flatten").
			Dense("fc1", 64, "relu").
			Dense("logits", 10, "linear").
			Activation("probs", "softmax")
	},
}

// ArchNames lists Archs' keys, sorted.
func ArchNames() []string {
	var out []string
	for k := range Archs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Visualised are the layers of a classifier worth visualising: its
// convolutions, fc1 and the logits.
var Visualised = []string{"conv1", "conv2", "fc1", "logits"}

// Config is a training run.
type Config struct {
	Data   *Dataset
	Arch   string
	Name   string // the model's name (default dataset_arch)
	Seed   uint64
	Epochs int
	Batch  int     // default 64
	LR     float64 // Adam's initial learning rate, default 1e-3
	// Decay multiplies the learning rate after each epoch (default 0.6).
	Decay float64
	// LogEvery is the number of steps between read-backs of the batch's
	// loss and accuracy (default 200).
	LogEvery int
	Log      io.Writer
	// MaxSteps, when positive, stops training after that many steps (for
	// smoke tests).
	MaxSteps int
}

func (c *Config) defaults() {
	if c.Batch == 0 {
		c.Batch = 64
	}
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Decay == 0 {
		c.Decay = 0.6
	}
	if c.LogEvery == 0 {
		c.LogEvery = 200
	}
	if c.Name == "" {
		c.Name = c.Data.Name + "_" + c.Arch
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Classifier trains a classifier on c.Data's training split on the GPU:
// seeded Keras initialisation, shuffling from a PCG seeded with c.Seed,
// softmax cross-entropy, Adam over every parameter. Each step is one
// command buffer (the batch and its labels written before it); the loss
// and accuracy are read back every c.LogEvery steps. The same seed on the
// same adapter gives the same model.
func Classifier(ctx context.Context, d *gpu.Device, c Config) (*models.Model, error) {
	c.defaults()
	arch, ok := Archs[c.Arch]
	if !ok {
		return nil, fmt.Errorf("train: unknown architecture %q (want one of %s)", c.Arch, strings.Join(ArchNames(), ", "))
	}
	if c.Epochs < 1 {
		return nil, fmt.Errorf("train: epochs %d, want ≥ 1", c.Epochs)
	}
	be := models.NewGPU(d)
	defer be.Release()
	t, err := trainable(be, arch(c.Name), c.Seed, c.Batch, "logits", models.Grads{Params: true}, gpu.AdamDefaults(c.LR))
	if err != nil {
		return nil, err
	}
	m, g, adam := t.m, t.g, t.adam
	xent, err := models.NewCrossEntropy(be, g, t.out)
	if err != nil {
		return nil, err
	}
	tr := &c.Data.Train
	classes := len(c.Data.Classes)
	x := make([]float32, g.Input.Len)
	onehot := make([]float32, c.Batch*classes)
	labels := make([]uint8, c.Batch)
	rng := rand.New(rand.NewPCG(c.Seed, 0x73687566))
	start := time.Now()
	step := 0
	perEpoch := tr.N / c.Batch
	fmt.Fprintf(c.Log, "train %s: %s on %s, %d parameters, batch %d, %d steps per epoch, adapter %s\n",
		c.Name, c.Arch, c.Data.Name, countParams(g.Params), c.Batch, perEpoch, d.Adapter)
	for epoch := range c.Epochs {
		lr := c.LR * math.Pow(c.Decay, float64(epoch))
		if err := adam.SetLR(lr); err != nil {
			return nil, err
		}
		perm := rng.Perm(tr.N)
		var lossSum, accSum float64
		var seen int
		for b := range perEpoch {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if c.MaxSteps > 0 && step >= c.MaxSteps {
				break
			}
			idx := perm[b*c.Batch : (b+1)*c.Batch]
			tr.Batch(idx, x)
			for k, i := range idx {
				labels[k] = tr.Labels[i]
			}
			models.OneHot(onehot, labels, classes)
			if err := g.Input.Write(x); err != nil {
				return nil, err
			}
			if err := xent.Labels.Write(onehot); err != nil {
				return nil, err
			}
			step++
			upd, err := adam.Step(step)
			if err != nil {
				return nil, err
			}
			ops := []gpu.Op{gpu.Seq(g.Forward), xent.Op, gpu.Seq(g.Backward), upd}
			if step == 1 {
				ops = append([]gpu.Op{adam.Reset()}, ops...)
			}
			if err := d.Run(ops...); err != nil {
				return nil, fmt.Errorf("train: step %d: %w", step, err)
			}
			if step%c.LogEvery == 0 || b == perEpoch-1 {
				probs, err := d.Read(ctx, xent.Probs)
				if err != nil {
					return nil, err
				}
				loss, acc := batchLoss(probs, labels, classes)
				lossSum += loss
				accSum += acc
				seen++
				fmt.Fprintf(c.Log, "epoch %d step %d lr %.2g: batch loss %.4f accuracy %.3f (%s)\n",
					epoch+1, step, lr, loss, acc, time.Since(start).Round(time.Second))
			}
		}
		fmt.Fprintf(c.Log, "epoch %d done: mean sampled batch loss %.4f accuracy %.4f, %s\n",
			epoch+1, lossSum/float64(max(seen, 1)), accSum/float64(max(seen, 1)), time.Since(start).Round(time.Second))
	}
	if err := models.ReadParams(ctx, d, g.Params); err != nil {
		return nil, err
	}
	return m, nil
}

func countParams(ps []models.Param[*gpu.Buffer]) int {
	n := 0
	for _, p := range ps {
		n += p.Value.Len
	}
	return n
}

// batchLoss is the mean cross-entropy and accuracy of a batch's softmax
// outputs.
func batchLoss(probs []float32, labels []uint8, classes int) (loss, acc float64) {
	for r, l := range labels {
		row := probs[r*classes : (r+1)*classes]
		loss -= math.Log(math.Max(float64(row[l]), 1e-30))
		if argmax(row) == int(l) {
			acc++
		}
	}
	n := float64(len(labels))
	return loss / n, acc / n
}

// argmax returns the index of the largest value, the first on ties.
func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
