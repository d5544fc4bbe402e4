package gpu_test

import (
	"fmt"
	"testing"

	"github.com/hubelviz/hubel/gpu/ref"
)

func TestSoftmax(t *testing.T) {
	d := device(t)
	rng := newRand(28)
	shapes := [][2]int{ // rows, n
		{1, 1}, {3, 1}, {2, 2}, {4, 10}, {5, 63}, {3, 64}, {3, 65}, {2, 255}, {2, 256}, {2, 257},
		{4, 1000}, {3, 1001}, {1, 4099}, {65543, 2}, // more rows than workgroups per dimension
	}
	for len(shapes) < 24 {
		shapes = append(shapes, [2]int{1 + rng.IntN(50), 1 + rng.IntN(2000)})
	}
	worst := nnWorst{}
	for i, s := range shapes {
		rows, n := s[0], s[1]
		t.Run(fmt.Sprintf("%dx%d", rows, n), func(t *testing.T) {
			x32, x := randVec(rng, rows*n)
			if i%4 == 1 { // large logits: exp would overflow without the max
				for j := range x32 {
					x32[j] *= 60
					x[j] = float64(x32[j])
				}
			}
			dy32, dy := randVec(rng, rows*n)
			bx, bdy := upload(t, d, x32), upload(t, d, dy32)
			y, dx := zeros(t, d, rows*n), zeros(t, d, rows*n)
			for _, log := range []bool{false, true} {
				name, fwd, bwd := "softmax", ref.Softmax, ref.SoftmaxBackward
				mk, mkb := d.Softmax, d.SoftmaxBackward
				if log {
					name, fwd, bwd = "logsoftmax", ref.LogSoftmax, ref.LogSoftmaxBackward
					mk, mkb = d.LogSoftmax, d.LogSoftmaxBackward
				}
				op, err := mk(rows, n, bx, y)
				run(t, d, op, err)
				want := fwd(n, x)
				worst.check(t, name, read(t, d, y), want)
				// The backward pass reads the forward output: give both sides
				// the same float32 values.
				y32 := make([]float32, len(want))
				for j, v := range want {
					y32[j] = float32(v)
					want[j] = float64(y32[j])
				}
				op, err = mkb(rows, n, upload(t, d, y32), bdy, dx)
				run(t, d, op, err)
				got, wantdx := read(t, d, dx), bwd(n, want, dy)
				if i%4 != 1 {
					worst.check(t, name+" backward", got, wantdx)
					continue
				}
				// Saturated rows: dx is a small difference of O(|dy|) terms, so
				// float32 rounding is measured against max|dy| as well.
				e, scale := 0.0, 0.0
				for j := range got {
					e = max(e, nnAbs(float64(got[j])-wantdx[j]))
					scale = max(scale, nnAbs(dy[j]), nnAbs(wantdx[j]))
				}
				worst[name+" backward (saturated)"] = max(worst[name+" backward (saturated)"], e/scale)
				if !(e <= kernelTol*scale) {
					t.Errorf("%s backward, saturated: max abs err %.3g > %g × %.3g", name, e, kernelTol, scale)
				}
			}
		})
	}
	worst.log(t)
}

func TestSoftmaxErrors(t *testing.T) {
	d := device(t)
	x, y := zeros(t, d, 12), zeros(t, d, 10)
	for name, err := range map[string]error{
		"rows":    nnErr(d.Softmax(0, 12, x, x)),
		"length":  nnErr(d.Softmax(3, 4, x, y)),
		"aliased": nnErr(d.LogSoftmax(3, 4, x, x)),
		"dy":      nnErr(d.SoftmaxBackward(3, 4, x, y, x)),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
