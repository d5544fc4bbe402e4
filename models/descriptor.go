package models

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Descriptor is what hubel needs to know about a model beyond its weights:
// how to feed it, what its classes are called and which layers are worth
// visualising. It lives beside model.json as hubel.json, or in the zoo.
type Descriptor struct {
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	// Input is the image size and the range the model expects its pixels in
	// (MobileNet: [-1, 1]; 8-bit p maps to lo + p/255·(hi−lo)).
	Input struct {
		Height   int        `json:"height"`
		Width    int        `json:"width"`
		Channels int        `json:"channels"`
		Range    [2]float64 `json:"range"`
		// Mean is the training set's mean colour (RGB in [0, 1]), for
		// activation maximisation's mean-image start; zero if unknown.
		Mean [3]float64 `json:"mean,omitempty"`
	} `json:"input"`
	// Labels are the class names, index i for logit i. LabelsFile (relative
	// to the model's folder) may hold them instead: one per line, or a JSON
	// object with a "labels" list (tfjs-models' metadata.json).
	Labels     []string `json:"labels,omitempty"`
	LabelsFile string   `json:"labels_file,omitempty"`
	// Layers worth visualising, with their channel counts, in network order.
	Layers []LayerInfo `json:"layers,omitempty"`
	// Generator and Prior are folders (relative to the model's) holding the
	// generator network of DGN-AM and the denoising autoencoder of PPGN,
	// when the model ships them (see LoadGenerative).
	Generator string `json:"generator,omitempty"`
	Prior     string `json:"prior,omitempty"`
	License   string `json:"license,omitempty"`
	Source    string `json:"source,omitempty"`
}

// LayerInfo names a layer and its channel count.
type LayerInfo struct {
	Name     string `json:"name"`
	Channels int    `json:"channels"`
	Height   int    `json:"height,omitempty"`
	Width    int    `json:"width,omitempty"`
}

// ZooEntry is a model hubel knows: its descriptor and where to get it.
type ZooEntry struct {
	Descriptor
	// URL of the folder holding model.json on the web, if hosted.
	URL string `json:"url,omitempty"`
	// Local is a folder relative to the repository (bundled models) or to
	// the site (models added at build time).
	Local string `json:"local,omitempty"`
	// Bundled models are committed in this repository and always present.
	Bundled bool `json:"bundled,omitempty"`
	// ModelName is the name inside model.json, by which a folder loaded
	// without hubel.json is recognised.
	ModelName string `json:"model_name,omitempty"`
	// Default marks the model hubel shows first (the bundled MNIST
	// classifier); it is also the zoo's first entry.
	Default bool `json:"default,omitempty"`
	// Examples names the dataset-examples index in the model's folder
	// (train.Examples: the 9 test images that excite each unit most).
	Examples string `json:"examples,omitempty"`
	// Judge names the zoo entry of an independent classifier of the same
	// data (another architecture and seed), to judge synthesised images.
	Judge string `json:"judge,omitempty"`
}

// DefaultZoo returns the zoo's default entry.
func DefaultZoo() (ZooEntry, error) {
	z, err := Zoo()
	if err != nil {
		return ZooEntry{}, err
	}
	for _, e := range z {
		if e.Default {
			return e, nil
		}
	}
	return ZooEntry{}, fmt.Errorf("models: zoo.json marks no entry as default")
}

//go:embed zoo.json
var zooJSON []byte

// Zoo lists the models hubel knows, in display order.
func Zoo() ([]ZooEntry, error) {
	var z []ZooEntry
	if err := json.Unmarshal(zooJSON, &z); err != nil {
		return nil, fmt.Errorf("models: zoo.json: %w", err)
	}
	return z, nil
}

// FindZoo returns the zoo entry called name.
func FindZoo(name string) (ZooEntry, error) {
	z, err := Zoo()
	if err != nil {
		return ZooEntry{}, err
	}
	var names []string
	for _, e := range z {
		if e.Name == name || (e.ModelName != "" && e.ModelName == name) {
			return e, nil
		}
		names = append(names, e.Name)
	}
	return ZooEntry{}, fmt.Errorf("models: no model %q in the zoo (known: %s)", name, strings.Join(names, ", "))
}

