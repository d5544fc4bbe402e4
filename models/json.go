package models

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The JSON shapes of TF.js's model.json, as far as hubel reads them.

type modelJSON struct {
	Format          string            `json:"format"`
	ModelTopology   json.RawMessage   `json:"modelTopology"`
	WeightsManifest []manifestGroup   `json:"weightsManifest"`
	UserDefined     map[string]any    `json:"userDefinedMetadata"`
	Extra           map[string]string `json:"-"`
}

type manifestGroup struct {
	Paths   []string       `json:"paths"`
	Weights []manifestSpec `json:"weights"`
}

type manifestSpec struct {
	Name         string        `json:"name"`
	Shape        []int         `json:"shape"`
	Dtype        string        `json:"dtype"`
	Quantization *quantization `json:"quantization"`
}

type quantization struct {
	Dtype string   `json:"dtype"`
	Scale *float64 `json:"scale"`
	Min   *float64 `json:"min"`
}

// topology is modelTopology: either {"model_config": {...}} (tfjs-converter
// of a Keras model) or the model config itself.
type topology struct {
	KerasVersion string          `json:"keras_version"`
	ModelConfig  json.RawMessage `json:"model_config"`
	ClassName    string          `json:"class_name"`
	Config       json.RawMessage `json:"config"`
}

type modelConfig struct {
	ClassName string          `json:"class_name"`
	Config    json.RawMessage `json:"config"`
}

type functionalConfig struct {
	Name         string      `json:"name"`
	Layers       []layerJSON `json:"layers"`
	InputLayers  [][]any     `json:"input_layers"`
	OutputLayers [][]any     `json:"output_layers"`
}

type layerJSON struct {
	ClassName    string          `json:"class_name"`
	Name         string          `json:"name"`
	Config       json.RawMessage `json:"config"`
	InboundNodes json.RawMessage `json:"inbound_nodes"`
}

// layerConfig is the union of the config fields of the layers hubel
// supports. Fields absent from a layer's JSON keep their zero values;
// parse* functions apply Keras's defaults.
type layerConfig struct {
	Name            string          `json:"name"`
	Filters         int             `json:"filters"`
	KernelSize      intPair         `json:"kernel_size"`
	Strides         *intPair        `json:"strides"`
	Padding         json.RawMessage `json:"padding"`
	DilationRate    *intPair        `json:"dilation_rate"`
	DataFormat      string          `json:"data_format"`
	UseBias         *bool           `json:"use_bias"`
	Activation      string          `json:"activation"`
	DepthMultiplier int             `json:"depth_multiplier"`
	Epsilon         *float64        `json:"epsilon"`
	Axis            json.RawMessage `json:"axis"`
	Center          *bool           `json:"center"`
	Scale           *bool           `json:"scale"`
	MaxValue        *float64        `json:"max_value"`
	NegativeSlope   *float64        `json:"negative_slope"`
	Threshold       *float64        `json:"threshold"`
	Alpha           *float64        `json:"alpha"`
	PoolSize        *intPair        `json:"pool_size"`
	TargetShape     []int           `json:"target_shape"`
	Units           int             `json:"units"`
	BatchInputShape []*int          `json:"batch_input_shape"`
	BatchShape      []*int          `json:"batch_shape"`
	Dtype           json.RawMessage `json:"dtype"`
	Rate            float64         `json:"rate"`
	Size            *intPair        `json:"size"`          // UpSampling2D
	Interpolation   string          `json:"interpolation"` // UpSampling2D
}

// intPair decodes Keras's `3` or `[3, 3]`.
type intPair [2]int

func (p *intPair) UnmarshalJSON(b []byte) error {
	var one int
	if err := json.Unmarshal(b, &one); err == nil {
		*p = intPair{one, one}
		return nil
	}
	var two []int
	if err := json.Unmarshal(b, &two); err != nil {
		return fmt.Errorf("want an integer or a pair of integers, got %s", clip(string(b)))
	}
	if len(two) != 2 {
		return fmt.Errorf("want a pair of integers, got %d values", len(two))
	}
	*p = intPair{two[0], two[1]}
	return nil
}

// inbound is one input of a layer: the producing layer's name and which of
// its outputs.
type inbound struct {
	Layer string
	Node  int
	Index int
}

// parseInbound reads Keras 2's [[["name", node, index, {kwargs}], ...]]
// (one list per call of the layer; hubel supports layers called once) and
// Keras 3's [{"args": [{"config": {"keras_history": ["name", node, index]}}], ...}].
func parseInbound(raw json.RawMessage) ([]inbound, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var calls []json.RawMessage
	if err := json.Unmarshal(raw, &calls); err != nil {
		return nil, fmt.Errorf("inbound_nodes: want a list, got %s", clip(string(raw)))
	}
	if len(calls) == 0 {
		return nil, nil
	}
	if len(calls) > 1 {
		return nil, fmt.Errorf("inbound_nodes: layer is called %d times; shared layers are not supported", len(calls))
	}
	var k2 [][]any
	if err := json.Unmarshal(calls[0], &k2); err == nil {
		out := make([]inbound, 0, len(k2))
		for _, e := range k2 {
			in, err := inboundFromList(e)
			if err != nil {
				return nil, err
			}
			out = append(out, in)
		}
		return out, nil
	}
	var k3 struct {
		Args []json.RawMessage `json:"args"`
	}
	if err := json.Unmarshal(calls[0], &k3); err != nil {
		return nil, fmt.Errorf("inbound_nodes: unrecognised node %s", clip(string(calls[0])))
	}
	var out []inbound
	for _, a := range k3.Args {
		hist, err := kerasHistory(a)
		if err != nil {
			return nil, err
		}
		out = append(out, hist...)
	}
	return out, nil
}

func kerasHistory(raw json.RawMessage) ([]inbound, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err == nil {
		var out []inbound
		for _, r := range list {
			h, err := kerasHistory(r)
			if err != nil {
				return nil, err
			}
			out = append(out, h...)
		}
		return out, nil
	}
	var t struct {
		Config struct {
			KerasHistory []any `json:"keras_history"`
		} `json:"config"`
	}
	if err := json.Unmarshal(raw, &t); err != nil || t.Config.KerasHistory == nil {
		return nil, fmt.Errorf("inbound_nodes: argument without keras_history: %s", clip(string(raw)))
	}
	in, err := inboundFromList(t.Config.KerasHistory)
	if err != nil {
		return nil, err
	}
	return []inbound{in}, nil
}

func inboundFromList(e []any) (inbound, error) {
	if len(e) < 3 {
		return inbound{}, fmt.Errorf("inbound_nodes: entry %v: want [name, node, index, ...]", e)
	}
	name, ok := e[0].(string)
	node, ok2 := e[1].(float64)
	idx, ok3 := e[2].(float64)
	if !ok || !ok2 || !ok3 {
		return inbound{}, fmt.Errorf("inbound_nodes: entry %v: want [name, node, index, ...]", e)
	}
	return inbound{name, int(node), int(idx)}, nil
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
