package models

import (
	"encoding/binary"
	"encoding/json"
	"github.com/hubelviz/hubel/gpu/gputest"
	"math"
	"math/rand/v2"
	"testing"
)

// branchyModel is a small functional model exercising fan-out, Add,
// Concatenate, Multiply, padding, pooling, unfolded batch norm, Dense and a
// fused activation: every op of the plan but the depthwise ones that
// MobileNet covers. With gap, a GlobalAveragePooling2D takes the Flatten's
// place, which makes the model fully convolutional (any input size).
func branchyModel(t *testing.T, gap bool) Files {
	t.Helper()
	type L = map[string]any
	layer := func(class, name string, cfg L, ins ...string) L {
		cfg["name"] = name
		var nodes [][]any
		for _, in := range ins {
			nodes = append(nodes, []any{in, 0, 0, L{}})
		}
		inb := []any{}
		if len(nodes) > 0 {
			inb = []any{nodes}
		}
		return L{"class_name": class, "name": name, "config": cfg, "inbound_nodes": inb}
	}
	layers := []any{
		layer("InputLayer", "in", L{"batch_input_shape": []any{nil, 9, 8, 3}}),
		layer("Conv2D", "c1", L{"filters": 6, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"}, "in"),
		layer("Conv2D", "c2", L{"filters": 6, "kernel_size": 1, "padding": "valid"}, "c1"),
		layer("Activation", "t", L{"activation": "tanh"}, "c1"),
		layer("BatchNormalization", "bn", L{"epsilon": 0.01}, "t"),
		layer("Add", "add", L{}, "bn", "c2", "c1"),
		layer("Multiply", "mul", L{}, "add", "c1"),
		layer("Concatenate", "cat", L{"axis": -1}, "mul", "c1"),
		layer("ZeroPadding2D", "pad", L{"padding": []any{[]any{1, 0}, []any{0, 1}}}, "cat"),
		layer("MaxPooling2D", "mp", L{"pool_size": 2, "padding": "valid"}, "pad"),
		layer("LeakyReLU", "lr", L{"alpha": 0.2}, "mp"),
		layer("AveragePooling2D", "ap", L{"pool_size": 2, "strides": 1, "padding": "same"}, "lr"),
		layer("Flatten", "flat", L{}, "ap"),
		layer("Dense", "dense", L{"units": 5, "activation": "softmax"}, "flat"),
	}
	flat := 72
	if gap {
		layers[12] = layer("GlobalAveragePooling2D", "flat", L{}, "ap")
		flat = 12
	}
	topo := L{"model_config": L{"class_name": "Model", "config": L{"name": "branchy", "layers": layers,
		"input_layers": []any{[]any{"in", 0, 0}}, "output_layers": []any{[]any{"dense", 0, 0}}}}}
	// Shapes: c1 5×4×6; cat 5×4×12; pad 6×5×12; mp 3×2×12; flat 72.
	weights := []struct {
		name  string
		shape []int
	}{
		{"c1/kernel", []int{3, 3, 3, 6}}, {"c1/bias", []int{6}},
		{"c2/kernel", []int{1, 1, 6, 6}}, {"c2/bias", []int{6}},
		{"bn/gamma", []int{6}}, {"bn/beta", []int{6}}, {"bn/moving_mean", []int{6}}, {"bn/moving_variance", []int{6}},
		{"dense/kernel", []int{flat, 5}}, {"dense/bias", []int{5}},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var specs []any
	var data []byte
	for _, w := range weights {
		specs = append(specs, L{"name": w.name, "shape": w.shape, "dtype": "float32"})
		for range numel(w.shape) {
			v := float32(rng.NormFloat64() * 0.5)
			if w.name == "bn/moving_variance" {
				v = float32(0.5 + rng.Float64())
			}
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
	}
	doc, err := json.Marshal(L{"modelTopology": topo, "weightsManifest": []any{L{"paths": []string{"w.bin"}, "weights": specs}}})
	if err != nil {
		t.Fatal(err)
	}
	return Files{"model.json": doc, "w.bin": data}
}

// TestBranchyGPUvsCPU runs the branchy model on both backends: activations
// of every target and input gradients (through the fan-out accumulation)
// must agree.
func TestBranchyGPUvsCPU(t *testing.T) {
	p := branchyPlan(t, false)
	if n, _ := p.Node("bn"); n == nil || n.Op != OpAffine {
		t.Fatalf("bn follows an activation and must stay an affine node, got %v", n.Op)
	}
	compareBackends(t, p, 9, 8, [][]string{{"dense"}, {"add", "lr"}, {"add"}, {"cat"}, {"mul"}})
}

// branchyPlan loads and lowers branchyModel.
func branchyPlan(t *testing.T, gap bool) *Plan {
	t.Helper()
	m, err := Load(t.Context(), branchyModel(t, gap))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Lower(m)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// compareBackends runs plan p on an h×w random image on the GPU and CPU
// backends, for each set of target layers: activations and input gradients
// of random seeds must agree.
func compareBackends(t *testing.T, p *Plan, h, w int, targetSets [][]string) {
	t.Helper()
	d := gputest.Device(t)
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, h*w*3)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for _, names := range targetSets {
		var targets []*Node
		var seeds [][]float32
		for _, nm := range names {
			n, err := p.Node(nm)
			if err != nil {
				t.Fatal(err)
			}
			targets = append(targets, n)
			s := make([]float32, numel(n.Shape))
			for i := range s {
				s[i] = float32(rng.NormFloat64())
			}
			seeds = append(seeds, s)
		}
		var outs [2][][]float32
		var grads [2][]float32
		for i, be := range []string{"gpu", "cpu"} {
			s, err := NewSession(p, be, d, targets, true)
			if err != nil {
				t.Fatal(err)
			}
			if outs[i], err = s.Forward(x); err != nil {
				t.Fatal(err)
			}
			if grads[i], err = s.InputGrad(seeds); err != nil {
				t.Fatal(err)
			}
			s.Close()
		}
		for k := range targets {
			if e := relErr32(outs[0][k], outs[1][k]); e > 1e-4 {
				t.Errorf("%v: %s activations differ: rel err %.3g", names, names[k], e)
			}
		}
		e := relErr32(grads[0], grads[1])
		t.Logf("targets %v: input gradient gpu vs cpu rel err %.3g", names, e)
		if e > 1e-4 || math.IsNaN(e) {
			t.Errorf("%v: input gradients differ: rel err %.3g", names, e)
		}
	}
}

func relErr32(a, b []float32) float64 {
	num, den := 0.0, 1e-30
	for i := range b {
		num = math.Max(num, math.Abs(float64(a[i])-float64(b[i])))
		den = math.Max(den, math.Abs(float64(b[i])))
	}
	if math.IsNaN(num) {
		return math.Inf(1)
	}
	return num / den
}
