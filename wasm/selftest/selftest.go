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
)

// Tol is the acceptance bound on the relative error, the same as the kernel
// tests': max|got-want| / max|want|.
const Tol = 1e-4

// Seed fixes the random inputs, so that a result can be reproduced.
const Seed = 20240229

// Result is one kernel's check.
type Result struct {
	Kernel string  `json:"kernel"`
	Shape  string  `json:"shape"`  // the problem's dimensions, or ""
	N      int     `json:"n"`      // number of values compared
	RelErr float64 `json:"relErr"` // max|got-want| / max|want|; +Inf on NaN
	OK     bool    `json:"ok"`
	Err    string  `json:"err,omitempty"` // why the kernel could not run
}

// check is one kernel on one size: it runs the kernel and returns what it
// computed and what gpu/ref computes on the same inputs.
type check struct {
	kernel string
	shape  string // the problem's dimensions, for people; "" when n says it all
	n      int
	run    func(ctx context.Context, s *session) (got []float32, want []float64, err error)
}

// session holds the device, the random source and the buffers of one check,
// released when the check is done. Allocation failures are sticky: the
// first one is kept in err and later allocations return nil, so a check
// allocates everything and then tests err once.
type session struct {
	d    *gpu.Device
	rng  *rand.Rand
	bufs []*gpu.Buffer
	ops  []interface{ Release() }
	err  error
}

func (s *session) keepBuf(b *gpu.Buffer, err error) *gpu.Buffer {
	if err != nil {
		if s.err == nil {
			s.err = err
		}
		return nil
	}
	s.bufs = append(s.bufs, b)
	return b
}

// in uploads n normal random floats and returns the buffer and the same
// values widened (exactly) to float64 for the reference.
func (s *session) in(n int) (*gpu.Buffer, []float64) {
	f := make([]float32, n)
	v := make([]float64, n)
	for i := range f {
		f[i] = float32(s.rng.NormFloat64())
		v[i] = float64(f[i])
	}
	if s.err != nil {
		return nil, v
	}
	return s.keepBuf(s.d.Upload("selftest", f)), v
}

// vals uploads v rounded to float32 and returns the rounded values, which
// the reference then reads: for inputs that are not plain normal noise.
func (s *session) vals(v []float64) (*gpu.Buffer, []float64) {
	f := make([]float32, len(v))
	r := make([]float64, len(v))
	for i, x := range v {
		f[i] = float32(x)
		r[i] = float64(f[i])
	}
	if s.err != nil {
		return nil, r
	}
	return s.keepBuf(s.d.Upload("selftest", f)), r
}

// out allocates a zeroed buffer of n floats.
func (s *session) out(n int) *gpu.Buffer {
	if s.err != nil {
		return nil
	}
	return s.keepBuf(s.d.NewBuffer("selftest", n))
}

// run submits op (prepared with err) and reads out back.
func (s *session) run(ctx context.Context, op gpu.Op, err error, out *gpu.Buffer) ([]float32, error) {
	if err != nil {
		return nil, err
	}
	s.keep(op)
	if err := s.d.Run(op); err != nil {
		return nil, err
	}
	return s.d.Read(ctx, out)
}

// keep remembers op's dispatches (a Seq's too) for release.
func (s *session) keep(op gpu.Op) {
	switch x := op.(type) {
	case gpu.Seq:
		for _, o := range x {
			s.keep(o)
		}
	case interface{ Release() }:
		s.ops = append(s.ops, x)
	}
}

// kernelCheck is the common case: random normal inputs of the sizes ins
// and a zeroed output of n floats; launch prepares the op on them and want
// computes the reference from the inputs' values.
func kernelCheck(kernel, shape string, ins []int, n int,
	launch func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error),
	want func(v [][]float64) []float64) check {
	return check{kernel, shape, n, func(ctx context.Context, s *session) ([]float32, []float64, error) {
		in := make([]*gpu.Buffer, len(ins))
		v := make([][]float64, len(ins))
		for i, k := range ins {
			in[i], v[i] = s.in(k)
		}
		out := s.out(n)
		if s.err != nil {
			return nil, nil, s.err
		}
		op, err := launch(s.d, in, out)
		got, err := s.run(ctx, op, err, out)
		return got, want(v), err
	}}
}

// nhwcDims describes an NHWC shape.
func nhwcDims(n, h, w, c int) string { return fmt.Sprintf("%d×%d×%d×%d", n, h, w, c) }

func (s *session) release() {
	for _, x := range s.ops {
		x.Release()
	}
	for _, b := range s.bufs {
		b.Release()
	}
}

// checks lists every kernel check, family by family (one file each).
func checks() []check {
	var cs []check
	cs = append(cs, elementwiseChecks()...)
	cs = append(cs, spectralChecks()...)
	cs = append(cs, gemmChecks()...)
	cs = append(cs, resampleChecks()...)
	cs = append(cs, convChecks()...)
	cs = append(cs, depthwiseChecks()...)
	cs = append(cs, activationChecks()...)
	cs = append(cs, poolChecks()...)
	cs = append(cs, softmaxChecks()...)
	cs = append(cs, reduceChecks()...)
	cs = append(cs, colorChecks()...)
	cs = append(cs, blurChecks()...)
	cs = append(cs, optimChecks()...)
	cs = append(cs, randomChecks()...)
	cs = append(cs, clipChecks()...)
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
		r := Result{Kernel: c.kernel, Shape: c.shape, N: c.n, RelErr: math.Inf(1)}
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
