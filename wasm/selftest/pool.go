package selftest

import (
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// poolChecks: max pooling forward and backward with an odd-sized stride-2
// "same" window and a "valid" 2×2 one, and global average pooling on an
// odd size and on one of more positions than a workgroup.
func poolChecks() []check {
	var cs []check
	for _, sh := range []gpu.PoolShape{
		{N: 2, H: 9, W: 7, C: 5, KH: 3, KW: 3, SH: 2, SW: 2, Same: true},
		{N: 1, H: 8, W: 8, C: 4, KH: 2, KW: 2, SH: 2, SW: 2},
	} {
		rs := ref.Pool{N: sh.N, H: sh.H, W: sh.W, C: sh.C, KH: sh.KH, KW: sh.KW, SH: sh.SH, SW: sh.SW, Same: sh.Same}
		dims := fmt.Sprintf("%s k%d s%d same=%v", nhwcDims(sh.N, sh.H, sh.W, sh.C), sh.KH, sh.SH, sh.Same)
		x, y := sh.XLen(), sh.YLen()
		cs = append(cs,
			kernelCheck("MaxPool forward", dims, []int{x}, y, func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
				return d.MaxPool(sh, in[0], out)
			}, func(v [][]float64) []float64 { return ref.MaxPool(rs, v[0]) }),
			kernelCheck("MaxPool backward", dims, []int{x, y}, x, func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
				return d.MaxPoolBackward(sh, in[0], in[1], out)
			}, func(v [][]float64) []float64 { return ref.MaxPoolBackward(rs, v[0], v[1]) }),
		)
	}
	for _, sh := range []gpu.NHWC{{N: 2, H: 7, W: 5, C: 6}, {N: 1, H: 20, W: 19, C: 3}} {
		cs = append(cs, kernelCheck("GlobalAvgPool", nhwcDims(sh.N, sh.H, sh.W, sh.C), []int{sh.Len()}, sh.N*sh.C,
			func(d *gpu.Device, in []*gpu.Buffer, out *gpu.Buffer) (gpu.Op, error) {
				return d.GlobalAvgPool(sh, in[0], out)
			}, func(v [][]float64) []float64 { return ref.GlobalAvgPool(sh.N, sh.H*sh.W, sh.C, v[0]) }))
	}
	return cs
}
