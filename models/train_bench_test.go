package models

import (
	"testing"

	"github.com/hubelviz/hubel/gpu"
)

// BenchmarkTrainStep times one training step (forward, cross-entropy,
// backward with parameter gradients, Adam) of the bundled MNIST
// architecture at batch 64, and logs the median time of each op.
func BenchmarkTrainStep(b *testing.B) {
	d := benchDevice(b, "gpu")
	net := NewNet("bench", 28, 28, 1).
		Conv2D("conv1", 16, 3, "same", "relu").MaxPool("pool1", 2).
		Conv2D("conv2", 32, 3, "same", "relu").MaxPool("pool2", 2).
		Flatten("flatten").Dense("fc1", 128, "relu").Dense("logits", 10, "linear").Activation("probs", "softmax")
	m, err := net.Init(1)
	if err != nil {
		b.Fatal(err)
	}
	p, err := Lower(m)
	if err != nil {
		b.Fatal(err)
	}
	logits, _ := p.Logits()
	be := NewGPU(d)
	defer be.Release()
	g, err := BuildGrads[*gpu.Buffer, gpu.Op](be, p, 64, []*Node{logits}, Grads{Params: true})
	if err != nil {
		b.Fatal(err)
	}
	xent, err := NewCrossEntropy(be, g, logits)
	if err != nil {
		b.Fatal(err)
	}
	adam, err := NewAdam(be, g.Params, gpu.AdamDefaults(1e-3))
	if err != nil {
		b.Fatal(err)
	}
	upd, _ := adam.Step(1)
	if err := d.Run(adam.Reset()); err != nil {
		b.Fatal(err)
	}
	for i, op := range g.Forward {
		t, _ := d.Time(op, 3, 3)
		b.Logf("forward %d: %v", i, t)
	}
	for i, op := range g.Backward {
		t, _ := d.Time(op, 3, 3)
		b.Logf("backward %d: %v", i, t)
	}
	t, _ := d.Time(upd, 3, 3)
	b.Logf("adam: %v", t)
	step := gpu.Seq{gpu.Seq(g.Forward), xent.Op, gpu.Seq(g.Backward), upd}
	b.ResetTimer()
	for range b.N {
		if err := d.Run(step); err != nil {
			b.Fatal(err)
		}
		if err := d.Sync(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
