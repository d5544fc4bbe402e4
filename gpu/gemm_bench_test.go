package gpu_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hubelviz/hubel/gpu"
)

// BenchmarkGEMM times square products C = A·B in every variant and in the
// variant the tuner picks on this adapter (named "tuned=<variant>"),
// reporting GFLOP/s (2·n³ per product). Run it with a small -benchtime on
// CPU adapters (lavapipe takes seconds per 1024³ product); -v prints the
// tuner's measurements:
//
//	go test -bench GEMM ./gpu/ -run '^$' -benchtime 3x -v
func BenchmarkGEMM(b *testing.B) {
	d := device(b)
	t0 := time.Now()
	picked, err := d.Pick("gemm")
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("tuning took %v: %s", time.Since(t0), d.TuningReport())
	rng := newRand(7)
	for _, n := range []int{512, 1024} {
		a32, _ := randVec(rng, n*n)
		b32, _ := randVec(rng, n*n)
		ba, bb, bc := upload(b, d, a32), upload(b, d, b32), zeros(b, d, n*n)
		for _, v := range append(gpu.GEMMVariants, "") {
			name := v
			if v == "" {
				name = "tuned=" + picked
			}
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				op, err := d.GEMM(gpu.GEMMShape{M: n, N: n, K: n, Alpha: 1, Variant: v}, bc, ba, bb, nil)
				if err != nil {
					b.Fatal(err)
				}
				defer op.(*gpu.Dispatch).Release()
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
				b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
