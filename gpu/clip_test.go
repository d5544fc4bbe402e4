package gpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// TestClipPercentile compares the GPU clip with gpu/ref on random shapes
// and percentiles: the same thresholds, and the same pixels zeroed (a pixel
// whose norm ties the threshold within float32 rounding may go either way).
func TestClipPercentile(t *testing.T) {
	d := device(t)
	rng := newRand(61)
	shapes := []gpu.NHWC{{1, 1, 1, 1}, {2, 1, 7, 3}, {3, 9, 1, 2}, {2, 64, 45, 3}, {1, 50, 50, 3}, {3, 30, 30, 3}}
	for len(shapes) < 24 {
		shapes = append(shapes, gpu.NHWC{N: 1 + rng.IntN(4), H: 1 + rng.IntN(24), W: 1 + rng.IntN(24), C: 1 + rng.IntN(4)})
	}
	for i, s := range shapes {
		pct := []float64{0, 10, 50, 90, 99.9}[i%5]
		t.Run(fmt.Sprintf("%v/%v", s, pct), func(t *testing.T) {
			n, hw := s.N*s.H*s.W*s.C, s.H*s.W
			x32, x := randVec(rng, n)
			bx, bt := upload(t, d, x32), zeros(t, d, s.N)
			op, err := d.ClipPercentile(s, pct, bx, bt)
			run(t, d, op, err)
			got, gthr := read(t, d, bx), read(t, d, bt)
			want, thr := ref.ClipPercentile(s.N, hw, s.C, gpu.ClipIndex(pct, hw), x)
			zeroed := 0
			for b := range s.N {
				// float32 norms may order near-ties differently from float64.
				if math.Abs(float64(gthr[b])-thr[b]) > 1e-4*thr[b] {
					t.Errorf("image %d: threshold %v, want %v", b, gthr[b], thr[b])
				}
				for q := range hw {
					i := (b*hw + q) * s.C
					sq := 0.0
					for ch := range s.C {
						sq += x[i+ch] * x[i+ch]
					}
					if math.Abs(sq-thr[b]) <= 1e-4*thr[b] {
						continue
					}
					if want[i] == 0 && sq < thr[b] {
						zeroed++
					}
					for ch := range s.C {
						if float64(got[i+ch]) != want[i+ch] {
							t.Fatalf("image %d pixel %d channel %d: %v, want %v (norm² %v, threshold %v)", b, q, ch, got[i+ch], want[i+ch], sq, thr[b])
						}
					}
				}
			}
			if k := gpu.ClipIndex(pct, hw); zeroed < s.N*k-s.N {
				t.Errorf("%d pixels zeroed, want about %d per image", zeroed, k)
			}
		})
	}
}
