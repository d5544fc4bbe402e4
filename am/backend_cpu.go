package am

import (
	"context"
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
	"github.com/hubelviz/hubel/models"
)

// CPUBackend runs the render loop on the CPU reference (package gpu/ref),
// in float64: the oracle for the GPU loop, and the fallback where WebGPU is
// missing. Its tensors are []float64 and its ops plain functions.
type CPUBackend struct{ models.CPU }

var _ Backend[[]float64, func()] = CPUBackend{}

// Name implements Backend.
func (CPUBackend) Name() string { return "cpu (gpu/ref)" }

// Release implements Backend.
func (CPUBackend) Release() {}

// Write implements Backend.
func (CPUBackend) Write(b []float64, v []float32) error {
	if len(v) != len(b) {
		return fmt.Errorf("am: write of %d floats into %d", len(v), len(b))
	}
	for i, x := range v {
		b[i] = float64(x)
	}
	return nil
}

// Read implements Backend.
func (CPUBackend) Read(_ context.Context, b []float64) ([]float32, error) {
	out := make([]float32, len(b))
	for i, x := range b {
		out[i] = float32(x)
	}
	return out, nil
}

// ReadSoon implements Backend: on the CPU the read is done at once.
func (c CPUBackend) ReadSoon(b []float64) func(context.Context) ([]float32, error) {
	out, err := c.Read(context.Background(), b)
	return func(context.Context) ([]float32, error) { return out, err }
}

// Submit implements Backend.
func (CPUBackend) Submit(ops ...func()) error {
	for _, op := range ops {
		if op != nil {
			op()
		}
	}
	return nil
}

// Sync implements Backend.
func (CPUBackend) Sync(context.Context) error { return nil }

// Seq implements Backend.
func (c CPUBackend) Seq(ops ...func()) func() { return func() { c.Submit(ops...) } }

// CopyAt implements Backend.
func (CPUBackend) CopyAt(dst []float64, off int, src []float64) (func(), error) {
	if off < 0 || off+len(src) > len(dst) {
		return nil, fmt.Errorf("am: copy of %d floats at %d into %d", len(src), off, len(dst))
	}
	return func() { copy(dst[off:], src) }, nil
}

// into returns an op storing f's result into out (+= with accumulate).
func into(out []float64, accumulate bool, f func() []float64) func() {
	return func() {
		v := f()
		if !accumulate {
			copy(out, v)
			return
		}
		for i, x := range v {
			out[i] += x
		}
	}
}

// Spectral implements Backend.
func (CPUBackend) Spectral(s gpu.SpectralShape, spec, img, dimg, dspec []float64) (fwd, back func(), err error) {
	if len(spec) != s.SpectrumLen() || len(dspec) != len(spec) || len(img) != s.B*s.H*s.W*s.C || len(dimg) != len(img) {
		return nil, nil, fmt.Errorf("am: spectral %+v: buffer sizes %d, %d, %d, %d", s, len(spec), len(img), len(dimg), len(dspec))
	}
	sp := newCPUSpectral(s)
	fwd = func() { sp.forward(spec, img) }
	back = func() { sp.backward(dimg, dspec) }
	return fwd, back, nil
}

// ToRGB implements Backend.
// A grey image (a channel count other than 3) goes through the sigmoid
// alone.
func (CPUBackend) ToRGB(s gpu.ColorShape, t, rgb []float64) (func(), error) {
	if s.Channels() != 3 {
		return into(rgb, false, func() []float64 { return ref.Activate(ref.Act{Kind: ref.ActSigmoid}, t) }), nil
	}
	return func() {
		// A row per call: see toRGBRow.
		row := max(s.W, 1) * 3
		for p := 0; p < len(t); p += row {
			e := min(p+row, len(t))
			toRGBRow(rgb[p:e], s.M, t[p:e])
		}
	}, nil
}

// toRGBRow is ref.ToRGBInto out of line: V8 optimises it after the first
// few rows of a page's first image (see cmad).
//
//go:noinline
func toRGBRow(rgb []float64, m [9]float64, t []float64) { ref.ToRGBInto(rgb, m, t) }

// ToRGBBackward implements Backend. The sigmoid's derivative comes from
// its output: y(1 − y).
func (CPUBackend) ToRGBBackward(s gpu.ColorShape, rgb, drgb, dt []float64) (func(), error) {
	if s.Channels() != 3 {
		return func() {
			for i, y := range rgb {
				dt[i] = drgb[i] * y * (1 - y)
			}
		}, nil
	}
	return func() {
		for p := 0; p+3 <= len(rgb); p += 3 {
			dt[p], dt[p+1], dt[p+2] = 0, 0, 0
			for i := range 3 {
				dz := drgb[p+i] * rgb[p+i] * (1 - rgb[p+i])
				for j := range 3 {
					dt[p+j] += s.M[3*i+j] * dz
				}
			}
		}
	}, nil
}

// Resample implements Backend.
func (CPUBackend) Resample(s gpu.ResampleShape, x, mats, y []float64) (func(), error) {
	return into(y, false, func() []float64 { return ref.Resample(x, s.N, s.H, s.W, s.C, s.OH, s.OW, mats, s.Fill) }), nil
}

