package gpu_test

import (
	"context"
	"testing"

	"github.com/hubelviz/hubel/gpu"
)

// BenchmarkNN times the pointwise, pooling, softmax and reduction kernels
// on MobileNet-sized tensors (batch 4), reporting GB/s of the tensor read
// (one pass over the input per op, the floor such memory-bound kernels
// approach). Run with a small -benchtime on CPU adapters:
//
//	go test -bench NN ./gpu/ -run '^$' -benchtime 20x
func BenchmarkNN(b *testing.B) {
	d := device(b)
	rng := newRand(9)
	big := gpu.NHWC{N: 4, H: 112, W: 112, C: 32}
	gap := gpu.NHWC{N: 4, H: 7, W: 7, C: 768}
	x32, _ := randVec(rng, big.Len())
	x, dy, dx := upload(b, d, x32), upload(b, d, x32), zeros(b, d, big.Len())
	small, out := zeros(b, d, 4*1000), zeros(b, d, 4*1000)
	ch := upload(b, d, []float32{1, 2, 3, 4})
	pool := gpu.PoolShape{N: 4, H: 112, W: 112, C: 32, KH: 3, KW: 3, SH: 2, SW: 2, Same: true}
	pooled := zeros(b, d, pool.YLen())
	gx := zeros(b, d, gap.Len())
	cases := []struct {
		name  string
		bytes int
		mk    func() (gpu.Op, error)
	}{
		{"relu6", big.Len(), func() (gpu.Op, error) { return d.Activate(gpu.ReLU6(), x, dx) }},
		{"relu6-backward", big.Len(), func() (gpu.Op, error) { return d.ActivationBackward(gpu.ReLU6(), x, dy, dx) }},
		{"relu6-backward-redirected", big.Len(), func() (gpu.Op, error) {
			return d.ActivationBackwardRedirected(gpu.ReLU6(), 4, x, dy, dx)
		}},
		{"affine-backward", big.Len(), func() (gpu.Op, error) {
			return d.ChannelAffineBackward(big, x, zeros(b, d, 32), dy, dx, zeros(b, d, 32), zeros(b, d, 32))
		}},
		{"maxpool3s2", big.Len(), func() (gpu.Op, error) { return d.MaxPool(pool, x, pooled) }},
		{"maxpool3s2-backward", big.Len(), func() (gpu.Op, error) { return d.MaxPoolBackward(pool, x, pooled, dx) }},
		{"gap7x7x768", gap.Len(), func() (gpu.Op, error) { return d.GlobalAvgPool(gap, gx, zeros(b, d, 4*768)) }},
		{"channel-mean", big.Len(), func() (gpu.Op, error) { return d.ChannelMean(big, x, ch, zeros(b, d, 4)) }},
		{"mean-square", big.Len(), func() (gpu.Op, error) { return d.MeanSquare(big, x, zeros(b, d, 4)) }},
		{"softmax4x1000", 4000, func() (gpu.Op, error) { return d.Softmax(4, 1000, small, out) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			op, err := c.mk()
			if err != nil {
				b.Fatal(err)
			}
			if r, ok := op.(interface{ Release() }); ok {
				defer r.Release()
			}
			if _, err := d.Time(op, 1, 1); err != nil { // warm up: compile, first submit
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if err := d.Run(op); err != nil {
					b.Fatal(err)
				}
				if err := d.Sync(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(4*float64(c.bytes)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
