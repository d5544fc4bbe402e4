package models

import (
	"encoding/binary"
	"encoding/json"
	"github.com/hubelviz/hubel/gpu/gputest"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// decoderModel is a small generator network of the kind DGN-AM uses: a code
// vector through Dense, Reshape, UpSampling2D and convolutions to a
// sigmoid image.
func decoderModel(t *testing.T, interpolation string) Files {
	t.Helper()
	type L = map[string]any
	var prev string
	var layers []any
	add := func(class, name string, cfg L) {
		cfg["name"] = name
		inb := []any{}
		if prev != "" {
			inb = []any{[]any{[]any{prev, 0, 0, L{}}}}
		}
		layers = append(layers, L{"class_name": class, "name": name, "config": cfg, "inbound_nodes": inb})
		prev = name
	}
	add("InputLayer", "h", L{"batch_input_shape": []any{nil, 6}})
	add("Dense", "fc", L{"units": 36, "activation": "relu"})
	add("Reshape", "r", L{"target_shape": []int{3, 3, 4}})
	add("UpSampling2D", "up1", L{"size": []int{2, 2}, "interpolation": interpolation})
	add("Conv2D", "c1", L{"filters": 3, "kernel_size": 3, "padding": "same", "activation": "tanh"})
	add("UpSampling2D", "up2", L{"size": []int{1, 2}})
	add("Conv2D", "img", L{"filters": 1, "kernel_size": 3, "padding": "same", "activation": "sigmoid"})
	topo := L{"model_config": L{"class_name": "Model", "config": L{"name": "decoder", "layers": layers,
		"input_layers": []any{[]any{"h", 0, 0}}, "output_layers": []any{[]any{"img", 0, 0}}}}}
	weights := []struct {
		name  string
		shape []int
	}{
		{"fc/kernel", []int{6, 36}}, {"fc/bias", []int{36}},
		{"c1/kernel", []int{3, 3, 4, 3}}, {"c1/bias", []int{3}},
		{"img/kernel", []int{3, 3, 3, 1}}, {"img/bias", []int{1}},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	var specs []any
	var data []byte
	for _, w := range weights {
		specs = append(specs, L{"name": w.name, "shape": w.shape, "dtype": "float32"})
		for range numel(w.shape) {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(float32(rng.NormFloat64()*0.5)))
		}
	}
	doc, err := json.Marshal(L{"modelTopology": topo, "weightsManifest": []any{L{"paths": []string{"w.bin"}, "weights": specs}}})
	if err != nil {
		t.Fatal(err)
	}
	return Files{"model.json": doc, "w.bin": data}
}

// TestDecoder loads a generator with UpSampling2D layers, checks its shapes,
// the CPU backend's code gradient against central finite differences, and
// the GPU backend against the CPU one.
func TestDecoder(t *testing.T) {
	m, err := Load(t.Context(), decoderModel(t, "nearest"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Lower(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Node("img")
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{6, 12, 1}; !equalShape(out.Shape, want) {
		t.Fatalf("output shape %v, want %v", out.Shape, want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	h := make([]float32, 6)
	for i := range h {
		h[i] = float32(rng.NormFloat64())
	}
	seed := make([]float32, numel(out.Shape))
	for i := range seed {
		seed[i] = float32(rng.NormFloat64())
	}
	d := gputest.Device(t)
	var imgs [2][]float32
	var grads [2][]float32
	for i, be := range []string{"gpu", "cpu"} {
		s, err := NewSession(p, be, d, []*Node{out}, true)
		if err != nil {
			t.Fatal(err)
		}
		o, err := s.Forward(h)
		if err != nil {
			t.Fatal(err)
		}
		imgs[i] = o[0]
		if grads[i], err = s.InputGrad([][]float32{seed}); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	// Central differences of <G(h), seed> on the CPU backend (float64
	// inside; the float32 code limits the step).
	cpu, err := NewSession(p, "cpu", nil, []*Node{out}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer cpu.Close()
	f := func(v []float32) float64 {
		o, err := cpu.Forward(v)
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for i := range o[0] {
			s += float64(o[0][i]) * float64(seed[i])
		}
		return s
	}
	fd := make([]float32, len(h))
	const eps = 1e-2
	for i := range h {
		v := append([]float32(nil), h...)
		v[i] = h[i] + eps
		up := f(v)
		v[i] = h[i] - eps
		fd[i] = float32((up - f(v)) / (2 * eps))
	}
	if e := relErr32(grads[1], fd); e > 1e-3 {
		t.Errorf("cpu code gradient vs finite differences: rel err %.3g\n got %v\nwant %v", e, grads[1], fd)
	}
	if e := relErr32(imgs[0], imgs[1]); e > 1e-5 {
		t.Errorf("images differ, gpu vs cpu: rel err %.3g", e)
	}
	if e := relErr32(grads[0], grads[1]); e > 1e-4 {
		t.Errorf("code gradients differ, gpu vs cpu: rel err %.3g", e)
	}
	t.Logf("gpu vs cpu: image %.3g, gradient %.3g; cpu vs FD %.3g", relErr32(imgs[0], imgs[1]), relErr32(grads[0], grads[1]), relErr32(grads[1], fd))
}

func TestUpsamplingErrors(t *testing.T) {
	_, err := Load(t.Context(), decoderModel(t, "bilinear"))
	if err == nil || !strings.Contains(err.Error(), `"up1"`) || !strings.Contains(err.Error(), "bilinear") {
		t.Fatalf("bilinear UpSampling2D: got %v, want an error naming the layer and the interpolation", err)
	}
}
