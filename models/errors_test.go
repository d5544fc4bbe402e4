package models

import (
	"context"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// tinyModel returns the files of a small valid functional model:
// input 4×4×2 → Conv2D 3×3 (3 filters, bias) → BatchNormalization → ReLU.
func tinyModel() Files {
	f32 := func(n int) []byte {
		b := make([]byte, 4*n)
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(i%7)*0.1))
		}
		return b
	}
	topo := `{"keras_version":"2.1.4","backend":"tensorflow","model_config":{"class_name":"Model","config":{"name":"tiny",
	"layers":[
	 {"class_name":"InputLayer","name":"in","config":{"batch_input_shape":[null,4,4,2],"name":"in"},"inbound_nodes":[]},
	 {"class_name":"Conv2D","name":"conv","config":{"name":"conv","filters":3,"kernel_size":[3,3],"strides":[1,1],"padding":"same","use_bias":true,"activation":"linear"},"inbound_nodes":[[["in",0,0,{}]]]},
	 {"class_name":"BatchNormalization","name":"bn","config":{"name":"bn","epsilon":0.001},"inbound_nodes":[[["conv",0,0,{}]]]},
	 {"class_name":"ReLU","name":"relu","config":{"name":"relu","max_value":6},"inbound_nodes":[[["bn",0,0,{}]]]}],
	"input_layers":[["in",0,0]],"output_layers":[["relu",0,0]]}}}`
	manifest := `[{"paths":["group1-shard1of1"],"weights":[
	 {"name":"conv/kernel","shape":[3,3,2,3],"dtype":"float32"},
	 {"name":"conv/bias","shape":[3],"dtype":"float32"},
	 {"name":"bn/gamma","shape":[3],"dtype":"float32"},
	 {"name":"bn/beta","shape":[3],"dtype":"float32"},
	 {"name":"bn/moving_mean","shape":[3],"dtype":"float32"},
	 {"name":"bn/moving_variance","shape":[3],"dtype":"float32"}]}]`
	return Files{
		"model.json":       []byte(`{"modelTopology":` + topo + `,"weightsManifest":` + manifest + `}`),
		"group1-shard1of1": f32(54 + 3 + 4*3),
	}
}

// edit returns a copy of f with model.json rewritten by fn.
func edit(f Files, fn func(s string) string) Files {
	out := Files{}
	for k, v := range f {
		out[k] = v
	}
	out["model.json"] = []byte(fn(string(f["model.json"])))
	return out
}

func TestTinyModelLoads(t *testing.T) {
	m, err := Load(context.Background(), tinyModel())
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := m.Layer("relu"); l == nil || len(l.Shape) != 3 || l.Shape[2] != 3 {
		t.Fatalf("bad relu layer: %+v", l)
	}
}

