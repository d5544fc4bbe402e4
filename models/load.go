package models

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Source is where a model's files come from: a folder, a URL, or files a
// user dropped on the page.
type Source interface {
	// ReadFile returns the named file (a path relative to model.json).
	ReadFile(ctx context.Context, name string) ([]byte, error)
	// Where names the file for error messages, e.g. "models/x/model.json".
	Where(name string) string
}

// Dir is a Source reading from a folder.
type Dir string

// ReadFile implements Source.
func (d Dir) ReadFile(_ context.Context, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), filepath.FromSlash(name)))
}

// Where implements Source.
func (d Dir) Where(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }

// Files is a Source over files held in memory (drag-and-drop), by name.
type Files map[string][]byte

// ReadFile implements Source.
func (f Files) ReadFile(_ context.Context, name string) ([]byte, error) {
	b, ok := f[name]
	if !ok {
		b, ok = f[path.Base(name)]
	}
	if !ok {
		return nil, fmt.Errorf("file not provided: %w", os.ErrNotExist)
	}
	return b, nil
}

// Where implements Source.
func (f Files) Where(name string) string { return name }

// Model is a loaded network.
type Model struct {
	// Name is the model's name from its config (or the folder's).
	Name string
	// Layers in topological order: every layer after its inputs.
	Layers []*Layer
	Input  *Layer
	Output *Layer
	byName map[string]*Layer
	// topology is model.json's modelTopology, kept so that Encode can
	// write the model back with new weights.
	topology json.RawMessage
}

// Layer returns the layer called name.
func (m *Model) Layer(name string) (*Layer, error) {
	if l, ok := m.byName[name]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("models: %s: no layer named %q", m.Name, name)
}

// Load reads model.json and its weight shards from src.
func Load(ctx context.Context, src Source) (*Model, error) {
	const file = "model.json"
	raw, err := src.ReadFile(ctx, file)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", src.Where(file), err)
	}
	m, err := Parse(raw, func(name string) ([]byte, error) { return src.ReadFile(ctx, name) }, src.Where)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	return m, nil
}

// LoadDir loads a model from a folder.
func LoadDir(dir string) (*Model, error) { return Load(context.Background(), Dir(dir)) }

// Parse builds a model from the bytes of model.json; read returns the bytes
// of a weight file named in the manifest (it is called for several files at
// once) and where names files for errors. The model's float32 weights may
// share memory with the bytes read returned, which must not change
// afterwards.
// Errors are prefixed with the file they concern.
func Parse(raw []byte, read func(name string) ([]byte, error), where func(string) string) (*Model, error) {
	return parse(raw, read, where, nil)
}

// parse is Parse; newWeight, if not nil, makes the weights the manifest
// lacks.
func parse(raw []byte, read func(name string) ([]byte, error), where func(string) string, newWeight func(l *Layer, param string, shape []int) []float32) (*Model, error) {
	mj := where("model.json")
	var doc modelJSON
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: not a valid JSON model: %v", mj, err)
	}
	if len(doc.ModelTopology) == 0 || string(doc.ModelTopology) == "null" {
		return nil, fmt.Errorf("%s: field modelTopology is missing", mj)
	}
	if doc.Format != "" && doc.Format != "layers-model" {
		return nil, fmt.Errorf("%s: format %q: hubel reads TF.js layers models (format \"layers-model\")", mj, doc.Format)
	}
	layers, inputs, outputs, name, err := parseTopology(doc.ModelTopology)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mj, err)
	}
	if err := checkManifestPaths(doc.WeightsManifest, mj); err != nil {
		return nil, err
	}
	groups, err := readGroups(doc.WeightsManifest, read, where)
	if err != nil {
		return nil, err
	}
	weights := map[string]map[string]*Weight{}
	for _, ts := range groups {
		for _, t := range ts {
			ln, p := splitWeightName(t.Name)
			if weights[ln] == nil {
				weights[ln] = map[string]*Weight{}
			}
			weights[ln][p] = &Weight{Shape: t.Shape, Data: t.Data}
		}
	}
	if newWeight != nil {
		for _, l := range layers {
			l.newWeight = func(param string, shape []int) []float32 { return newWeight(l, param, shape) }
		}
	}
	m, err := buildGraph(name, layers, inputs, outputs, weights)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mj, err)
	}
	m.topology = doc.ModelTopology
	return m, nil
}

// checkManifestPaths checks that every group of a weights manifest names
// its files, as relative names inside the model's folder; mj names
// model.json for errors.
func checkManifestPaths(groups []manifestGroup, mj string) error {
	for gi, g := range groups {
		if len(g.Paths) == 0 && len(g.Weights) > 0 {
			return fmt.Errorf("%s: weightsManifest[%d]: no paths", mj, gi)
		}
		for _, p := range g.Paths {
			if p == "" || strings.Contains(p, "..") || path.IsAbs(p) {
				return fmt.Errorf("%s: weightsManifest[%d]: path %q is not a relative file name", mj, gi, p)
			}
		}
	}
	return nil
}

