package models_test

import (
	"context"
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

// Declare a network, build its training graph on the GPU and run Adam
// steps: one command buffer per step, nothing read back.
func ExampleNet() {
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	m, err := models.NewNet("tiny", 28, 28, 1).
		Conv2D("conv1", 8, 3, "same", "relu").
		MaxPool("pool1", 2).
		Flatten("flatten").
		Dense("logits", 10, "linear").
		Activation("probs", "softmax").
		Init(1) // Keras's initialisers, seeded
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := models.Lower(m)
	logits, _ := p.Logits()
	be := models.NewGPU(d)
	defer be.Release()
	g, _ := models.BuildGrads[*gpu.Buffer, gpu.Op](be, p, 32, []*models.Node{logits}, models.Grads{Params: true})
	loss, _ := models.NewCrossEntropy(be, g, logits) // writes g.Seed[logits]
	adam, _ := models.NewAdam(be, g.Params, gpu.AdamDefaults(1e-3))
	for step := 1; step <= 10; step++ {
		// Write a batch into g.Input and its one-hot labels into loss.Labels here.
		upd, _ := adam.Step(step)
		ops := []gpu.Op{gpu.Seq(g.Forward), loss.Op, gpu.Seq(g.Backward), upd}
		if step == 1 {
			ops = append([]gpu.Op{adam.Reset()}, ops...)
		}
		if err := d.Run(ops...); err != nil {
			fmt.Println(err)
			return
		}
	}
	// Copy the weights back into m and save it as TF.js layers.
	_ = models.ReadParams(context.Background(), d, g.Params)
	modelJSON, shard, _ := m.Encode("group1-shard1of1.bin", true, nil)
	fmt.Println(len(modelJSON) > 0, len(shard) > 0)
}
