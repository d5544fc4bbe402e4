package models

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Net declares a network to be trained, layer by layer, as a Keras
// functional model: a layer takes the previous layer's output unless its
// inputs are named. Init turns it into a Model with fresh weights, which
// trains like any loaded model (BuildGrads with Grads.Params) and is saved
// with Model.Encode as TF.js layers format.
//
//	net := models.NewNet("mnist", 28, 28, 1).
//		Conv2D("conv1", 16, 3, "same", "relu").
//		MaxPool("pool1", 2).
//		Flatten("flatten").
//		Dense("logits", 10, "linear").
//		Activation("probs", "softmax")
//	m, err := net.Init(1)
type Net struct {
	name   string
	layers []netLayer
}

type netLayer struct {
	ClassName    string         `json:"class_name"`
	Name         string         `json:"name"`
	Config       map[string]any `json:"config"`
	InboundNodes [][][]any      `json:"inbound_nodes"`
}

// NewNet starts a network whose input layer, named "input", takes images
// of the given shape (height, width, channels) or vectors (length).
func NewNet(name string, input ...int) *Net {
	shape := []any{nil}
	for _, d := range input {
		shape = append(shape, d)
	}
	n := &Net{name: name}
	n.layers = append(n.layers, netLayer{ClassName: "InputLayer", Name: "input",
		Config: map[string]any{"name": "input", "batch_input_shape": shape, "dtype": "float32"}, InboundNodes: [][][]any{}})
	return n
}

// Layer adds a layer of any class the loader supports with its Keras
// config; inputs are the names of the layers feeding it (default: the
// last layer added).
func (n *Net) Layer(class, name string, config map[string]any, inputs ...string) *Net {
	if len(inputs) == 0 {
		inputs = []string{n.layers[len(n.layers)-1].Name}
	}
	cfg := map[string]any{"name": name}
	for k, v := range config {
		cfg[k] = v
	}
	var in [][]any
	for _, s := range inputs {
		in = append(in, []any{s, 0, 0, map[string]any{}})
	}
	n.layers = append(n.layers, netLayer{ClassName: class, Name: name, Config: cfg, InboundNodes: [][][]any{in}})
	return n
}

// Conv2D adds a convolution with filters k×k filters, stride 1, padding
// "same" or "valid", and an activation (linear, relu, …).
func (n *Net) Conv2D(name string, filters, k int, padding, activation string) *Net {
	return n.Layer("Conv2D", name, map[string]any{"filters": filters, "kernel_size": []int{k, k}, "strides": []int{1, 1},
		"padding": padding, "activation": activation, "use_bias": true, "data_format": "channels_last"})
}

// MaxPool adds a k×k max pooling with stride k.
func (n *Net) MaxPool(name string, k int) *Net {
	return n.Layer("MaxPooling2D", name, map[string]any{"pool_size": []int{k, k}, "strides": []int{k, k}, "padding": "valid"})
}

// Flatten adds a flattening of its input to a vector.
func (n *Net) Flatten(name string) *Net { return n.Layer("Flatten", name, nil) }

// Dense adds a fully connected layer of units outputs with an activation.
func (n *Net) Dense(name string, units int, activation string) *Net {
	return n.Layer("Dense", name, map[string]any{"units": units, "activation": activation, "use_bias": true})
}

// Activation adds an activation layer (relu, sigmoid, tanh, softmax).
func (n *Net) Activation(name, activation string) *Net {
	return n.Layer("Activation", name, map[string]any{"activation": activation})
}

// Topology returns the network's modelTopology for model.json.
func (n *Net) Topology() ([]byte, error) {
	last := n.layers[len(n.layers)-1].Name
	return json.Marshal(map[string]any{
		"class_name": "Model",
		"config": map[string]any{
			"name":          n.name,
			"layers":        n.layers,
			"input_layers":  [][]any{{"input", 0, 0}},
			"output_layers": [][]any{{last, 0, 0}},
		},
	})
}

// Init returns the network as a model with Keras's default initial
// weights, drawn from a PCG generator seeded with seed (so the same seed
// gives the same weights): Glorot-uniform kernels, zero biases, batch
// norm's gamma and variance 1, beta and mean 0.
func (n *Net) Init(seed uint64) (*Model, error) {
	top, err := n.Topology()
	if err != nil {
		return nil, fmt.Errorf("models: net %s: %w", n.name, err)
	}
	doc, err := json.Marshal(map[string]any{"format": "layers-model", "modelTopology": json.RawMessage(top)})
	if err != nil {
		return nil, fmt.Errorf("models: net %s: %w", n.name, err)
	}
	rng := rand.New(rand.NewPCG(seed, 0x6875626c))
	newWeight := func(l *Layer, param string, shape []int) []float32 {
		v := make([]float32, numel(shape))
		switch param {
		case "kernel", "depthwise_kernel", "pointwise_kernel":
			recv := 1
			for _, d := range shape[:len(shape)-2] {
				recv *= d
			}
			fanIn, fanOut := recv*shape[len(shape)-2], recv*shape[len(shape)-1]
			lim := math.Sqrt(6 / float64(fanIn+fanOut))
			for i := range v {
				v[i] = float32((2*rng.Float64() - 1) * lim)
			}
		case "gamma", "moving_variance":
			for i := range v {
				v[i] = 1
			}
		}
		return v
	}
	where := func(s string) string { return "net " + n.name + ": " + s }
	m, err := parse(doc, func(string) ([]byte, error) { return nil, fmt.Errorf("no weight files") }, where, newWeight)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	return m, nil
}

// paramOrder is the order of a layer's weights in an encoded shard.
var paramOrder = []string{"kernel", "depthwise_kernel", "pointwise_kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"}

// Encode returns model.json for m with its current weights, all in one
// shard file named shard (also returned), stored as float16 when half (as
// TF.js's converter does with --quantize_float16) or else float32. meta,
// if not nil, becomes userDefinedMetadata.
func (m *Model) Encode(shard string, half bool, meta map[string]any) (modelJSON, weights []byte, err error) {
	if len(m.topology) == 0 {
		return nil, nil, fmt.Errorf("models: %s: no topology to encode", m.Name)
	}
	var specs []map[string]any
	for _, l := range m.Layers {
		var names []string
		for p := range l.Weights {
			names = append(names, p)
		}
		slices.SortFunc(names, func(a, b string) int {
			return slices.Index(paramOrder, a) - slices.Index(paramOrder, b)
		})
		for _, p := range names {
			w := l.Weights[p]
			spec := map[string]any{"name": l.Name + "/" + p, "shape": w.Shape, "dtype": "float32"}
			if half {
				spec["quantization"] = map[string]any{"dtype": "float16", "original_dtype": "float32"}
				for _, h := range EncodeFloat16(w.Data) {
					weights = binary.LittleEndian.AppendUint16(weights, h)
				}
			} else {
				for _, x := range w.Data {
					weights = binary.LittleEndian.AppendUint32(weights, math.Float32bits(x))
				}
			}
			specs = append(specs, spec)
		}
	}
	doc := map[string]any{
		"format":          "layers-model",
		"generatedBy":     "hubel",
		"convertedBy":     nil,
		"modelTopology":   m.topology,
		"weightsManifest": []any{map[string]any{"paths": []string{shard}, "weights": specs}},
	}
	if meta != nil {
		doc["userDefinedMetadata"] = meta
	}
	modelJSON, err = json.Marshal(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("models: %s: %w", m.Name, err)
	}
	return modelJSON, weights, nil
}
