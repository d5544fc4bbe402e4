package am

import (
	"context"
	"fmt"
	"runtime"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

// GPUBackend runs the render loop on the compute engine: every step one
// command buffer, nothing read back.
type GPUBackend struct {
	*models.GPU
	owned []interface{ Release() }
}

// NewGPUBackend returns the backend on d.
func NewGPUBackend(d *gpu.Device) *GPUBackend { return &GPUBackend{GPU: models.NewGPU(d)} }

// Keep registers x to be released with the backend.
func (g *GPUBackend) Keep(x interface{ Release() }) { g.owned = append(g.owned, x) }

var _ Backend[*gpu.Buffer, gpu.Op] = (*GPUBackend)(nil)

// Release waits for the GPU to finish (a buffer freed while a submitted
// command buffer still uses it crashes lavapipe) and frees everything.
func (g *GPUBackend) Release() {
	g.D.Sync(context.Background())
	for i := len(g.owned) - 1; i >= 0; i-- {
		g.owned[i].Release()
	}
	g.owned = nil
	g.GPU.Release()
}

// Name implements Backend.
func (g *GPUBackend) Name() string { return g.D.Adapter }

// Write implements Backend.
func (g *GPUBackend) Write(b *gpu.Buffer, v []float32) error { return b.Write(v) }

// Read implements Backend.
func (g *GPUBackend) Read(ctx context.Context, b *gpu.Buffer) ([]float32, error) {
	return g.D.Read(ctx, b)
}

// ReadSoon implements Backend: the copy into a staging buffer is
// submitted now, and a goroutine asks for its map before the caller goes
// on (runtime.Gosched lets it run first; in the browser a map asked for
// later would wait for all the work queued before it). The staging buffer
// is freed once the map is done, whether or not anyone waits.
func (g *GPUBackend) ReadSoon(b *gpu.Buffer) func(context.Context) ([]float32, error) {
	rb, err := g.D.NewReadback(b.Len)
	if err == nil {
		if err = g.D.NewRecorder().CopyToReadback(b, 0, rb).Submit(); err != nil {
			rb.Release()
		}
	}
	if err != nil {
		return func(context.Context) ([]float32, error) { return nil, err }
	}
	ch := make(chan gpu.ReadResult, 1)
	go func() {
		data, err := rb.Read(context.Background())
		ch <- gpu.ReadResult{Data: append([]float32(nil), data...), Err: err}
		rb.Release()
	}()
	runtime.Gosched()
	return func(ctx context.Context) ([]float32, error) {
		select {
		case r := <-ch:
			return r.Data, r.Err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Submit implements Backend.
func (g *GPUBackend) Submit(ops ...gpu.Op) error { return g.D.NewRecorder().Run(ops...).Submit() }

// Sync implements Backend.
func (g *GPUBackend) Sync(ctx context.Context) error { return g.D.Sync(ctx) }

// Seq implements Backend.
func (g *GPUBackend) Seq(ops ...gpu.Op) gpu.Op { return gpu.Seq(ops) }

// CopyAt implements Backend.
func (g *GPUBackend) CopyAt(dst *gpu.Buffer, off int, src *gpu.Buffer) (gpu.Op, error) {
	if off < 0 || off+src.Len > dst.Len {
		return nil, fmt.Errorf("am: copy of %d floats at %d into %d", src.Len, off, dst.Len)
	}
	return gpu.CopyRangeOp{Dst: dst, DstOff: off, Src: src, N: src.Len}, nil
}

// keep registers what a launcher made for Release.
func (g *GPUBackend) keep(op gpu.Op, err error) (gpu.Op, error) {
	if err != nil {
		return nil, err
	}
	if r, ok := op.(interface{ Release() }); ok {
		g.Keep(r)
	}
	return op, nil
}

// Spectral implements Backend.
func (g *GPUBackend) Spectral(s gpu.SpectralShape, spec, img, dimg, dspec *gpu.Buffer) (fwd, back gpu.Op, err error) {
	sp, err := g.D.Spectral(s, spec, img, dimg, dspec)
	if err != nil {
		return nil, nil, err
	}
	g.Keep(sp)
	return sp.Forward, sp.Backward, nil
}

// ToRGB implements Backend.
func (g *GPUBackend) ToRGB(s gpu.ColorShape, t, rgb *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.ToRGB(s, t, rgb))
}

// ToRGBBackward implements Backend.
func (g *GPUBackend) ToRGBBackward(s gpu.ColorShape, rgb, drgb, dt *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.ToRGBBackward(s, rgb, drgb, dt))
}

// Resample implements Backend.
func (g *GPUBackend) Resample(s gpu.ResampleShape, x, mats, y *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.Resample(s, x, mats, y))
}

// ResampleBackward implements Backend.
func (g *GPUBackend) ResampleBackward(s gpu.ResampleShape, dy, mats, dx *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.ResampleBackward(s, dy, mats, dx))
}

// ScaleShift implements Backend.
func (g *GPUBackend) ScaleShift(z *gpu.Buffer, a, b float64) (gpu.Op, error) {
	return g.keep(g.D.ScaleShift(z, a, b))
}

// AXPBY implements Backend.
func (g *GPUBackend) AXPBY(z, x, y *gpu.Buffer, a, b float64) (gpu.Op, error) {
	return g.keep(g.D.AXPBY(z, x, y, a, b))
}