// ResampleBackward implements Backend.
func (CPUBackend) ResampleBackward(s gpu.ResampleShape, dy, mats, dx []float64) (func(), error) {
	return into(dx, false, func() []float64 { return ref.ResampleAdjoint(dy, s.N, s.H, s.W, s.C, s.OH, s.OW, mats) }), nil
}

// ScaleShift implements Backend.
func (CPUBackend) ScaleShift(z []float64, a, b float64) (func(), error) {
	return func() {
		for i := range z {
			z[i] = a*z[i] + b
		}
	}, nil
}

// AXPBY implements Backend.
func (CPUBackend) AXPBY(z, x, y []float64, a, b float64) (func(), error) {
	return into(z, false, func() []float64 { return ref.AXPBY(x, y, a, b) }), nil
}

// Mul implements Backend.
func (CPUBackend) Mul(z, x, y []float64) (func(), error) {
	return into(z, false, func() []float64 { return ref.Mul(x, y) }), nil
}

// Clamp implements Backend.
func (CPUBackend) Clamp(z, lo, hi []float64) (func(), error) {
	if len(lo) != len(z) || len(hi) != len(z) {
		return nil, fmt.Errorf("am: clamp of %d floats between %d and %d bounds", len(z), len(lo), len(hi))
	}
	return func() { copy(z, ref.Clamp(z, lo, hi)) }, nil
}

// GEMM implements Backend (densely packed problems only).
func (CPUBackend) GEMM(s gpu.GEMMShape, c, a, b []float64) (func(), error) {
	if s.StrideA != 0 || s.StrideB != 0 || s.StrideC != 0 || s.OffsetA != 0 || s.OffsetB != 0 || s.OffsetC != 0 {
		return nil, fmt.Errorf("am: cpu gemm: strides and offsets are not supported")
	}
	rs := ref.GEMMShape{Batch: max(s.Batch, 1), M: s.M, N: s.N, K: s.K, TransA: s.TransA, TransB: s.TransB,
		Alpha: s.Alpha, Beta: s.Beta, SharedA: s.SharedA, SharedB: s.SharedB}
	return into(c, false, func() []float64 { return ref.GEMM(rs, a, b, c, nil) }), nil
}