// LoadDescriptor reads hubel.json from src if present; otherwise it returns
// the zoo's descriptor for the model's name, or one inferred from the model
// (input size from its input layer, range [0, 1], visualisable layers from
// its activations).
func LoadDescriptor(ctx context.Context, src Source, m *Model) (*Descriptor, error) {
	var d Descriptor
	raw, err := src.ReadFile(ctx, "hubel.json")
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("models: %s: %w", src.Where("hubel.json"), err)
		}
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "404"):
		d = InferDescriptor(m)
		if e, zerr := FindZoo(m.Name); zerr == nil {
			d = e.Descriptor
		}
	default:
		return nil, fmt.Errorf("models: %s: %w", src.Where("hubel.json"), err)
	}
	if err := d.check(m, src.Where("hubel.json")); err != nil {
		return nil, err
	}
	if d.LabelsFile != "" && len(d.Labels) == 0 {
		raw, err := src.ReadFile(ctx, d.LabelsFile)
		if err != nil {
			return nil, fmt.Errorf("models: %s: %w", src.Where(d.LabelsFile), err)
		}
		if d.Labels, err = ParseLabels(raw); err != nil {
			return nil, fmt.Errorf("models: %s: %w", src.Where(d.LabelsFile), err)
		}
	}
	if len(d.Layers) == 0 {
		d.Layers = InferDescriptor(m).Layers
	}
	return &d, nil
}

// ParseLabels reads class names from a text file (one per line) or from
// JSON ({"labels": [...]} or a plain list).
func ParseLabels(raw []byte) ([]string, error) {
	t := bytes.TrimSpace(raw)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		var obj struct {
			Labels []string `json:"labels"`
		}
		if t[0] == '[' {
			if err := json.Unmarshal(t, &obj.Labels); err != nil {
				return nil, fmt.Errorf("labels: %w", err)
			}
		} else if err := json.Unmarshal(t, &obj); err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
		return obj.Labels, nil
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

// check verifies the descriptor against the model.
func (d *Descriptor) check(m *Model, file string) error {
	in := m.Input.Shape
	if d.Input.Height == 0 && len(in) == 3 {
		d.Input.Height, d.Input.Width, d.Input.Channels = in[0], in[1], in[2]
	}
	if len(in) == 3 && (d.Input.Height != in[0] || d.Input.Width != in[1] || d.Input.Channels != in[2]) {
		return fmt.Errorf("models: %s: input is %dx%dx%d but the model's input layer is %v", file, d.Input.Height, d.Input.Width, d.Input.Channels, in)
	}
	if d.Input.Range == [2]float64{} {
		d.Input.Range = [2]float64{0, 1}
	}
	if !(d.Input.Range[0] < d.Input.Range[1]) {
		return fmt.Errorf("models: %s: input.range %v: want [lo, hi] with lo < hi", file, d.Input.Range)
	}
	for _, l := range d.Layers {
		ml, err := m.Layer(l.Name)
		if err != nil {
			return fmt.Errorf("models: %s: layers: %w", file, err)
		}
		if l.Channels != 0 && l.Channels != ml.Channels() {
			return fmt.Errorf("models: %s: layer %q has %d channels, not %d", file, l.Name, ml.Channels(), l.Channels)
		}
	}
	return nil
}

// InferDescriptor describes a model from its graph alone: the input layer's
// size, range [0, 1], and as visualisable layers every activation with a
// spatial output plus the logits.
func InferDescriptor(m *Model) Descriptor {
	var d Descriptor
	d.Name = m.Name
	if len(m.Input.Shape) == 3 {
		d.Input.Height, d.Input.Width, d.Input.Channels = m.Input.Shape[0], m.Input.Shape[1], m.Input.Shape[2]
	}
	d.Input.Range = [2]float64{0, 1}
	for _, l := range m.Layers {
		act := l.Class == "ReLU" || l.Class == "LeakyReLU" || (l.Activation != "linear" && l.Activation != "softmax")
		if act && len(l.Shape) == 3 {
			d.Layers = append(d.Layers, LayerInfo{Name: l.Name, Channels: l.Channels(), Height: l.Shape[0], Width: l.Shape[1]})
		}
	}
	return d
}
