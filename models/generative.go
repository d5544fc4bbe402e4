package models

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
)

// Sub is a Source reading the files under Dir of another Source: a
// generator or prior shipped in a folder beside a model.
type Sub struct {
	Src Source
	Dir string
}

// ReadFile implements Source.
func (s Sub) ReadFile(ctx context.Context, name string) ([]byte, error) {
	return s.Src.ReadFile(ctx, path.Join(s.Dir, name))
}

// Where implements Source.
func (s Sub) Where(name string) string { return s.Src.Where(path.Join(s.Dir, name)) }

// CodeStats describes the codes h a generator takes: which layer of the
// classifier they come from and, per unit, the range and moments seen on
// the training set. It is the generator folder's code.json.
type CodeStats struct {
	// Layer is the classifier layer whose activations are the codes.
	Layer string `json:"layer"`
	// Low and High bound each unit (DGN-AM clips codes to them: e.g. 0 and
	// the 99th percentile over the training set); Mean and Std are its
	// moments, for random starts.
	Low  []float32 `json:"low"`
	High []float32 `json:"high"`
	Mean []float32 `json:"mean"`
	Std  []float32 `json:"std"`
	// Command is what made the generator, for the record.
	Command string `json:"command,omitempty"`
}

// Generative is what DGN-AM and PPGN add to a classifier: a generator G
// from codes to images, the statistics of the codes, and (for PPGN) a
// denoising autoencoder on codes, the learned prior.
type Generative struct {
	G     *Plan
	Code  CodeStats
	Prior *Plan // nil when the model ships no prior
}

// LoadGenerative loads the generator (and the prior, if the descriptor
// names one) of the model described by desc, whose files src holds. The
// generator must map the code layer's width to an image of the classifier's
// input shape m.Input.Shape, and the prior the code width to itself.
func LoadGenerative(ctx context.Context, src Source, desc *Descriptor, m *Model) (*Generative, error) {
	if desc.Generator == "" {
		return nil, fmt.Errorf("models: %s: its descriptor (%s) has no \"generator\" field: DGN-AM and PPGN need a generator network shipped beside the model", desc.Name, src.Where("hubel.json"))
	}
	gsrc := Sub{src, desc.Generator}
	plan := func(s Source) (*Plan, error) {
		gm, err := Load(ctx, s)
		if err != nil {
			return nil, err
		}
		return Lower(gm)
	}
	g := &Generative{}
	var err error
	if g.G, err = plan(gsrc); err != nil {
		return nil, err
	}
	raw, err := gsrc.ReadFile(ctx, "code.json")
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", gsrc.Where("code.json"), err)
	}
	if err := json.Unmarshal(raw, &g.Code); err != nil {
		return nil, fmt.Errorf("models: %s: %w", gsrc.Where("code.json"), err)
	}
	cl, err := m.Layer(g.Code.Layer)
	if err != nil {
		return nil, fmt.Errorf("models: %s: layer: %w", gsrc.Where("code.json"), err)
	}
	width := cl.Channels()
	for _, f := range []struct {
		name string
		v    []float32
	}{{"low", g.Code.Low}, {"high", g.Code.High}, {"mean", g.Code.Mean}, {"std", g.Code.Std}} {
		if len(f.v) != width {
			return nil, fmt.Errorf("models: %s: %s has %d values, the code layer %q has %d units", gsrc.Where("code.json"), f.name, len(f.v), g.Code.Layer, width)
		}
	}
	for i := range width {
		if !(g.Code.Low[i] <= g.Code.High[i]) {
			return nil, fmt.Errorf("models: %s: unit %d: low %g > high %g", gsrc.Where("code.json"), i, g.Code.Low[i], g.Code.High[i])
		}
	}
	if in := g.G.Model.Input.Shape; len(in) != 1 || in[0] != width {
		return nil, fmt.Errorf("models: %s: the generator's input %v is not the code layer %q's %d units", gsrc.Where("model.json"), in, g.Code.Layer, width)
	}
	if out := g.G.Model.Output.Shape; !equalShape(out, m.Input.Shape) {
		return nil, fmt.Errorf("models: %s: the generator's output %v is not the classifier's input %v", gsrc.Where("model.json"), out, m.Input.Shape)
	}
	if desc.Prior == "" {
		return g, nil
	}
	psrc := Sub{src, desc.Prior}
	if g.Prior, err = plan(psrc); err != nil {
		return nil, err
	}
	if in, out := g.Prior.Model.Input.Shape, g.Prior.Model.Output.Shape; len(in) != 1 || in[0] != width || !equalShape(in, out) {
		return nil, fmt.Errorf("models: %s: the prior maps %v to %v, want the code's %d units to themselves", psrc.Where("model.json"), in, out, width)
	}
	return g, nil
}
