package am

import (
	"context"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

// Backend is what the render loop needs from a compute backend: the
// network's operations (models.Backend) plus the image, objective and
// optimiser operations. The GPU (NewGPUBackend) and the CPU reference
// (CPUBackend, on gpu/ref) implement it, so the loop is written once.
// Shapes and parameters are those of the gpu launchers of the same names;
// an Op prepared once may run any number of times.
type Backend[Buf, Op any] interface {
	models.Backend[Buf, Op]
	// Name names the backend and its adapter.
	Name() string
	// Write replaces a tensor's contents from the host.
	Write(b Buf, v []float32) error
	// Read copies a tensor to the host (a read-back on the GPU).
	Read(ctx context.Context, b Buf) ([]float32, error)
	// ReadSoon starts a read of b now, ordered before any work the
	// caller submits after it (on the GPU: the copy is submitted and its
	// map asked for at once), and returns the wait for its result.
	ReadSoon(b Buf) func(ctx context.Context) ([]float32, error)
	// Submit runs ops in order: one command buffer on the GPU.
	Submit(ops ...Op) error
	// Sync waits until everything submitted has finished.
	Sync(ctx context.Context) error
	// Seq is one Op running ops in order.
	Seq(ops ...Op) Op
	// CopyAt copies all of src into dst from float dstOff on.
	CopyAt(dst Buf, dstOff int, src Buf) (Op, error)

	Spectral(s gpu.SpectralShape, spec, img, dimg, dspec Buf) (fwd, back Op, err error)
	ToRGB(s gpu.ColorShape, t, rgb Buf) (Op, error)
	ToRGBBackward(s gpu.ColorShape, rgb, drgb, dt Buf) (Op, error)
	Resample(s gpu.ResampleShape, x, mats, y Buf) (Op, error)
	ResampleBackward(s gpu.ResampleShape, dy, mats, dx Buf) (Op, error)
	// ScaleShift is z = a·z + b in place.
	ScaleShift(z Buf, a, b float64) (Op, error)
	// AXPBY is z = a·x + b·y.
	AXPBY(z, x, y Buf, a, b float64) (Op, error)
	// Mul is z = x ⊙ y.
	Mul(z, x, y Buf) (Op, error)
	// Clamp is z = min(max(z, lo), hi) in place, elementwise bounds.
	Clamp(z, lo, hi Buf) (Op, error)
	GEMM(s gpu.GEMMShape, c, a, b Buf) (Op, error)

	ChannelMean(s gpu.NHWC, x, idx, out Buf) (Op, error)
	ChannelMeanBackward(s gpu.NHWC, idx, dy, dx Buf, accumulate bool) (Op, error)
	Neuron(s gpu.NHWC, x, pos, out Buf) (Op, error)
	NeuronBackward(s gpu.NHWC, pos, dy, dx Buf, accumulate bool) (Op, error)
	MeanSquare(s gpu.NHWC, x, out Buf) (Op, error)
	MeanSquareBackward(s gpu.NHWC, x, dy, dx Buf, accumulate bool) (Op, error)
	// Diversity is Lucid's diversity across the batch of activations x:
	// out[b] = −(1/N)·Σ_{j≠b} ĝ_b·ĝ_j (ĝ: normalised Gram matrices), and
	// dx = (or += with accumulate) ∂(Σ_b dy[b]·out[b])/∂x. value must run
	// before grad.
	Diversity(s gpu.NHWC, x, dy, out, dx Buf, accumulate bool) (value, grad Op, err error)
	// Softmax (log: log-softmax) over rows of n.
	Softmax(rows, n int, log bool, x, y Buf) (Op, error)
	SoftmaxBackward(rows, n int, log bool, y, dy, dx Buf) (Op, error)

	// Regularize writes r's value per image into values (if not nil) and
	// adds r.Coef·dR/dx into grad (if not nil).
	Regularize(s gpu.NHWC, r gpu.Regularizer, x, grad, values Buf) (Op, error)
	// Blur is y = the Gaussian blur of x (tmp: scratch; y may be x).
	Blur(s gpu.NHWC, sigma float64, x, tmp, y Buf) (Op, error)
	// ClipPercentile zeroes, per image of x, the pixels whose squared norm
	// over the channels is below the gpu.ClipIndex(pct)-th smallest
	// (thr: a scratch of s.N floats).
	ClipPercentile(s gpu.NHWC, pct float64, x, thr Buf) (Op, error)
	// ClipNorm scales, in place, each of the rows of x (rows × n) whose
	// Euclidean norm exceeds limit down to norm limit.
	ClipNorm(rows, n int, limit float64, x Buf) (Op, error)
	// Random prepares a fill of y (or an addition to it, spec.Add).
	Random(spec gpu.RandSpec, y Buf) (Random[Op], error)
	// Adam and SGD prepare optimiser updates of x from its gradient g.
	Adam(c gpu.AdamConfig, x, g, m, v Buf) (Optimizer[Op], error)
	SGD(lr, momentum float64, x, g, v Buf) (Optimizer[Op], error)
	// Release frees everything the backend allocated.
	Release()
}

// Random is a prepared random fill whose counter selects the stream.
type Random[Op any] interface {
	Op() Op
	SetCounter(c uint64) error
}

// Optimizer is a prepared parameter update.
type Optimizer[Op any] interface {
	// Op is the update.
	Op() Op
	// Reset zeroes the optimiser's state (run before the first step).
	Reset() Op
	// SetStep prepares step t ≥ 1 (Adam's bias correction).
	SetStep(t int) error
	// SetLR changes the learning rate.
	SetLR(lr float64) error
}
