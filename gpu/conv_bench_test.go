package gpu_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hubelviz/hubel/gpu"
)

// Convolution layers of MobileNet v1 (width 0.75, 224 px, batch 1), forward,
// input gradient and filter gradient, every variant, reported in GFLOP/s
// (2·MACs, padding taps included) and as a speed-up over the direct variant
// (x_direct; run the direct variant in the same invocation to get it).
//
//	go test ./gpu/ -run '^$' -bench 'Conv' -benchtime 3x

// convBenchRef holds each layer/op's direct-variant time, for x_direct.
var convBenchRef = map[string]float64{}

// convPrepared is a prepared op that owns GPU objects (*gpu.Dispatch,
// *gpu.Chain).
type convPrepared interface {
	gpu.Op
	Release()
}

func benchConvOp(b *testing.B, key string, flops float64, direct bool, mk func() (convPrepared, error)) {
	d := device(b)
	op, err := mk()
	if err != nil {
		b.Fatal(err)
	}
	defer op.Release()
	ctx := context.Background()
	if err := d.Run(op); err != nil { // warm-up (and pipeline creation)
		b.Fatal(err)
	}
	if err := d.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := d.Run(op); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(flops/ns, "GFLOP/s")
	if direct {
		convBenchRef[key] = ns
	}
	if ref, ok := convBenchRef[key]; ok {
		b.ReportMetric(ref/ns, "x_direct")
	}
}

func benchBuf(b *testing.B, d *gpu.Device, n int) *gpu.Buffer {
	rng := newRand(uint64(n))
	v, _ := randVec(rng, n)
	return upload(b, d, v)
}

// benchConvLayer runs forward, input and filter gradient of one layer in
// every variant (the first being the baseline for x_direct).
func benchConvLayer(b *testing.B, name string, flops float64, ops convOps, variants []string) {
	b.Run(name, func(b *testing.B) {
		d := device(b)
		x, w, bias := benchBuf(b, d, ops.xLen), benchBuf(b, d, ops.wLen), benchBuf(b, d, ops.bLen)
		y, dy := zeros(b, d, ops.yLen), benchBuf(b, d, ops.yLen)
		dx, dw := zeros(b, d, ops.xLen), zeros(b, d, ops.wLen)
		for _, op := range []string{"forward", "input-grad", "filter-grad"} {
			for _, v := range variants {
				key := name + "/" + op
				b.Run(fmt.Sprintf("%s/%s", op, v), func(b *testing.B) {
					benchConvOp(b, key, flops, v == variants[0], func() (convPrepared, error) {
						switch op {
						case "forward":
							return ops.fwd(v, y, x, w, bias)
						case "input-grad":
							return ops.dx(v, dx, dy, w)
						}
						return ops.dw(v, dw, x, dy)
					})
				})
			}
		}
	})
}

func BenchmarkConv2D(b *testing.B) {
	for _, l := range []struct {
		name string
		s    gpu.ConvShape
	}{
		{"conv1_224x224x3_s2", gpu.ConvShape{N: 1, H: 224, W: 224, C: 3, KH: 3, KW: 3, F: 24, SY: 2, SX: 2, Same: true}},
		{"pw_28x28x192_192", gpu.ConvShape{N: 1, H: 28, W: 28, C: 192, KH: 1, KW: 1, F: 192, Same: true}},
		{"pw_7x7x576_768", gpu.ConvShape{N: 1, H: 7, W: 7, C: 576, KH: 1, KW: 1, F: 768, Same: true}},
	} {
		flops := 2 * float64(l.s.YLen()*l.s.KH*l.s.KW*l.s.C)
		benchConvLayer(b, l.name, flops, conv2DOps(device(b), l.s), gpu.ConvVariants)
	}
}

func BenchmarkDepthwise(b *testing.B) {
	for _, l := range []struct {
		name string
		s    gpu.DepthwiseShape
	}{
		{"dw1_112x112x24_s1", gpu.DepthwiseShape{N: 1, H: 112, W: 112, C: 24, KH: 3, KW: 3, Same: true}},
		{"dw2_112x112x48_s2", gpu.DepthwiseShape{N: 1, H: 112, W: 112, C: 48, KH: 3, KW: 3, SY: 2, SX: 2, Same: true}},
		{"dw6_28x28x192_s2", gpu.DepthwiseShape{N: 1, H: 28, W: 28, C: 192, KH: 3, KW: 3, SY: 2, SX: 2, Same: true}},
	} {
		flops := 2 * float64(l.s.YLen()*l.s.KH*l.s.KW)
		benchConvLayer(b, l.name, flops, depthwiseOps(device(b), l.s), gpu.DepthwiseVariants)
	}
}
