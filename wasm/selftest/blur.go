package selftest

import (
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// blurChecks: the Gaussian blur and its adjoint (the blur itself) on an
// odd size whose radius nearly spans it, and on a larger image.
func blurChecks() []check {
	var cs []check
	for _, c := range []struct {
		s     gpu.NHWC
		sigma float64
	}{{gpu.NHWC{N: 2, H: 9, W: 7, C: 3}, 1.5}, {gpu.NHWC{N: 1, H: 20, W: 19, C: 4}, 0.7}} {
		sh, sigma := c.s, c.sigma
		dims, n := fmt.Sprintf("%s σ%g", nhwcDims(sh.N, sh.H, sh.W, sh.C), sigma), sh.Len()
		want := func(v [][]float64) []float64 { return ref.Blur(sh.N, sh.H, sh.W, sh.C, sigma, v[0]) }
		cs = append(cs,
			kernelCheck("Blur forward", dims, []int{n, n}, n, func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
				return d.Blur(sh, sigma, in[0], in[1], out)
			}, want),
			kernelCheck("Blur backward", dims, []int{n, n}, n, func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
				return d.BlurBackward(sh, sigma, in[0], in[1], out)
			}, want),
		)
	}
	return cs
}
