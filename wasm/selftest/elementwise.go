package selftest

import (
	"context"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// Elementwise sizes: one below a workgroup, one not a multiple of the
// workgroup size (256), one of many workgroups.
var elementwiseSizes = []int{100, 1000, 65537}

// elementwise checks an op of k random inputs of n floats. launch gets the
// inputs and a zeroed output z and returns the dispatch and the buffer that
// holds its result (z, or an input for in-place ops).
func elementwise(kernel string, n, k int,
	launch func(d *gpu.Device, in []*gpu.Buffer, z *gpu.Buffer) (*gpu.Dispatch, *gpu.Buffer, error),
	want func(v [][]float64) []float64) check {
	return check{kernel, "", n, func(ctx context.Context, s *session) ([]float32, []float64, error) {
		in := make([]*gpu.Buffer, k)
		v := make([][]float64, k)
		for i := range k {
			in[i], v[i] = s.in(n)
		}
		z := s.out(n)
		if s.err != nil {
			return nil, nil, s.err
		}
		op, out, err := launch(s.d, in, z)
		got, err := s.run(ctx, op, err, out)
		return got, want(v), err
	}}
}

func elementwiseChecks() []check {
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
	return cs
}
