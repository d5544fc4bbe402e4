package gpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// layoutExact fails unless got equals want exactly: data movement does no
// arithmetic, so any difference is a wrong index.
func layoutExact(t *testing.T, name string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", name, len(got), len(want))
	}
	for i := range want {
		if float64(got[i]) != want[i] {
			t.Fatalf("%s: element %d = %v, want %v", name, i, got[i], want[i])
		}
	}
}

// imgopsMaxErr tracks the worst relative error per kernel across a test.
type imgopsMaxErr map[string]float64

func (m imgopsMaxErr) check(t *testing.T, name string, got []float32, want []float64) {
	t.Helper()
	assertClose(t, name, got, want)
	m[name] = math.Max(m[name], relErr(got, want))
}

func (m imgopsMaxErr) log(t *testing.T) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		t.Logf("worst rel err %s: %.3g", k, m[k])
	}
}

func TestConcatSplit(t *testing.T) {
	d := device(t)
	rng := newRand(41)
	for i := range 24 {
		s := gpu.ConcatShape{N: 1 + rng.IntN(3), H: 1 + rng.IntN(9), W: 1 + rng.IntN(9)}
		for range 1 + rng.IntN(4) {
			s.C = append(s.C, 1+rng.IntN(7))
		}
		if i == 0 { // one big enough to fill several workgroups with odd sizes
			s = gpu.ConcatShape{N: 2, H: 17, W: 13, C: []int{3, 5, 1}}
		}
		t.Run(fmt.Sprint(s.N, s.H, s.W, s.C), func(t *testing.T) {
			pix := s.N * s.H * s.W
			parts := make([]*gpu.Buffer, len(s.C))
			want := make([][]float64, len(s.C))
			for j, c := range s.C {
				var p32 []float32
				p32, want[j] = randVec(rng, pix*c)
				parts[j] = upload(t, d, p32)
			}
			y := zeros(t, d, pix*s.Channels())
			op, err := d.Concat(s, parts, y)
			run(t, d, op, err)
			wantY := ref.Concat(s.N, s.H, s.W, s.C, want)
			gotY := read(t, d, y)
			layoutExact(t, "concat", gotY, wantY)

			// split (= concat's backward) of another tensor, skipping one part
			dy32, dy := randVec(rng, len(gotY))
			bdy := upload(t, d, dy32)
			outs := make([]*gpu.Buffer, len(s.C))
			skip := rng.IntN(len(s.C) + 1) // == len: skip none
			for j, c := range s.C {
				if j != skip || len(s.C) == 1 {
					outs[j] = zeros(t, d, pix*c)
				}
			}
			op, err = d.ConcatBackward(s, bdy, outs)
			run(t, d, op, err)
			wantParts := ref.Split(s.N, s.H, s.W, s.C, dy)
			for j, b := range outs {
				if b != nil {
					layoutExact(t, fmt.Sprint("split part ", j), read(t, d, b), wantParts[j])
				}
			}
		})
	}
}

func layoutPadShape(rng *rand.Rand) gpu.PadShape {
	return gpu.PadShape{
		N: 1 + rng.IntN(3), H: 1 + rng.IntN(12), W: 1 + rng.IntN(12), C: 1 + rng.IntN(5),
		Top: rng.IntN(4), Bottom: rng.IntN(4), Left: rng.IntN(4), Right: rng.IntN(4),
		Value: rng.NormFloat64(),
	}
}