func TestBadInputs(t *testing.T) {
	good := tinyModel()
	shard := good["group1-shard1of1"]
	cases := []struct {
		name  string
		files Files
		want  []string // substrings the error must contain
	}{
		{"not JSON", Files{"model.json": []byte("<html>oops")}, []string{"model.json", "not a valid JSON"}},
		{"no topology", Files{"model.json": []byte(`{"weightsManifest":[]}`)}, []string{"model.json", "modelTopology is missing"}},
		{"truncated shard", func() Files {
			f := edit(good, func(s string) string { return s })
			f["group1-shard1of1"] = shard[:100]
			return f
		}(),
			[]string{"group1-shard1of1", "100 bytes", "need 276 bytes"}},
		{"wrong byte length", func() Files {
			f := edit(good, func(s string) string { return s })
			f["group1-shard1of1"] = append(append([]byte(nil), shard...), 0, 0, 0, 0)
			return f
		}(), []string{"group1-shard1of1", "280 bytes", "need 276"}},
		{"missing shard", func() Files {
			f := edit(good, func(s string) string { return s })
			delete(f, "group1-shard1of1")
			return f
		}(),
			[]string{"group1-shard1of1", "not provided"}},
		{"missing weight", edit(good, func(s string) string {
			s = strings.Replace(s, `{"name":"bn/moving_variance","shape":[3],"dtype":"float32"}`, `{"name":"bn/other","shape":[3],"dtype":"float32"}`, 1)
			return s
		}), []string{"bn", "missing weight bn/moving_variance"}},
		{"wrong weight shape", edit(good, func(s string) string {
			return strings.Replace(s, `"shape":[3,3,2,3]`, `"shape":[3,3,3,2]`, 1)
		}), []string{"conv/kernel", "shape [3 3 3 2], want [3 3 2 3]"}},
		{"unknown layer", edit(good, func(s string) string {
			return strings.Replace(s, `"class_name":"ReLU","name":"relu"`, `"class_name":"Frobnicate","name":"relu"`, 1)
		}), []string{"relu", `unsupported layer class "Frobnicate"`}},
		{"cycle", edit(good, func(s string) string {
			return strings.Replace(s, `"inbound_nodes":[[["conv",0,0,{}]]]`, `"inbound_nodes":[[["relu",0,0,{}]]]`, 1)
		}), []string{"cycle", "relu -> bn -> relu"}},
		{"unknown input", edit(good, func(s string) string {
			return strings.Replace(s, `[[["in",0,0,{}]]]`, `[[["nowhere",0,0,{}]]]`, 1)
		}), []string{"conv", `"nowhere" is not a layer`}},
		{"bad dtype", edit(good, func(s string) string {
			return strings.Replace(s, `"dtype":"float32"}`, `"dtype":"complex64"}`, 1)
		}), []string{"conv/kernel", "complex64"}},
		{"bad activation", edit(good, func(s string) string {
			return strings.Replace(s, `"activation":"linear"`, `"activation":"swishy"`, 1)
		}), []string{"conv", "swishy"}},
		{"bad padding", edit(good, func(s string) string {
			return strings.Replace(s, `"padding":"same"`, `"padding":"full"`, 1)
		}), []string{"conv", `padding "full"`}},
		{"escaping path", edit(good, func(s string) string {
			return strings.Replace(s, `"paths":["group1-shard1of1"]`, `"paths":["../secret"]`, 1)
		}), []string{"../secret", "not a relative file name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(context.Background(), c.files)
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestFloat16AndQuantisedWeights(t *testing.T) {
	vals := []float32{0, 1, -2.5, 0.333251953125, 65504}
	half := EncodeFloat16(vals)
	b := make([]byte, 2*len(half))
	for i, h := range half {
		binary.LittleEndian.PutUint16(b[2*i:], h)
	}
	g := manifestGroup{Paths: []string{"x"}, Weights: []manifestSpec{{Name: "l/w", Shape: []int{5}, Dtype: "float32", Quantization: &quantization{Dtype: "float16"}}}}
	ts, err := decodeGroup(g, b, "x")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		if ts[0].Data[i] != v {
			t.Errorf("float16 %d: got %v want %v", i, ts[0].Data[i], v)
		}
	}
	scale, min := 0.5, -1.0
	q := manifestGroup{Paths: []string{"q"}, Weights: []manifestSpec{
		{Name: "l/a", Shape: []int{3}, Dtype: "float32", Quantization: &quantization{Dtype: "uint8", Scale: &scale, Min: &min}},
		{Name: "l/b", Shape: []int{2}, Dtype: "float32", Quantization: &quantization{Dtype: "uint16", Scale: &scale, Min: &min}},
	}}
	ts, err = decodeGroup(q, []byte{0, 2, 255, 4, 0, 0xff, 0xff}, "q")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float32{{-1, 0, 126.5}, {1, 32766.5}}
	for i := range want {
		for j := range want[i] {
			if ts[i].Data[j] != want[i][j] {
				t.Errorf("quantised %s[%d]: got %v want %v", ts[i].Name, j, ts[i].Data[j], want[i][j])
			}
		}
	}
}
