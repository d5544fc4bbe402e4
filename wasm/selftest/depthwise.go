package selftest

import (
	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// depthwiseChecks: an odd-sized stride-2 "same" depthwise convolution with
// depth multiplier 2 on the one-output kernels, and a "valid" one of 8
// channels on register tiles (the vec4 path); forward (with bias) and input
// gradient of each, variants forced.
func depthwiseChecks() []check {
	var cs []check
	for _, sh := range []gpu.DepthwiseShape{
		{N: 2, H: 9, W: 7, C: 3, KH: 3, KW: 3, Mult: 2, SY: 2, SX: 2, Same: true, Variant: gpu.DepthwiseSimple},
		{N: 1, H: 10, W: 9, C: 8, KH: 3, KW: 3, Mult: 1, SY: 1, SX: 1, Variant: gpu.DepthwiseReg4x4},
	} {
		g := ref.ConvGeom{N: sh.N, H: sh.H, W: sh.W, C: sh.C, KH: sh.KH, KW: sh.KW, SY: sh.SY, SX: sh.SX, Same: sh.Same}
		dims, x, w, y := convDims(g, sh.Variant), sh.XLen(), sh.WLen(), sh.YLen()
		cs = append(cs,
			kernelCheck("Depthwise forward", dims, []int{x, w, sh.C * sh.Mult}, y, func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
				return d.Depthwise(sh, out, in[0], in[1], in[2])
			}, func(v [][]float64) []float64 { return ref.Depthwise(g, sh.Mult, v[0], v[1], v[2]) }),
			kernelCheck("Depthwise input grad", dims, []int{y, w}, x, func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
				return d.DepthwiseInputGrad(sh, out, in[0], in[1])
			}, func(v [][]float64) []float64 { return ref.DepthwiseInputGrad(g, sh.Mult, v[0], v[1]) }),
		)
	}
	return cs
}
