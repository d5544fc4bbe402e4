package models

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/gputest"
)

// smallNet is a classifier like the bundled ones, shrunk: conv–relu–pool,
// conv–relu, dense–relu, dense, softmax.
func smallNet() *Net {
	return NewNet("small", 10, 9, 2).
		Conv2D("conv1", 4, 3, "same", "relu").
		MaxPool("pool1", 2).
		Conv2D("conv2", 5, 3, "valid", "relu").
		Flatten("flatten").
		Dense("fc1", 7, "relu").
		Dense("logits", 4, "linear").
		Activation("probs", "softmax")
}

// TestParamGrads checks every parameter gradient of two models, for a
// random seed on a target's output: the GPU against the CPU backend
// (float64), and the CPU backend against central finite differences of
// its own forward pass.
func TestParamGrads(t *testing.T) {
	d := gputest.Device(t)
	small, err := smallNet().Init(3)
	if err != nil {
		t.Fatal(err)
	}
	branchy, err := Load(t.Context(), branchyModel(t, false))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m      *Model
		target string
	}{{small, "logits"}, {branchy, "dense"}} {
		p, err := Lower(tc.m)
		if err != nil {
			t.Fatal(err)
		}
		target, err := p.Node(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		const batch = 3
		rng := rand.New(rand.NewPCG(7, 8))
		x := make([]float32, batch*numel(p.Nodes[0].Shape))
		for i := range x {
			x[i] = float32(rng.Float64())
		}
		seed := make([]float32, batch*numel(target.Shape))
		for i := range seed {
			seed[i] = float32(rng.NormFloat64())
		}
		// GPU.
		be := NewGPU(d)
		gg, err := BuildGrads[*gpu.Buffer, gpu.Op](be, p, batch, []*Node{target}, Grads{Params: true})
		if err != nil {
			t.Fatal(err)
		}
		if gg.Grad[p.Nodes[0]] != nil {
			t.Errorf("%s: the input's gradient was allocated though not asked for", tc.m.Name)
		}
		if err := gg.Input.Write(x); err != nil {
			t.Fatal(err)
		}
		if err := gg.Seed[target].Write(seed); err != nil {
			t.Fatal(err)
		}
		if err := d.Run(gpu.Seq(gg.Forward), gpu.Seq(gg.Backward)); err != nil {
			t.Fatal(err)
		}
		// CPU.
		cg, err := BuildGrads[[]float64, func()](CPU{}, p, batch, []*Node{target}, Grads{Params: true})
		if err != nil {
			t.Fatal(err)
		}
		copy(cg.Input, f64(x))
		copy(cg.Seed[target], f64(seed))
		run(cg.Forward)
		run(cg.Backward)
		if len(gg.Params) != len(cg.Params) || len(gg.Params) == 0 {
			t.Fatalf("%s: %d GPU params, %d CPU params", tc.m.Name, len(gg.Params), len(cg.Params))
		}
		loss := func() float64 {
			run(cg.Forward)
			s := 0.0
			for i, v := range cg.Out[target] {
				s += v * float64(seed[i])
			}
			return s
		}
		for i, gp := range gg.Params {
			cp := cg.Params[i]
			got, err := d.Read(t.Context(), gp.Grad)
			if err != nil {
				t.Fatal(err)
			}
			eGPU := relErr32(got, f32(cp.Grad))
			// Finite differences at a few entries.
			eFD, scale := 0.0, 1e-30
			for _, v := range cp.Grad {
				scale = math.Max(scale, math.Abs(v))
			}
			for range 6 {
				j := rng.IntN(len(cp.Value))
				const h = 1e-6
				old := cp.Value[j]
				cp.Value[j] = old + h
				lp := loss()
				cp.Value[j] = old - h
				lm := loss()
				cp.Value[j] = old
				eFD = math.Max(eFD, math.Abs((lp-lm)/(2*h)-cp.Grad[j])/scale)
			}
			t.Logf("%s %s/%s (%d): gpu vs cpu %.2g, cpu vs finite differences %.2g", tc.m.Name, gp.Node.Name, gp.Name, len(cp.Value), eGPU, eFD)
			if eGPU > 1e-4 || math.IsNaN(eGPU) {
				t.Errorf("%s %s/%s: GPU gradient differs from the CPU one: rel err %.3g", tc.m.Name, gp.Node.Name, gp.Name, eGPU)
			}
			if eFD > 1e-5 || math.IsNaN(eFD) {
				t.Errorf("%s %s/%s: CPU gradient differs from finite differences: rel err %.3g", tc.m.Name, gp.Node.Name, gp.Name, eFD)
			}
		}
		be.Release()
	}
}