// joinPaths names a group's files together for errors ("a+b").
func joinPaths(paths []string) string { return strings.Join(paths, "+") }

// shardReaders bounds how many weight files are read at once: MobileNet
// has 55 shards, and fetching them one after another costs a round trip
// each (2.5 s of a page load on localhost).
const shardReaders = 8

// readGroups reads the files of every manifest group, with up to
// shardReaders calls of read at once, and decodes each group as soon as
// its own files are in: in a browser the decoding of the first files then
// overlaps the download of the others. The first error (in the manifest's
// order of files) wins.
func readGroups(groups []manifestGroup, read func(name string) ([]byte, error), where func(string) string) ([][]tensor, error) {
	out := make([][]tensor, len(groups))
	readErr := make([][]error, len(groups))
	decodeErr := make([]error, len(groups))
	var wg sync.WaitGroup
	sem := make(chan struct{}, shardReaders)
	for gi, g := range groups {
		readErr[gi] = make([]error, len(g.Paths))
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := make([][]byte, len(g.Paths))
			var inner sync.WaitGroup
			for i, p := range g.Paths {
				inner.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; inner.Done() }()
					data[i], readErr[gi][i] = read(p)
				}()
			}
			inner.Wait()
			for _, err := range readErr[gi] {
				if err != nil {
					return
				}
			}
			var joined []byte
			switch len(data) {
			case 0:
			case 1:
				joined = data[0] // most groups are one file: no copy
			default:
				joined = bytes.Join(data, nil)
			}
			out[gi], decodeErr[gi] = decodeGroup(g, joined, where(joinPaths(g.Paths)))
		}()
	}
	wg.Wait()
	for gi, g := range groups {
		for i, err := range readErr[gi] {
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where(g.Paths[i]), err)
			}
		}
	}
	for _, err := range decodeErr {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseTopology reads Functional/Model and Sequential configs.
func parseTopology(raw json.RawMessage) (layers []*Layer, inputs, outputs []string, name string, err error) {
	var top topology
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, nil, nil, "", fmt.Errorf("modelTopology: %v", err)
	}
	var mc modelConfig
	if len(top.ModelConfig) > 0 {
		if err := json.Unmarshal(top.ModelConfig, &mc); err != nil {
			return nil, nil, nil, "", fmt.Errorf("modelTopology.model_config: %v", err)
		}
	} else {
		mc = modelConfig{ClassName: top.ClassName, Config: top.Config}
	}
	switch mc.ClassName {
	case "Model", "Functional":
		var fc functionalConfig
		if err := json.Unmarshal(mc.Config, &fc); err != nil {
			return nil, nil, nil, "", fmt.Errorf("model_config.config: %v", err)
		}
		for i, lj := range fc.Layers {
			l, err := newLayer(lj, i)
			if err != nil {
				return nil, nil, nil, "", err
			}
			if l.inbound, err = parseInbound(lj.InboundNodes); err != nil {
				return nil, nil, nil, "", fmt.Errorf("layer %q: %w", l.Name, err)
			}
			layers = append(layers, l)
		}
		if inputs, err = endpointNames(fc.InputLayers, "input_layers"); err != nil {
			return nil, nil, nil, "", err
		}
		if outputs, err = endpointNames(fc.OutputLayers, "output_layers"); err != nil {
			return nil, nil, nil, "", err
		}
		return layers, inputs, outputs, fc.Name, nil
	case "Sequential":
		// config is a list of layers (old Keras) or {name, layers}.
		var seq struct {
			Name   string      `json:"name"`
			Layers []layerJSON `json:"layers"`
		}
		if err := json.Unmarshal(mc.Config, &seq.Layers); err != nil {
			if err := json.Unmarshal(mc.Config, &seq); err != nil {
				return nil, nil, nil, "", fmt.Errorf("model_config.config: %v", err)
			}
		}
		if len(seq.Layers) == 0 {
			return nil, nil, nil, "", fmt.Errorf("model_config.config: Sequential model has no layers")
		}
		for i, lj := range seq.Layers {
			l, err := newLayer(lj, i)
			if err != nil {
				return nil, nil, nil, "", err
			}
			layers = append(layers, l)
		}
		if layers[0].Class != "InputLayer" {
			in := &Layer{Name: layers[0].Name + "_input", Class: "InputLayer", cfg: layers[0].cfg}
			layers = append([]*Layer{in}, layers...)
		}
		for i := 1; i < len(layers); i++ {
			layers[i].inbound = []inbound{{Layer: layers[i-1].Name}}
		}
		return layers, []string{layers[0].Name}, []string{layers[len(layers)-1].Name}, seq.Name, nil
	case "":
		return nil, nil, nil, "", fmt.Errorf("modelTopology: model_config.class_name is missing")
	default:
		return nil, nil, nil, "", fmt.Errorf("modelTopology: model class %q is not supported (want Model, Functional or Sequential)", mc.ClassName)
	}
}

