package app

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hubelviz/hubel/am"
	"github.com/hubelviz/hubel/models"
)

// Images returns one objective per image of the batch: the listed specs, or
// the single spec repeated Batch times.
func (s State) Images() ([]am.Objective, error) {
	var out []am.Objective
	for _, spec := range s.Objectives {
		o, err := am.ParseObjective(spec, nil)
		if err != nil {
			return nil, &KeyError{Key: "objective", Value: spec, Msg: oneLine(err)}
		}
		out = append(out, o)
	}
	if len(out) == 1 {
		for len(out) < s.Batch {
			out = append(out, out[0])
		}
	}
	return out, nil
}

// CheckModel verifies the state against a loaded model: every layer an
// objective or the gallery names exists and every channel and class is in
// range. The error names the key and lists what the model offers.
func (s State) CheckModel(p *models.Plan, desc *models.Descriptor) error {
	objs, err := s.Images()
	if err != nil {
		return err
	}
	for i, o := range objs {
		if i > 0 && len(s.Objectives) == 1 {
			break
		}
		for _, t := range o.Terms {
			if err := checkTerm(p, desc, t); err != nil {
				return &KeyError{Key: "objective", Value: s.Objectives[min(i, len(s.Objectives)-1)], Msg: err.Error()}
			}
		}
	}
	if s.View == "gallery" {
		layer := s.GalleryLayer()
		n, err := p.Node(layer)
		if err != nil {
			return &KeyError{Key: "layer", Value: layer, Msg: noLayer(p, desc, layer)}
		}
		if _, err := ParseChannels(s.Channels, channels(n)); err != nil {
			return &KeyError{Key: "channels", Value: s.Channels, Msg: fmt.Sprintf("%s: %v", layer, err)}
		}
	}
	return nil
}

// GalleryLayer is the gallery's layer: Layer, or the first objective's.
func (s State) GalleryLayer() string {
	if s.Layer != "" || len(s.Objectives) == 0 {
		return s.Layer
	}
	o, err := am.ParseObjective(s.Objectives[0], nil)
	if err != nil || len(o.Terms) == 0 {
		return ""
	}
	return o.Terms[0].Layer
}

func channels(n *models.Node) int { return n.Shape[len(n.Shape)-1] }

func checkTerm(p *models.Plan, desc *models.Descriptor, t am.Term) error {
	switch t.Kind {
	case am.KindChannel, am.KindNeuron, am.KindDeepDream, am.KindDirection, am.KindDiversity:
		n, err := p.Node(t.Layer)
		if err != nil {
			return fmt.Errorf("%s", noLayer(p, desc, t.Layer))
		}
		c := channels(n)
		if (t.Kind == am.KindChannel || t.Kind == am.KindNeuron) && t.Channel >= c {
			return fmt.Errorf("layer %s has %d channels (0-%d); %d is out of range", t.Layer, c, c-1, t.Channel)
		}
		if t.Kind == am.KindNeuron && len(n.Shape) == 3 && (t.X >= n.Shape[1] || t.Y >= n.Shape[0]) {
			return fmt.Errorf("layer %s is %d×%d; the neuron at (%d, %d) is outside it", t.Layer, n.Shape[1], n.Shape[0], t.X, t.Y)
		}
	case am.KindLogit, am.KindSoftmax, am.KindLogSoftmax:
		n, err := p.Logits()
		if err != nil {
			return err
		}
		if c := channels(n); t.Class >= c {
			return fmt.Errorf("the model has %d classes (0-%d); %d is out of range", c, c-1, t.Class)
		}
	}
	return nil
}

// noLayer explains a missing layer, listing the model's visualisable ones.
func noLayer(p *models.Plan, desc *models.Descriptor, name string) string {
	if _, err := p.Node(name); err != nil && strings.Contains(err.Error(), "folded") {
		return oneLine(err)
	}
	var names []string
	if desc != nil {
		for _, l := range desc.Layers {
			names = append(names, l.Name+" ("+strconv.Itoa(l.Channels)+")")
		}
	}
	msg := fmt.Sprintf("no layer %q in %s", name, p.Model.Name)
	if len(names) > 0 {
		msg += "; its layers (channels): " + strings.Join(names, ", ")
	}
	return msg
}
