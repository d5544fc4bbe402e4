package am_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hubelviz/hubel/am"
	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

// Render a channel of MobileNet with an L2 penalty, the survey's options
// (mean-image start, gradient blur, centre bias) and SGD with momentum, on
// the GPU; on a machine without one, am.NewCPURenderer runs the same loop.
func Example() {
	dir := "../../shared/models/mobilenet_v1_0.75_224"
	m, err := models.LoadDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	desc, err := models.LoadDescriptor(context.Background(), models.Dir(dir), m)
	if err != nil {
		log.Fatal(err)
	}
	plan, err := models.Lower(m)
	if err != nil {
		log.Fatal(err)
	}
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	obj := am.Channel("conv_pw_7_relu", 12).Minus(am.L2().Scale(0.1))
	cfg := am.Config{Size: 128, Steps: 256, Param: "pixel", Init: "mean", GradBlur: 0.5, CenterBias: 0.3,
		Optimizer: "sgd", Momentum: 0.9, LR: 20}
	r, err := am.NewRenderer(d, plan, desc, []am.Objective{obj, am.LogSoftmax(249)}, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Release()
	for range cfg.Steps {
		if err := r.Step(); err != nil { // one command buffer, nothing read back
			log.Fatal(err)
		}
	}
	curves, err := r.Objectives(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	images, err := r.Images(context.Background()) // 2 × 128×128×3 in [0, 1]
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(obj, curves[0][cfg.Steps-1], len(images))
}