func newLayer(lj layerJSON, i int) (*Layer, error) {
	l := &Layer{Name: lj.Name, Class: lj.ClassName}
	if len(lj.Config) > 0 {
		if err := json.Unmarshal(lj.Config, &l.cfg); err != nil {
			return nil, fmt.Errorf("layers[%d] (%q, %s): config: %v", i, lj.Name, lj.ClassName, err)
		}
	}
	if l.Name == "" {
		l.Name = l.cfg.Name
	}
	if l.Name == "" {
		return nil, fmt.Errorf("layers[%d] (%s): no name", i, lj.ClassName)
	}
	if l.Class == "" {
		return nil, fmt.Errorf("layers[%d] (%q): class_name is missing", i, l.Name)
	}
	return l, nil
}

func endpointNames(v [][]any, field string) ([]string, error) {
	var out []string
	for _, e := range v {
		if len(e) == 0 {
			return nil, fmt.Errorf("model_config.config.%s: empty entry", field)
		}
		s, ok := e[0].(string)
		if !ok {
			return nil, fmt.Errorf("model_config.config.%s: entry %v has no layer name", field, e)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("model_config.config.%s is missing or empty", field)
	}
	return out, nil
}

var errCycle = errors.New("the layer graph has a cycle")

// buildGraph links layers, orders them topologically from the output,
// attaches weights and infers shapes.
func buildGraph(name string, layers []*Layer, inputs, outputs []string, weights map[string]map[string]*Weight) (*Model, error) {
	if len(inputs) != 1 || len(outputs) != 1 {
		return nil, fmt.Errorf("model has %d inputs and %d outputs; hubel supports one of each", len(inputs), len(outputs))
	}
	byName := map[string]*Layer{}
	for _, l := range layers {
		if _, dup := byName[l.Name]; dup {
			return nil, fmt.Errorf("two layers are named %q", l.Name)
		}
		byName[l.Name] = l
	}
	for _, l := range layers {
		for _, in := range l.inbound {
			src, ok := byName[in.Layer]
			if !ok {
				return nil, fmt.Errorf("layer %q: input %q is not a layer of the model", l.Name, in.Layer)
			}
			if in.Node != 0 || in.Index != 0 {
				return nil, fmt.Errorf("layer %q: input %q[%d][%d]: shared layers and multi-output layers are not supported", l.Name, in.Layer, in.Node, in.Index)
			}
			l.Inputs = append(l.Inputs, src)
		}
		l.Weights = weights[l.Name]
	}
	out, ok := byName[outputs[0]]
	if !ok {
		return nil, fmt.Errorf("output_layers: %q is not a layer of the model", outputs[0])
	}
	input, ok := byName[inputs[0]]
	if !ok {
		return nil, fmt.Errorf("input_layers: %q is not a layer of the model", inputs[0])
	}
	// Depth-first from the output: the order visits inputs first, and a
	// layer met again while on the stack closes a cycle.
	state := map[*Layer]int{} // 0 unseen, 1 on stack, 2 done
	var order []*Layer
	var visit func(l *Layer, path []string) error
	visit = func(l *Layer, path []string) error {
		switch state[l] {
		case 1:
			return fmt.Errorf("%w: %s -> %s", errCycle, strings.Join(path, " -> "), l.Name)
		case 2:
			return nil
		}
		state[l] = 1
		for _, in := range l.Inputs {
			if err := visit(in, append(path, l.Name)); err != nil {
				return err
			}
		}
		state[l] = 2
		order = append(order, l)
		return nil
	}
	if err := visit(out, nil); err != nil {
		return nil, err
	}
	if state[input] != 2 {
		return nil, fmt.Errorf("output %q does not depend on input %q", out.Name, input.Name)
	}
	for _, l := range order {
		if l.Class == "InputLayer" && l != input {
			return nil, fmt.Errorf("layer %q: a second input layer is not supported", l.Name)
		}
		if err := l.configure(); err != nil {
			return nil, err
		}
		if len(l.Inputs) == 0 && l != input {
			return nil, fmt.Errorf("layer %q (%s): has no inputs", l.Name, l.Class)
		}
	}
	shape := input.cfg.BatchInputShape
	if shape == nil {
		shape = input.cfg.BatchShape
	}
	if len(shape) != 4 && len(shape) != 2 {
		return nil, fmt.Errorf("layer %q: batch_input_shape %v: want [null, height, width, channels]", input.Name, printShape(shape))
	}
	for _, d := range shape[1:] {
		if d == nil || *d < 1 {
			return nil, fmt.Errorf("layer %q: batch_input_shape %v: every dimension but the batch must be a positive number", input.Name, printShape(shape))
		}
		input.Shape = append(input.Shape, *d)
	}
	for _, l := range order {
		if err := l.inferShape(); err != nil {
			return nil, err
		}
		if n := numel(l.Shape); n < 1 {
			return nil, fmt.Errorf("layer %q (%s): output shape %v is empty or too large", l.Name, l.Class, l.Shape)
		}
	}
	if name == "" {
		name = "model"
	}
	return &Model{Name: name, Layers: order, Input: input, Output: out, byName: byName}, nil
}

func printShape(s []*int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d == nil {
			parts[i] = "null"
		} else {
			parts[i] = fmt.Sprint(*d)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
