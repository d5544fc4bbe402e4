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

// TestClipNorm compares the GPU's norm clipping of rows with gpu/ref on
// shapes with rows shorter and longer than the workgroup, more rows than
// one dimension of workgroups holds, and limits below, between and above
// the rows' norms; and checks that clipped rows keep their direction at
// norm limit.
func TestClipNorm(t *testing.T) {
	d := device(t)
	rng := newRand(67)
	cases := []struct {
		rows, n int
		limit   float64
	}{
		{1, 1, 0.1}, {1, 128, 3}, {10, 128, 5}, {7, 63, 2}, {3, 65, 4}, {5, 1000, 15}, {2, 4097, 30},
		{70000, 2, 0.8}, {4, 16, 0}, {6, 128, 1e6},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%dx%d/%v", c.rows, c.n, c.limit), func(t *testing.T) {
			x32, x := randVec(rng, c.rows*c.n)
			for i := range x {
				if i/c.n%3 == 1 { // every third row small: below most limits
					x32[i] *= 0.01
					x[i] = float64(x32[i])
				}
			}
			bx := upload(t, d, x32)
			op, err := d.ClipNorm(c.rows, c.n, c.limit, bx)
			run(t, d, op, err)
			got := read(t, d, bx)
			want := ref.ClipNorm(c.rows, c.n, c.limit, x)
			clipped := 0
			for r := range c.rows {
				norm, gnorm := 0.0, 0.0
				for i := r * c.n; i < (r+1)*c.n; i++ {
					norm += x[i] * x[i]
					gnorm += float64(got[i]) * float64(got[i])
					if math.Abs(float64(got[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
						t.Fatalf("row %d value %d: %v, want %v", r, i-r*c.n, got[i], want[i])
					}
				}
				if norm, gnorm = math.Sqrt(norm), math.Sqrt(gnorm); norm > c.limit {
					clipped++
					if math.Abs(gnorm-c.limit) > 1e-5*(1+c.limit) {
						t.Errorf("row %d: norm %v after clipping to %v", r, gnorm, c.limit)
					}
				}
			}
			if c.limit < 1e6 && clipped == 0 {
				t.Errorf("no row clipped: the case tests nothing")
			}
		})
	}
	if _, err := d.ClipNorm(2, 3, 1, zeros(t, d, 5)); err == nil {
		t.Error("ClipNorm accepted a buffer of 5 floats for 2 rows of 3")
	}
	if _, err := d.ClipNorm(1, 3, math.NaN(), zeros(t, d, 3)); err == nil {
		t.Error("ClipNorm accepted a NaN limit")
	}
}
