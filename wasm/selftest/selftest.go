// Package selftest runs hubel's WGSL kernels on random inputs and compares
// them with gpu/ref, the plain-Go reference. The browser page runs it to
// show that the same gpu package computes correct numbers through
// navigator.gpu; its test runs it natively too, so a failure in the browser
// points at the browser's WebGPU and not at the check itself.
package selftest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// Tol is the acceptance bound on the relative error, the same as the kernel
// tests': max|got-want| / max|want|.
const Tol = 1e-4

// Seed fixes the random inputs, so that a result can be reproduced.
const Seed = 20240229

// Result is one kernel's check.
type Result struct {
	Kernel string  `json:"kernel"`
	N      int     `json:"n"`      // number of values compared
	RelErr float64 `json:"relErr"` // max|got-want| / max|want|; +Inf on NaN
	OK     bool    `json:"ok"`
	Err    string  `json:"err,omitempty"` // why the kernel could not run
}

// check is one kernel on one size: it runs the kernel and returns what it
// computed and what gpu/ref computes on the same inputs.
type check struct {
	kernel string
	n      int
	run    func(ctx context.Context, s *session) (got []float32, want []float64, err error)
}

// session holds the device, the random source and the buffers of one check,
// released when the check is done.
type session struct {
	d    *gpu.Device
	rng  *rand.Rand
	bufs []*gpu.Buffer
	ops  []interface{ Release() }
}

// vec returns n normal floats and the same values widened (exactly) to
// float64 for the reference.
func (s *session) vec(n int) ([]float32, []float64) {
	f := make([]float32, n)
	d := make([]float64, n)
	for i := range f {
		f[i] = float32(s.rng.NormFloat64())
		d[i] = float64(f[i])
	}
	return f, d
}

func (s *session) upload(data []float32) (*gpu.Buffer, error) {
	b, err := s.d.Upload("selftest", data)
	if err == nil {
		s.bufs = append(s.bufs, b)
	}
	return b, err
}

func (s *session) zeros(n int) (*gpu.Buffer, error) {
	b, err := s.d.NewBuffer("selftest", n)
	if err == nil {
		s.bufs = append(s.bufs, b)
	}
	return b, err
}

// run submits op (prepared with err) and reads out back.
func (s *session) run(ctx context.Context, op gpu.Op, err error, out *gpu.Buffer) ([]float32, error) {
	if err != nil {
		return nil, err
	}
	if r, ok := op.(interface{ Release() }); ok {
		s.ops = append(s.ops, r)
	}
	if err := s.d.Run(op); err != nil {
		return nil, err
	}
	return s.d.Read(ctx, out)
}

func (s *session) release() {
	for _, x := range s.ops {
		x.Release()
	}
	for _, b := range s.bufs {
		b.Release()
	}
}

// inputs uploads n random floats k times and returns the buffers and their
// float64 values.
func (s *session) inputs(n, k int) ([]*gpu.Buffer, [][]float64, error) {
	bs := make([]*gpu.Buffer, k)
	vs := make([][]float64, k)
	for i := range k {
		f, d := s.vec(n)
		b, err := s.upload(f)
		if err != nil {
			return nil, nil, err
		}
		bs[i], vs[i] = b, d
	}
	return bs, vs, nil
}

// Elementwise sizes: one below a workgroup, one not a multiple of the
// workgroup size (256), one of many workgroups.
var elementwiseSizes = []int{100, 1000, 65537}

// elementwise checks an op of k random inputs of n floats. launch gets the
// inputs and a zeroed output z and returns the dispatch and the buffer that
// holds its result (z, or an input for in-place ops).
func elementwise(kernel string, n, k int,
	launch func(d *gpu.Device, in []*gpu.Buffer, z *gpu.Buffer) (*gpu.Dispatch, *gpu.Buffer, error),
	want func(v [][]float64) []float64) check {
	return check{kernel, n, func(ctx context.Context, s *session) ([]float32, []float64, error) {
		in, v, err := s.inputs(n, k)
		if err != nil {
			return nil, nil, err
		}
		z, err := s.zeros(n)
		if err != nil {
			return nil, nil, err
		}
		op, out, err := launch(s.d, in, z)
		got, err := s.run(ctx, op, err, out)
		return got, want(v), err
	}}
}