func ints(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func triples(v []float64) [][3]int {
	out := make([][3]int, len(v)/3)
	for i := range out {
		out[i] = [3]int{int(v[3*i]), int(v[3*i+1]), int(v[3*i+2])}
	}
	return out
}

// ChannelMean implements Backend.
func (CPUBackend) ChannelMean(s gpu.NHWC, x, idx, out []float64) (func(), error) {
	return into(out, false, func() []float64 { return ref.ChannelMean(s.N, s.H, s.W, s.C, ints(idx), x) }), nil
}

// ChannelMeanBackward implements Backend.
func (CPUBackend) ChannelMeanBackward(s gpu.NHWC, idx, dy, dx []float64, acc bool) (func(), error) {
	return into(dx, acc, func() []float64 { return ref.ChannelMeanBackward(s.N, s.H, s.W, s.C, ints(idx), dy) }), nil
}

// Neuron implements Backend.
func (CPUBackend) Neuron(s gpu.NHWC, x, pos, out []float64) (func(), error) {
	return into(out, false, func() []float64 { return ref.Neuron(s.N, s.H, s.W, s.C, triples(pos), x) }), nil
}

// NeuronBackward implements Backend.
func (CPUBackend) NeuronBackward(s gpu.NHWC, pos, dy, dx []float64, acc bool) (func(), error) {
	return into(dx, acc, func() []float64 { return ref.NeuronBackward(s.N, s.H, s.W, s.C, triples(pos), dy) }), nil
}

// MeanSquare implements Backend.
func (CPUBackend) MeanSquare(s gpu.NHWC, x, out []float64) (func(), error) {
	return into(out, false, func() []float64 { return ref.MeanSquare(s.N, x) }), nil
}

// MeanSquareBackward implements Backend.
func (CPUBackend) MeanSquareBackward(s gpu.NHWC, x, dy, dx []float64, acc bool) (func(), error) {
	return into(dx, acc, func() []float64 { return ref.MeanSquareBackward(s.N, x, dy) }), nil
}

// Diversity implements Backend.
func (CPUBackend) Diversity(s gpu.NHWC, x, dy, out, dx []float64, acc bool) (value, grad func(), err error) {
	var g []float64
	value = func() {
		var v []float64
		v, g = ref.Diversity(s.N, s.H*s.W, s.C, dy, x)
		copy(out, v)
	}
	return value, into(dx, acc, func() []float64 { return g }), nil
}

// Softmax implements Backend.
func (CPUBackend) Softmax(rows, n int, log bool, x, y []float64) (func(), error) {
	f := ref.Softmax
	if log {
		f = ref.LogSoftmax
	}
	return into(y, false, func() []float64 { return f(n, x) }), nil
}

// SoftmaxBackward implements Backend.
func (CPUBackend) SoftmaxBackward(rows, n int, log bool, y, dy, dx []float64) (func(), error) {
	f := ref.SoftmaxBackward
	if log {
		f = ref.LogSoftmaxBackward
	}
	return into(dx, false, func() []float64 { return f(n, y, dy) }), nil
}

// Regularize implements Backend.
func (CPUBackend) Regularize(s gpu.NHWC, r gpu.Regularizer, x, grad, values []float64) (func(), error) {
	f := map[gpu.RegKind]func() ([]float64, []float64){
		gpu.RegTVSquared: func() ([]float64, []float64) { return ref.TVSquared(s.N, s.H, s.W, s.C, x) },
		gpu.RegTVAbs:     func() ([]float64, []float64) { return ref.TVAbs(s.N, s.H, s.W, s.C, r.Eps, x) },
		gpu.RegL1:        func() ([]float64, []float64) { return ref.L1(s.N, r.Eps, r.Center, x) },
		gpu.RegL2:        func() ([]float64, []float64) { return ref.L2(s.N, r.Center, x) },
	}[r.Kind]
	if f == nil {
		return nil, fmt.Errorf("am: regularizer %v: unknown kind", r.Kind)
	}
	return func() {
		v, g := f()
		if values != nil {
			copy(values, v)
		}
		for i := range grad {
			grad[i] += r.Coef * g[i]
		}
	}, nil
}

// Blur implements Backend.
func (CPUBackend) Blur(s gpu.NHWC, sigma float64, x, _, y []float64) (func(), error) {
	return into(y, false, func() []float64 { return ref.Blur(s.N, s.H, s.W, s.C, sigma, x) }), nil
}

// ClipPercentile implements Backend.
func (CPUBackend) ClipPercentile(s gpu.NHWC, pct float64, x, thr []float64) (func(), error) {
	hw := s.H * s.W
	return func() {
		y, th := ref.ClipPercentile(s.N, hw, s.C, gpu.ClipIndex(pct, hw), x)
		copy(x, y)
		copy(thr, th)
	}, nil
}

// ClipNorm implements Backend.
func (CPUBackend) ClipNorm(rows, n int, limit float64, x []float64) (func(), error) {
	if len(x) != rows*n {
		return nil, fmt.Errorf("am: clip norm: %d floats, want %d rows of %d", len(x), rows, n)
	}
	return func() { copy(x, ref.ClipNorm(rows, n, limit, x)) }, nil
}

type cpuRandom struct {
	spec    gpu.RandSpec
	y       []float64
	counter uint64
}

func (r *cpuRandom) SetCounter(c uint64) error { r.counter = c; return nil }

func (r *cpuRandom) Op() func() {
	return func() {
		draw := ref.RandomNormal
		if r.spec.Kind == gpu.RandUniform {
			draw = ref.RandomUniform
		}
		for i, v := range draw(r.spec.Seed, r.counter, len(r.y)) {
			v = r.spec.Shift + r.spec.Scale*v
			if r.spec.Add {
				v += r.y[i]
			}
			r.y[i] = v
		}
	}
}

// Random implements Backend.
func (CPUBackend) Random(spec gpu.RandSpec, y []float64) (Random[func()], error) {
	if spec.Kind != gpu.RandNormal && spec.Kind != gpu.RandUniform {
		return nil, fmt.Errorf("am: cpu random: kind %d", spec.Kind)
	}
	return &cpuRandom{spec: spec, y: y}, nil
}

type cpuOptim struct {
	adam       bool
	c          gpu.AdamConfig // LR, and for SGD Beta1 holds the momentum
	x, g, m, v []float64
	t          int
}

func (o *cpuOptim) SetStep(t int) error {
	if t < 1 {
		return fmt.Errorf("am: optimiser step %d, want ≥ 1", t)
	}
	o.t = t
	return nil
}

func (o *cpuOptim) SetLR(lr float64) error { o.c.LR = lr; return nil }

func (o *cpuOptim) Reset() func() {
	return func() {
		clear(o.m)
		clear(o.v)
	}
}

func (o *cpuOptim) Op() func() {
	return func() {
		if o.adam {
			ref.AdamStep(o.x, o.g, o.m, o.v, o.c.LR, o.c.Beta1, o.c.Beta2, o.c.Eps, o.t)
		} else {
			ref.MomentumStep(o.x, o.g, o.v, o.c.LR, o.c.Beta1)
		}
	}
}

// Adam implements Backend.
func (CPUBackend) Adam(c gpu.AdamConfig, x, g, m, v []float64) (Optimizer[func()], error) {
	return &cpuOptim{adam: true, c: c, x: x, g: g, m: m, v: v, t: 1}, nil
}

// SGD implements Backend.
func (CPUBackend) SGD(lr, momentum float64, x, g, v []float64) (Optimizer[func()], error) {
	return &cpuOptim{c: gpu.AdamConfig{LR: lr, Beta1: momentum}, x: x, g: g, v: v, t: 1}, nil
}
