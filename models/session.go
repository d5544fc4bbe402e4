package models

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hubelviz/hubel/gpu"
)

// Session runs one model on one backend for a fixed set of target layers:
// forward passes, and gradients of a weighted sum of the targets'
// activations with respect to the input. It is what `hubel predict` and
// `hubel grad` use.
type Session interface {
	// Forward runs the network on x (NHWC, in the model's input range) and
	// returns the activations of each target, in the order given.
	Forward(x []float32) ([][]float32, error)
	// InputGrad returns the gradient, with respect to the input of the last
	// Forward, of Σ_t <seeds[t], activation_t>.
	InputGrad(seeds [][]float32) ([]float32, error)
	// Backend names the backend and adapter, e.g. "gpu: llvmpipe … [Vulkan]".
	Backend() string
	Close()
}

// NewSession lays out plan p for one image and the named targets on the
// backend "gpu" (on d) or "cpu".
func NewSession(p *Plan, backend string, d *gpu.Device, targets []*Node, grad bool) (Session, error) {
	switch backend {
	case "gpu":
		if d == nil {
			return nil, fmt.Errorf("models: gpu backend without a device")
		}
		be := NewGPU(d)
		g, err := Build[*gpu.Buffer, gpu.Op](be, p, 1, targets, grad)
		if err != nil {
			be.Release()
			return nil, err
		}
		return &gpuSession{d: d, be: be, g: g, targets: targets}, nil
	case "cpu":
		g, err := Build[[]float64, func()](CPU{}, p, 1, targets, grad)
		if err != nil {
			return nil, err
		}
		return &cpuSession{g: g, targets: targets}, nil
	}
	return nil, fmt.Errorf("models: unknown backend %q (want gpu or cpu)", backend)
}

type gpuSession struct {
	d       *gpu.Device
	be      *GPU
	g       *GPUGraph
	targets []*Node
}

func (s *gpuSession) Backend() string { return "gpu: " + s.d.Adapter }
func (s *gpuSession) Close()          { s.be.Release() }

func (s *gpuSession) Forward(x []float32) ([][]float32, error) {
	if len(x) != s.g.Input.Len {
		return nil, fmt.Errorf("models: input has %d values, the model takes %d", len(x), s.g.Input.Len)
	}
	if err := s.g.Input.Write(x); err != nil {
		return nil, err
	}
	if err := s.d.Run(gpu.Seq(s.g.Forward)); err != nil {
		return nil, err
	}
	var out [][]float32
	for _, t := range s.targets {
		v, err := s.d.Read(context.Background(), s.g.Out[t])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *gpuSession) InputGrad(seeds [][]float32) ([]float32, error) {
	for i, t := range s.targets {
		if err := s.g.Seed[t].Write(seeds[i]); err != nil {
			return nil, err
		}
	}
	if err := s.d.Run(gpu.Seq(s.g.Backward)); err != nil {
		return nil, err
	}
	return s.d.Read(context.Background(), s.g.Grad[s.g.Plan.Nodes[0]])
}

type cpuSession struct {
	g       *CPUGraph
	targets []*Node
}

func (s *cpuSession) Backend() string { return "cpu: gpu/ref (float64)" }
func (s *cpuSession) Close()          {}

func run(ops []func()) {
	for _, op := range ops {
		op()
	}
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func (s *cpuSession) Forward(x []float32) ([][]float32, error) {
	if len(x) != len(s.g.Input) {
		return nil, fmt.Errorf("models: input has %d values, the model takes %d", len(x), len(s.g.Input))
	}
	copy(s.g.Input, f64(x))
	run(s.g.Forward)
	var out [][]float32
	for _, t := range s.targets {
		out = append(out, f32(s.g.Out[t]))
	}
	return out, nil
}

func (s *cpuSession) InputGrad(seeds [][]float32) ([]float32, error) {
	for i, t := range s.targets {
		copy(s.g.Seed[t], f64(seeds[i]))
	}
	run(s.g.Backward)
	return f32(s.g.Grad[s.g.Plan.Nodes[0]]), nil
}

// MeanObjective resolves `LAYER:CHANNEL` (the mean over positions of one
// channel of a layer's output) or `logit:CLASS` to its node and the
// gradient of the objective with respect to that node's activation (for
// one image): 1/positions at the channel, 0 elsewhere.
func (p *Plan) MeanObjective(spec string) (*Node, []float32, error) {
	i := strings.LastIndexByte(spec, ':')
	if i <= 0 {
		return nil, nil, fmt.Errorf("objective %q: want LAYER:CHANNEL or logit:CLASS", spec)
	}
	name, idxs := spec[:i], spec[i+1:]
	idx, err := strconv.Atoi(idxs)
	if err != nil || idx < 0 {
		return nil, nil, fmt.Errorf("objective %q: %q is not a non-negative integer", spec, idxs)
	}
	var n *Node
	if name == "logit" {
		n, err = p.Logits()
	} else {
		n, err = p.Node(name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("objective %q: %w", spec, err)
	}
	c := n.Shape[len(n.Shape)-1]
	if idx >= c {
		return nil, nil, fmt.Errorf("objective %q: %s has %d channels", spec, n.Name, c)
	}
	seed := make([]float32, numel(n.Shape))
	positions := len(seed) / c
	for pos := 0; pos < positions; pos++ {
		seed[pos*c+idx] = 1 / float32(positions)
	}
	return n, seed, nil
}