func TestPadCrop(t *testing.T) {
	d := device(t)
	rng := newRand(42)
	for i := range 24 {
		s := layoutPadShape(rng)
		switch i {
		case 0:
			s = gpu.PadShape{N: 2, H: 30, W: 29, C: 3, Top: 12, Bottom: 12, Left: 12, Right: 12, Value: 0.5} // Lucid's pad
		case 1:
			s.Top, s.Bottom, s.Left, s.Right = 0, 0, 0, 0
		}
		t.Run(fmt.Sprintf("%+v", s), func(t *testing.T) {
			oh, ow := s.Out()
			small := s.N * s.H * s.W * s.C
			big := s.N * oh * ow * s.C
			x32, x := randVec(rng, small)
			bx, by := upload(t, d, x32), zeros(t, d, big)
			op, err := d.Pad(s, bx, by)
			run(t, d, op, err)
			fill := float64(float32(s.Value))
			layoutExact(t, "pad", read(t, d, by), ref.Pad(s.N, s.H, s.W, s.C, s.Top, s.Bottom, s.Left, s.Right, fill, x))

			// pad backward = crop of dy
			dy32, dy := randVec(rng, big)
			bdy, bdx := upload(t, d, dy32), zeros(t, d, small)
			op, err = d.PadBackward(s, bdy, bdx)
			run(t, d, op, err)
			layoutExact(t, "pad backward", read(t, d, bdx), ref.Crop(s.N, oh, ow, s.C, s.Top, s.Bottom, s.Left, s.Right, dy))

			// crop of the big tensor, and its backward (pad with zeros)
			c := gpu.CropShape{N: s.N, H: oh, W: ow, C: s.C, Top: s.Top, Bottom: s.Bottom, Left: s.Left, Right: s.Right}
			bc := zeros(t, d, small)
			op, err = d.Crop(c, bdy, bc)
			run(t, d, op, err)
			layoutExact(t, "crop", read(t, d, bc), ref.Crop(s.N, oh, ow, s.C, s.Top, s.Bottom, s.Left, s.Right, dy))
			bcb := upload(t, d, dy32) // garbage that the backward must overwrite, border included
			op, err = d.CropBackward(c, bx, bcb)
			run(t, d, op, err)
			layoutExact(t, "crop backward", read(t, d, bcb), ref.Pad(s.N, s.H, s.W, s.C, s.Top, s.Bottom, s.Left, s.Right, 0, x))
		})
	}
}

func TestLayoutErrors(t *testing.T) {
	d := device(t)
	a, b, c := zeros(t, d, 2*3*3*2), zeros(t, d, 2*3*3*1), zeros(t, d, 2*3*3*3)
	s := gpu.ConcatShape{N: 2, H: 3, W: 3, C: []int{2, 1}}
	bad := []struct {
		name string
		err  error
	}{
		{"concat wrong output", nnErr(d.Concat(s, []*gpu.Buffer{a, b}, a))},
		{"concat wrong part", nnErr(d.Concat(s, []*gpu.Buffer{b, b}, c))},
		{"concat part count", nnErr(d.Concat(s, []*gpu.Buffer{a}, c))},
		{"concat nil part", nnErr(d.Concat(s, []*gpu.Buffer{a, nil}, c))},
		{"concat zero channels", nnErr(d.Concat(gpu.ConcatShape{N: 2, H: 3, W: 3, C: []int{3, 0}}, []*gpu.Buffer{c, b}, c))},
		{"split nil input", nnErr(d.Split(s, nil, []*gpu.Buffer{a, b}))},
		{"pad negative", nnErr(d.Pad(gpu.PadShape{N: 2, H: 3, W: 3, C: 1, Top: -1, Bottom: 1}, b, b))},
		{"pad wrong output", nnErr(d.Pad(gpu.PadShape{N: 2, H: 3, W: 3, C: 1, Top: 1}, b, c))},
		{"pad aliasing", nnErr(d.Pad(gpu.PadShape{N: 2, H: 3, W: 3, C: 1}, b, b))},
		{"crop too much", nnErr(d.Crop(gpu.CropShape{N: 2, H: 3, W: 3, C: 1, Left: 2, Right: 1}, b, b))},
	}
	for _, tc := range bad {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		} else {
			t.Logf("%s: %v", tc.name, tc.err)
		}
	}
}

// imgopsErr keeps the error of a launcher's result.
func imgopsErr[T any](_ T, err error) error { return err }
