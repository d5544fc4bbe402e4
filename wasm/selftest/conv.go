package selftest

import (
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// convDims describes a convolution as N×H×W×C, kernel, strides, padding
// and variant.
func convDims(g ref.ConvGeom, v string) string {
	pad := "valid"
	if g.Same {
		pad = "same"
	}
	return fmt.Sprintf("%s k%d×%d s%d %s %s", nhwcDims(g.N, g.H, g.W, g.C), g.KH, g.KW, g.SY, pad, v)
}

// convChecks: an odd-sized stride-2 "same" convolution on the one-output
// kernels, and a "valid" one on register tiles that its sizes do not fill;
// forward (with bias), input gradient and filter gradient of each. The
// variants are forced, so the browser does not spend time tuning.
func convChecks() []check {
	var cs []check
	for _, sh := range []gpu.ConvShape{
		{N: 2, H: 9, W: 7, C: 3, KH: 3, KW: 3, F: 5, SY: 2, SX: 2, Same: true, Variant: gpu.ConvDirect},
		{N: 1, H: 10, W: 9, C: 6, KH: 3, KW: 2, F: 12, SY: 1, SX: 1, Variant: gpu.ConvReg4x8},
	} {
		g := ref.ConvGeom{N: sh.N, H: sh.H, W: sh.W, C: sh.C, KH: sh.KH, KW: sh.KW, SY: sh.SY, SX: sh.SX, Same: sh.Same}
		dims, x, w, y := convDims(g, sh.Variant), sh.XLen(), sh.WLen(), sh.YLen()
		cs = append(cs,
			kernelCheck("Conv2D forward", dims, []int{x, w, sh.F}, y, func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
				return d.Conv2D(sh, out, in[0], in[1], in[2])
			}, func(v [][]float64) []float64 { return ref.Conv2D(g, sh.F, v[0], v[1], v[2]) }),
			kernelCheck("Conv2D input grad", dims, []int{y, w}, x, func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
				return d.Conv2DInputGrad(sh, out, in[0], in[1])
			}, func(v [][]float64) []float64 { return ref.Conv2DInputGrad(g, sh.F, v[0], v[1]) }),
			kernelCheck("Conv2D filter grad", dims, []int{x, y}, w, func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
				return d.Conv2DFilterGrad(sh, out, in[0], in[1])
			}, func(v [][]float64) []float64 { return ref.Conv2DFilterGrad(g, sh.F, v[0], v[1]) }),
		)
	}
	return cs
}
