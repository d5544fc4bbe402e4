package gpu_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// nnShapes returns count random NHWC shapes, after the fixed ones, with
// dimensions up to the given bounds (odd sizes included by chance and by
// the fixed shapes).
func nnShapes(rng *rand.Rand, count int, fixed []gpu.NHWC, maxN, maxHW, maxC int) []gpu.NHWC {
	out := append([]gpu.NHWC(nil), fixed...)
	for len(out) < count {
		out = append(out, gpu.NHWC{N: 1 + rng.IntN(maxN), H: 1 + rng.IntN(maxHW), W: 1 + rng.IntN(maxHW), C: 1 + rng.IntN(maxC)})
	}
	return out
}

// nnFloats converts ints to the f32 index buffers the kernels read, and to
// float64 for the reference.
func nnFloats(v []int) []float32 {
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return f
}

// nnWorst records the worst relative error per kernel, reported at the end
// of each test so the numbers can be quoted.
type nnWorst map[string]float64

func (w nnWorst) check(t *testing.T, name string, got []float32, want []float64) {
	t.Helper()
	assertClose(t, name, got, want)
	if len(got) == len(want) {
		w[name] = max(w[name], nnRelErr(got, want))
	}
}

func (w nnWorst) log(t *testing.T) {
	for k, v := range w {
		t.Logf("worst rel err %-28s %.3g", k, v)
	}
}

func nnRelErr(got []float32, want []float64) float64 {
	num, den := 0.0, 1e-30
	for i := range want {
		num = max(num, nnAbs(float64(got[i])-want[i]))
		den = max(den, nnAbs(want[i]))
	}
	return num / den
}

func nnAbs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestObjectives(t *testing.T) {
	d := device(t)
	rng := newRand(21)
	shapes := nnShapes(rng, 24, []gpu.NHWC{
		{N: 1, H: 1, W: 1, C: 1}, {N: 3, H: 7, W: 5, C: 3}, {N: 2, H: 56, W: 57, C: 5}, // 3192 rows: several row groups
		{N: 4, H: 14, W: 14, C: 96}, {N: 1, H: 1, W: 1, C: 1000}, {N: 2, H: 112, W: 112, C: 2},
	}, 5, 24, 40)
	worst := nnWorst{}
	for _, s := range shapes {
		t.Run(fmt.Sprintf("%dx%dx%dx%d", s.N, s.H, s.W, s.C), func(t *testing.T) {
			x32, x := randVec(rng, s.Len())
			dy32, dy := randVec(rng, s.N)
			ch := make([]int, s.N)
			pos := make([][3]int, s.N)
			var posf []int
			for b := range s.N {
				ch[b] = rng.IntN(s.C)
				pos[b] = [3]int{rng.IntN(s.W), rng.IntN(s.H), rng.IntN(s.C)}
				posf = append(posf, pos[b][:]...)
			}
			bx, bdy := upload(t, d, x32), upload(t, d, dy32)
			bch, bpos := upload(t, d, nnFloats(ch)), upload(t, d, nnFloats(posf))
			out, dx := zeros(t, d, s.N), zeros(t, d, s.Len())
			alpha := float64(float32(rng.NormFloat64()))
			scale := func(v []float64, a float64) []float64 { return ref.ScaleShift(v, a, 0) }

			op, err := d.ChannelMean(s, bx, bch, out)
			run(t, d, op, err)
			worst.check(t, "channel", read(t, d, out), ref.ChannelMean(s.N, s.H, s.W, s.C, ch, x))
			op2, err := d.ChannelMeanBackward(s, bch, bdy, dx, alpha, false)
			run(t, d, op2, err)
			worst.check(t, "channel backward", read(t, d, dx), scale(ref.ChannelMeanBackward(s.N, s.H, s.W, s.C, ch, dy), alpha))

			op2, err = d.Neuron(s, bx, bpos, out)
			run(t, d, op2, err)
			worst.check(t, "neuron", read(t, d, out), ref.Neuron(s.N, s.H, s.W, s.C, pos, x))
			// Accumulating onto the channel gradient, with dy = ones.
			op2, err = d.NeuronBackward(s, bpos, nil, dx, alpha, true)
			run(t, d, op2, err)
			ones := ref.ScaleShift(make([]float64, s.N), 0, 1)
			worst.check(t, "neuron backward (+=)", read(t, d, dx), ref.AXPBY(
				ref.ChannelMeanBackward(s.N, s.H, s.W, s.C, ch, dy), ref.NeuronBackward(s.N, s.H, s.W, s.C, pos, ones), alpha, alpha))

			op, err = d.MeanSquare(s, bx, out)
			run(t, d, op, err)
			worst.check(t, "meansquare", read(t, d, out), ref.MeanSquare(s.N, x))
			op2, err = d.MeanSquareBackward(s, bx, bdy, dx, alpha, false)
			run(t, d, op2, err)
			worst.check(t, "meansquare backward", read(t, d, dx), scale(ref.MeanSquareBackward(s.N, x, dy), alpha))
		})
	}
	worst.log(t)
}

func TestObjectiveErrors(t *testing.T) {
	d := device(t)
	s := gpu.NHWC{N: 2, H: 3, W: 3, C: 4}
	x, idx, out := zeros(t, d, s.Len()), zeros(t, d, 2), zeros(t, d, 2)
	for name, err := range map[string]error{
		"bad shape":     nnErr(d.ChannelMean(gpu.NHWC{N: 2, H: 0, W: 3, C: 4}, x, idx, out)),
		"short x":       nnErr(d.MeanSquare(gpu.NHWC{N: 2, H: 4, W: 3, C: 4}, x, out)),
		"short indices": nnErr(d.Neuron(s, x, idx, out)),
		"nil output":    nnErr(d.ChannelMean(s, x, idx, nil)),
		"dy length":     nnErr(d.MeanSquareBackward(s, x, x, x, 1, false)),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func nnErr[T any](_ T, err error) error { return err }