// TestTrainStep runs the training step of hubel train on the small net:
// the cross-entropy's gradient against the host's softmax, and the loss of
// one fixed batch falls under Adam.
func TestTrainStep(t *testing.T) {
	d := gputest.Device(t)
	m, err := smallNet().Init(4)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Lower(m)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := p.Logits()
	if err != nil {
		t.Fatal(err)
	}
	const batch, classes = 8, 4
	be := NewGPU(d)
	defer be.Release()
	g, err := BuildGrads[*gpu.Buffer, gpu.Op](be, p, batch, []*Node{logits}, Grads{Params: true})
	if err != nil {
		t.Fatal(err)
	}
	xent, err := NewCrossEntropy(be, g, logits)
	if err != nil {
		t.Fatal(err)
	}
	adam, err := NewAdam(be, g.Params, gpu.AdamDefaults(0.01))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, g.Input.Len)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	labels := make([]uint8, batch)
	for i := range labels {
		labels[i] = uint8(rng.IntN(classes))
	}
	onehot := make([]float32, batch*classes)
	OneHot(onehot, labels, classes)
	if err := g.Input.Write(x); err != nil {
		t.Fatal(err)
	}
	if err := xent.Labels.Write(onehot); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var first, last float64
	for step := 1; step <= 30; step++ {
		upd, err := adam.Step(step)
		if err != nil {
			t.Fatal(err)
		}
		ops := []gpu.Op{gpu.Seq(g.Forward), xent.Op, gpu.Seq(g.Backward), upd}
		if step == 1 {
			ops = append([]gpu.Op{adam.Reset()}, ops...)
		}
		if err := d.Run(ops...); err != nil {
			t.Fatal(err)
		}
		if step == 1 || step == 30 {
			z, _ := d.Read(ctx, g.Out[logits])
			probs, _ := d.Read(ctx, xent.Probs)
			dz, _ := d.Read(ctx, g.Seed[logits])
			loss := 0.0
			want := make([]float32, len(dz))
			for r := range batch {
				mx := math.Inf(-1)
				for c := range classes {
					mx = math.Max(mx, float64(z[r*classes+c]))
				}
				sum := 0.0
				for c := range classes {
					sum += math.Exp(float64(z[r*classes+c]) - mx)
				}
				for c := range classes {
					pr := math.Exp(float64(z[r*classes+c])-mx) / sum
					want[r*classes+c] = float32((pr - float64(onehot[r*classes+c])) / batch)
				}
				loss -= math.Log(float64(probs[r*classes+int(labels[r])])) / batch
			}
			if e := relErr32(dz, want); e > 1e-5 {
				t.Errorf("step %d: cross-entropy gradient vs host: rel err %.3g", step, e)
			}
			if step == 1 {
				first = loss
			} else {
				last = loss
			}
		}
	}
	t.Logf("loss of a fixed batch: %.4f at step 1, %.4f after 30 Adam steps", first, last)
	if !(last < first/4) {
		t.Errorf("loss did not fall: %.4f → %.4f", first, last)
	}
}

// TestNetEncode: the same seed gives the same weights, and Encode round
// trips them through the loader (exactly in float32, to float16 rounding
// in float16).
func TestNetEncode(t *testing.T) {
	a, err := smallNet().Init(9)
	if err != nil {
		t.Fatal(err)
	}
	b, err := smallNet().Init(9)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smallNet().Init(10)
	if err != nil {
		t.Fatal(err)
	}
	ka, _ := a.Layer("conv2")
	kb, _ := b.Layer("conv2")
	kc, _ := c.Layer("conv2")
	if relErr32(ka.Weights["kernel"].Data, kb.Weights["kernel"].Data) != 0 || relErr32(ka.Weights["kernel"].Data, kc.Weights["kernel"].Data) == 0 {
		t.Errorf("Init is not a function of the seed")
	}
	for _, half := range []bool{false, true} {
		mj, w, err := a.Encode("w.bin", half, map[string]any{"hubel": 1})
		if err != nil {
			t.Fatal(err)
		}
		back, err := Load(t.Context(), Files{"model.json": mj, "w.bin": w})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range a.Layers {
			lb, err := back.Layer(l.Name)
			if err != nil {
				t.Fatal(err)
			}
			for name, wt := range l.Weights {
				e := relErr32(lb.Weights[name].Data, wt.Data)
				if (!half && e != 0) || e > 1e-3 {
					t.Errorf("half=%v %s/%s: rel err %.3g after Encode and Load", half, l.Name, name, e)
				}
			}
		}
	}
}