// Mul implements Backend.
func (g *GPUBackend) Mul(z, x, y *gpu.Buffer) (gpu.Op, error) { return g.keep(g.D.Mul(z, x, y)) }

// Clamp implements Backend.
func (g *GPUBackend) Clamp(z, lo, hi *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.Clamp(z, lo, hi))
}

// GEMM implements Backend.
func (g *GPUBackend) GEMM(s gpu.GEMMShape, c, a, b *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.GEMM(s, c, a, b, nil))
}

// ChannelMean implements Backend.
func (g *GPUBackend) ChannelMean(s gpu.NHWC, x, idx, out *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.ChannelMean(s, x, idx, out))
}

// ChannelMeanBackward implements Backend.
func (g *GPUBackend) ChannelMeanBackward(s gpu.NHWC, idx, dy, dx *gpu.Buffer, acc bool) (gpu.Op, error) {
	return g.keep(g.D.ChannelMeanBackward(s, idx, dy, dx, 1, acc))
}

// Neuron implements Backend.
func (g *GPUBackend) Neuron(s gpu.NHWC, x, pos, out *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.Neuron(s, x, pos, out))
}

// NeuronBackward implements Backend.
func (g *GPUBackend) NeuronBackward(s gpu.NHWC, pos, dy, dx *gpu.Buffer, acc bool) (gpu.Op, error) {
	return g.keep(g.D.NeuronBackward(s, pos, dy, dx, 1, acc))
}

// MeanSquare implements Backend.
func (g *GPUBackend) MeanSquare(s gpu.NHWC, x, out *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.MeanSquare(s, x, out))
}

// MeanSquareBackward implements Backend.
func (g *GPUBackend) MeanSquareBackward(s gpu.NHWC, x, dy, dx *gpu.Buffer, acc bool) (gpu.Op, error) {
	return g.keep(g.D.MeanSquareBackward(s, x, dy, dx, 1, acc))
}

// Diversity implements Backend.
func (g *GPUBackend) Diversity(s gpu.NHWC, x, dy, out, dx *gpu.Buffer, acc bool) (value, grad gpu.Op, err error) {
	v, err := g.D.Diversity(s, x, dy, out, dx, acc)
	if err != nil {
		return nil, nil, err
	}
	g.Keep(v)
	return v.Value, v.Grad, nil
}

// Softmax implements Backend.
func (g *GPUBackend) Softmax(rows, n int, log bool, x, y *gpu.Buffer) (gpu.Op, error) {
	if log {
		return g.keep(g.D.LogSoftmax(rows, n, x, y))
	}
	return g.keep(g.D.Softmax(rows, n, x, y))
}

// SoftmaxBackward implements Backend.
func (g *GPUBackend) SoftmaxBackward(rows, n int, log bool, y, dy, dx *gpu.Buffer) (gpu.Op, error) {
	if log {
		return g.keep(g.D.LogSoftmaxBackward(rows, n, y, dy, dx))
	}
	return g.keep(g.D.SoftmaxBackward(rows, n, y, dy, dx))
}

// Regularize implements Backend.
func (g *GPUBackend) Regularize(s gpu.NHWC, r gpu.Regularizer, x, grad, values *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.Regularize(s, r, x, grad, values))
}

// Blur implements Backend.
func (g *GPUBackend) Blur(s gpu.NHWC, sigma float64, x, tmp, y *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.Blur(s, sigma, x, tmp, y))
}

// ClipPercentile implements Backend.
func (g *GPUBackend) ClipPercentile(s gpu.NHWC, pct float64, x, thr *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.ClipPercentile(s, pct, x, thr))
}

// ClipNorm implements Backend.
func (g *GPUBackend) ClipNorm(rows, n int, limit float64, x *gpu.Buffer) (gpu.Op, error) {
	return g.keep(g.D.ClipNorm(rows, n, limit, x))
}

type gpuRandom struct{ *gpu.Random }

func (r gpuRandom) Op() gpu.Op { return r.Random }

// Random implements Backend.
func (g *GPUBackend) Random(spec gpu.RandSpec, y *gpu.Buffer) (Random[gpu.Op], error) {
	r, err := g.D.Random(spec, y)
	if err != nil {
		return nil, err
	}
	g.Keep(r)
	return gpuRandom{r}, nil
}

type gpuAdam struct{ *gpu.Adam }

func (a gpuAdam) Op() gpu.Op { return a.Adam }

type gpuSGD struct{ *gpu.SGD }

func (s gpuSGD) Op() gpu.Op        { return s.SGD }
func (s gpuSGD) SetStep(int) error { return nil }

// Adam implements Backend.
func (g *GPUBackend) Adam(c gpu.AdamConfig, x, gr, m, v *gpu.Buffer) (Optimizer[gpu.Op], error) {
	a, err := g.D.Adam(c, x, gr, m, v)
	if err != nil {
		return nil, err
	}
	g.Keep(a)
	return gpuAdam{a}, nil
}

// SGD implements Backend.
func (g *GPUBackend) SGD(lr, momentum float64, x, gr, v *gpu.Buffer) (Optimizer[gpu.Op], error) {
	s, err := g.D.SGD(lr, momentum, x, gr, v)
	if err != nil {
		return nil, err
	}
	g.Keep(s)
	return gpuSGD{s}, nil
}
