package ref

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestConvGeomOut(t *testing.T) {
	// Sizes checked by hand against TF's conv_ops padding rule.
	for _, c := range []struct {
		in, k, s              int
		same                  bool
		out, before, afterPad int
	}{
		{224, 3, 2, true, 112, 0, 1}, // even input, stride 2: the pad goes bottom/right
		{7, 3, 2, true, 4, 1, 1},
		{8, 3, 1, true, 8, 1, 1},
		{8, 4, 1, true, 8, 1, 2},
		{5, 1, 2, true, 3, 0, 0},
		{6, 5, 2, true, 3, 1, 2},
		{2, 5, 1, true, 2, 2, 2},
		{7, 3, 2, false, 3, 0, 0},
		{8, 3, 2, false, 3, 0, 0},
		{5, 5, 1, false, 1, 0, 0},
	} {
		g := ConvGeom{N: 1, H: c.in, W: 1, C: 1, KH: c.k, KW: 1, SY: c.s, SX: 1, Same: c.same}
		oh, _, top, _ := g.Out()
		after := (oh-1)*c.s + c.k - c.in - top
		if !c.same {
			after = 0
		}
		if oh != c.out || top != c.before || after != c.afterPad {
			t.Errorf("in %d k %d s %d same %v: out %d pads %d,%d; want %d pads %d,%d", c.in, c.k, c.s, c.same, oh, top, after, c.out, c.before, c.afterPad)
		}
	}
}

func TestConv2DByHand(t *testing.T) {
	// 3×3 input 1..9, 2×2 filter of ones, stride 1, "same": the extra row
	// and column of zeros go at the bottom and right.
	g := ConvGeom{N: 1, H: 3, W: 3, C: 1, KH: 2, KW: 2, SY: 1, SX: 1, Same: true}
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	got := Conv2D(g, 1, x, []float64{1, 1, 1, 1}, []float64{0.5})
	want := []float64{12.5, 16.5, 9.5, 24.5, 28.5, 15.5, 15.5, 17.5, 9.5}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// Depthwise with multiplier 2 on two channels, 1×1 filter, stride 2.
	g = ConvGeom{N: 1, H: 2, W: 2, C: 2, KH: 1, KW: 1, SY: 2, SX: 2, Same: true}
	got = Depthwise(g, 2, []float64{1, 2, 3, 4, 5, 6, 7, 8}, []float64{10, 20, 30, 40}, nil)
	want = []float64{10, 20, 60, 80}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("depthwise: got %v, want %v", got, want)
		}
	}
}

// convCases are small geometries covering stride 1 and 2, same and valid,
// odd sizes, non-square kernels and batch 2.
var convCases = []ConvGeom{
	{N: 1, H: 5, W: 5, C: 2, KH: 3, KW: 3, SY: 1, SX: 1, Same: true},
	{N: 2, H: 6, W: 4, C: 3, KH: 3, KW: 3, SY: 2, SX: 2, Same: true},
	{N: 1, H: 7, W: 5, C: 2, KH: 3, KW: 3, SY: 2, SX: 2, Same: true},
	{N: 1, H: 7, W: 6, C: 2, KH: 3, KW: 2, SY: 2, SX: 1, Same: false},
	{N: 2, H: 4, W: 5, C: 1, KH: 1, KW: 1, SY: 1, SX: 2, Same: true},
	{N: 1, H: 6, W: 6, C: 2, KH: 5, KW: 5, SY: 1, SX: 1, Same: true},
	{N: 1, H: 6, W: 7, C: 2, KH: 2, KW: 4, SY: 1, SX: 1, Same: true},
	{N: 1, H: 5, W: 5, C: 1, KH: 5, KW: 3, SY: 1, SX: 1, Same: false},
}

func TestConv2DBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i, g := range convCases {
		nf := 1 + i%3
		t.Run(fmt.Sprintf("%+v/f%d", g, nf), func(t *testing.T) {
			x := randn(rng, g.N*g.H*g.W*g.C)
			w := randn(rng, g.KH*g.KW*g.C*nf)
			b := randn(rng, nf)
			dy := randn(rng, g.outPixels()*nf)
			checkGrad(t, "dx", func(v []float64) []float64 { return Conv2D(g, nf, v, w, b) }, x, dy, Conv2DInputGrad(g, nf, dy, w), fdTol)
			checkGrad(t, "dw", func(v []float64) []float64 { return Conv2D(g, nf, x, v, b) }, w, dy, Conv2DFilterGrad(g, nf, x, dy), fdTol)
			checkGrad(t, "db", func(v []float64) []float64 { return Conv2D(g, nf, x, w, v) }, b, dy, BiasGrad(dy, nf), fdTol)
		})
	}
}

func TestDepthwiseBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i, g := range convCases {
		mult := 1 + i%2
		t.Run(fmt.Sprintf("%+v/m%d", g, mult), func(t *testing.T) {
			cm := g.C * mult
			x := randn(rng, g.N*g.H*g.W*g.C)
			w := randn(rng, g.KH*g.KW*cm)
			b := randn(rng, cm)
			dy := randn(rng, g.outPixels()*cm)
			checkGrad(t, "dx", func(v []float64) []float64 { return Depthwise(g, mult, v, w, b) }, x, dy, DepthwiseInputGrad(g, mult, dy, w), fdTol)
			checkGrad(t, "dw", func(v []float64) []float64 { return Depthwise(g, mult, x, v, b) }, w, dy, DepthwiseFilterGrad(g, mult, x, dy), fdTol)
			checkGrad(t, "db", func(v []float64) []float64 { return Depthwise(g, mult, x, w, v) }, b, dy, BiasGrad(dy, cm), fdTol)
		})
	}
}
