package am

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/hubelviz/hubel/models"
)

// TestEvaluateMatchesRenderer renders a batch without transforms, so the
// network runs at the image's size and sees exactly the image Images
// returns, and checks that Evaluate on the CPU backend's activations of
// that image (float64, gpu/ref; the plan resized likewise) gives the value
// the renderer's GPU kernels recorded for it.
func TestEvaluateMatchesRenderer(t *testing.T) {
	d, p, desc := setup(t)
	dir := make([]float32, 384)
	for i := range dir {
		dir[i] = float32(i%7) - 3
	}
	objs := []Objective{
		Channel("conv_pw_7_relu", 12),
		Neuron("conv_pw_5_relu", 20, -1, -1).Plus(Channel("conv_pw_5_bn", 3).Scale(-0.5)),
		DeepDream("conv_pw_9_relu").Plus(Direction("conv_pw_9_relu", dir)),
		LogSoftmax(249).Plus(Softmax(1).Scale(2)).Minus(Logit(7)),
	}
	const size = 64
	const steps = 2
	r, err := NewRenderer(d, p, desc, objs, Config{Size: size, Steps: steps, Seed: 5, Transforms: "none"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	ctx := context.Background()
	for range steps - 1 {
		if err := r.Step(); err != nil {
			t.Fatal(err)
		}
	}
	imgs, err := r.Images(ctx) // what the last step's forward pass sees
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Step(); err != nil {
		t.Fatal(err)
	}
	curves, err := r.Objectives(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err = p.Resize(size, size)
	if err != nil {
		t.Fatal(err)
	}
	targets, err := Targets(p, objs)
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.NewSession(p, "cpu", nil, targets, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lo, hi := desc.Input.Range[0], desc.Input.Range[1]
	one := size * size * 3
	for i, o := range objs {
		x := make([]float32, one)
		for k, v := range imgs[i*one : (i+1)*one] {
			x[k] = float32(lo + float64(v)*(hi-lo))
		}
		acts, err := s.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		byNode := map[*models.Node][]float32{}
		for k, n := range targets {
			byNode[n] = acts[k]
		}
		got, err := Evaluate(p, o, func(n *models.Node) []float32 { return byNode[n] })
		if err != nil {
			t.Fatal(err)
		}
		want := curves[i][steps-1]
		t.Logf("%s: Evaluate (cpu) %.6g, renderer (gpu) %.6g", o, got, want)
		if math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: Evaluate gives %.6g, the renderer recorded %.6g", o, got, want)
		}
	}
}

func TestEvaluateErrors(t *testing.T) {
	m, err := models.LoadDir(mobilenet)
	if err != nil {
		t.Skip(err)
	}
	p, err := models.Lower(m)
	if err != nil {
		t.Fatal(err)
	}
	zeros := func(n *models.Node) []float32 {
		k := 1
		for _, s := range n.Shape {
			k *= s
		}
		return make([]float32, k)
	}
	cases := []struct {
		obj  Objective
		act  func(*models.Node) []float32
		want string
	}{
		{Channel("nope", 1), zeros, `no layer named "nope"`},
		{Channel("conv_pw_7_relu", 384), zeros, "384 is out of range"},
		{Neuron("conv_pw_7_relu", 1, 14, 0), zeros, "outside conv_pw_7_relu"},
		{Logit(1000), zeros, "1000 is out of range"},
		{Diversity("conv_pw_7_relu"), zeros, "not supported"},
		{Channel("conv_pw_7_relu", 1).Minus(L2()), zeros, "image term l2 is not supported"},
		{Direction("conv_pw_7_relu", make([]float32, 3)), zeros, "has 3 values"},
		{Channel("conv_pw_7_relu", 1), func(*models.Node) []float32 { return make([]float32, 5) }, "has 5 activations"},
	}
	for _, c := range cases {
		if _, err := Evaluate(p, c.obj, c.act); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.obj, err, c.want)
		}
	}
	if _, err := Targets(p, []Objective{Channel("conv_pw_7_relu", 1), DeepDream("nope")}); err == nil || !strings.Contains(err.Error(), "objective 1") {
		t.Errorf("Targets: error %v, want one naming objective 1", err)
	}
}