func checks() []check {
	var cs []check
	for _, n := range elementwiseSizes {
		cs = append(cs,
			elementwise("AXPBY", n, 2, func(d *gpu.Device, in []*gpu.Buffer, z *gpu.Buffer) (*gpu.Dispatch, *gpu.Buffer, error) {
				op, err := d.AXPBY(z, in[0], in[1], 0.75, -1.5)
				return op, z, err
			}, func(v [][]float64) []float64 { return ref.AXPBY(v[0], v[1], 0.75, -1.5) }),
			elementwise("Mul", n, 2, func(d *gpu.Device, in []*gpu.Buffer, z *gpu.Buffer) (*gpu.Dispatch, *gpu.Buffer, error) {
				op, err := d.Mul(z, in[0], in[1])
				return op, z, err
			}, func(v [][]float64) []float64 { return ref.Mul(v[0], v[1]) }),
			elementwise("ScaleShift", n, 1, func(d *gpu.Device, in []*gpu.Buffer, _ *gpu.Buffer) (*gpu.Dispatch, *gpu.Buffer, error) {
				op, err := d.ScaleShift(in[0], -2.5, 0.125)
				return op, in[0], err
			}, func(v [][]float64) []float64 { return ref.ScaleShift(v[0], -2.5, 0.125) }),
			elementwise("Accumulate", n, 2, func(d *gpu.Device, in []*gpu.Buffer, _ *gpu.Buffer) (*gpu.Dispatch, *gpu.Buffer, error) {
				op, err := d.Accumulate(in[0], in[1], 0.5)
				return op, in[0], err
			}, func(v [][]float64) []float64 { return ref.AXPBY(v[0], v[1], 1, 0.5) }),
		)
	}
	// Lucid's Fourier parameterisation at an odd and an even size.
	for _, sh := range []gpu.SpectralShape{
		{B: 1, C: 3, H: 16, W: 15, Decay: 1, OutScale: 0.25},
		{B: 2, C: 3, H: 32, W: 32, Decay: 1, OutScale: 0.25},
	} {
		img := sh.B * sh.H * sh.W * sh.C
		cs = append(cs,
			check{"Spectral forward", img, func(ctx context.Context, s *session) ([]float32, []float64, error) {
				in, v, err := s.inputs(sh.SpectrumLen(), 1)
				if err != nil {
					return nil, nil, err
				}
				out, err := s.zeros(img)
				if err != nil {
					return nil, nil, err
				}
				sp, err := s.d.Spectral(sh, in[0], out, nil, nil)
				var op gpu.Op
				if err == nil {
					s.ops = append(s.ops, sp)
					op = sp.Forward
				}
				got, err := s.run(ctx, op, err, out)
				return got, ref.SpectralImage(v[0], sh.B, sh.C, sh.H, sh.W, sh.Decay, sh.OutScale), err
			}},
			check{"Spectral adjoint", sh.SpectrumLen(), func(ctx context.Context, s *session) ([]float32, []float64, error) {
				spec, err := s.zeros(sh.SpectrumLen())
				if err != nil {
					return nil, nil, err
				}
				out, err := s.zeros(img)
				if err != nil {
					return nil, nil, err
				}
				in, v, err := s.inputs(img, 1)
				if err != nil {
					return nil, nil, err
				}
				dspec, err := s.zeros(sh.SpectrumLen())
				if err != nil {
					return nil, nil, err
				}
				sp, err := s.d.Spectral(sh, spec, out, in[0], dspec)
				var op gpu.Op
				if err == nil {
					s.ops = append(s.ops, sp)
					op = sp.Backward
				}
				got, err := s.run(ctx, op, err, dspec)
				return got, ref.SpectralImageBackward(v[0], sh.B, sh.C, sh.H, sh.W, sh.Decay, sh.OutScale), err
			}},
		)
	}
	return cs
}

// Count is the number of checks Run performs.
func Count() int { return len(checks()) }

// Run performs every check on d in order, calling progress (if not nil)
// after each, and returns the results. A check that cannot run is a failed
// result with Err set; Run goes on with the next.
func Run(ctx context.Context, d *gpu.Device, progress func(Result)) []Result {
	rng := rand.New(rand.NewPCG(Seed, 0x68756265))
	var out []Result
	for _, c := range checks() {
		s := &session{d: d, rng: rng}
		got, want, err := c.run(ctx, s)
		s.release()
		r := Result{Kernel: c.kernel, N: c.n, RelErr: math.Inf(1)}
		switch {
		case err != nil:
			r.Err = err.Error()
		case len(got) != len(want):
			r.Err = fmt.Sprintf("selftest: %s computed %d values, want %d", c.kernel, len(got), len(want))
		default:
			r.RelErr = RelErr(got, want)
			r.OK = r.RelErr <= Tol
		}
		out = append(out, r)
		if progress != nil {
			progress(r)
		}
	}
	return out
}

// RelErr is max|got-want| / max|want|, the error relative to the tensor's
// scale; +Inf when got holds a NaN.
func RelErr(got []float32, want []float64) float64 {
	num, den := 0.0, 1e-30
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		num = math.Max(num, d)
		den = math.Max(den, math.Abs(want[i]))
	}
	return num / den
}
