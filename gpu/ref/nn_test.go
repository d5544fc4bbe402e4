package ref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Finite-difference checks of the affine, activation, pooling, softmax and
// objective-reduction gradients, plus the conventions finite differences
// cannot see (kinks, ties, padding, redirection).

// awayFrom returns n normal values kept at least 0.05 from every kink.
func awayFrom(rng *rand.Rand, n int, kinks ...float64) []float64 {
	x := make([]float64, n)
	for i := range x {
	again:
		v := 4 * rng.NormFloat64()
		for _, k := range kinks {
			if math.Abs(v-k) < 0.05 {
				goto again
			}
		}
		x[i] = v
	}
	return x
}

// distinct returns n values with no two closer than 0.01, in random order.
func distinct(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i, p := range rng.Perm(n) {
		x[i] = float64(p)*0.01 - float64(n)*0.005
	}
	return x
}

func TestAffineBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	for _, s := range [][2]int{{1, 1}, {5, 3}, {12, 7}} {
		rows, c := s[0], s[1]
		x, scale, shift, w := randn(rng, rows*c), randn(rng, c), randn(rng, c), randn(rng, rows*c)
		dx, ds, db := ChannelAffineBackward(x, scale, w)
		name := fmt.Sprintf("affine %dx%d", rows, c)
		checkGrad(t, name+"/x", func(v []float64) []float64 { return ChannelAffine(v, scale, shift) }, x, w, dx, fdTol)
		checkGrad(t, name+"/scale", func(v []float64) []float64 { return ChannelAffine(x, v, shift) }, scale, w, ds, fdTol)
		checkGrad(t, name+"/shift", func(v []float64) []float64 { return ChannelAffine(x, scale, v) }, shift, w, db, fdTol)
	}
}

func TestActivationBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 2))
	inf := math.Inf(1)
	for _, a := range []Act{
		{ActIdentity, 0, inf}, {ActReLU, 0, inf}, {ActReLU, 0, 6}, {ActReLU, 0.2, inf},
		{ActReLU, 0.1, 3}, {ActSigmoid, 0, inf}, {ActTanh, 0, inf},
	} {
		for _, n := range []int{1, 9, 50} {
			x, w := awayFrom(rng, n, 0, a.Cap), randn(rng, n)
			checkGrad(t, fmt.Sprintf("act %+v n=%d", a, n), func(v []float64) []float64 { return Activate(a, v) },
				x, w, ActivateBackward(a, x, w), fdTol)
		}
	}
}

func TestActivationValues(t *testing.T) {
	inf := math.Inf(1)
	x := []float64{-2, 0, 3, 6, 7, -800, 800}
	for _, c := range []struct {
		a       Act
		y, dydx []float64
	}{
		{Act{ActReLU, 0, inf}, []float64{0, 0, 3, 6, 7, 0, 800}, []float64{0, 0, 1, 1, 1, 0, 1}},
		{Act{ActReLU, 0, 6}, []float64{0, 0, 3, 6, 6, 0, 6}, []float64{0, 0, 1, 1, 0, 0, 0}},
		{Act{ActReLU, 0.5, inf}, []float64{-1, 0, 3, 6, 7, -400, 800}, []float64{0.5, 0.5, 1, 1, 1, 0.5, 1}},
		{Act{ActSigmoid, 0, inf}, []float64{0.11920292202211755, 0.5, 0.9525741268224334, 0.9975273768433653, 0.9990889488055994, 0, 1}, nil},
		{Act{ActTanh, 0, inf}, []float64{-0.9640275800758169, 0, 0.9950547536867305, 0.9999877116507956, 0.9999983369439447, -1, 1}, nil},
	} {
		ones := []float64{1, 1, 1, 1, 1, 1, 1}
		if e := relErr(Activate(c.a, x), c.y); e > 1e-15 {
			t.Errorf("%+v: forward %v, want %v", c.a, Activate(c.a, x), c.y)
		}
		if c.dydx != nil {
			if e := relErr(ActivateBackward(c.a, x, ones), c.dydx); e != 0 {
				t.Errorf("%+v: derivative %v, want %v", c.a, ActivateBackward(c.a, x, ones), c.dydx)
			}
		}
	}
}

func TestReLUBackwardRedirected(t *testing.T) {
	inf := math.Inf(1)
	// Two images of four elements each.
	for _, c := range []struct {
		name  string
		capv  float64
		x, dy []float64
		want  []float64
	}{
		{"ordinary gradient passes: used as is", inf,
			[]float64{-1, 2, -3, 0, -1, -2, -3, -4},
			[]float64{-1, 5, 2, 0, -1, 1, -2, 3},
			// image 0: x=2 passes 5 (x=0 passes its 0): ordinary.
			// image 1: all off: pass negative dy only.
			[]float64{0, 5, 0, 0, -1, 0, -2, 0}},
		{"x = 0 counts as on (Lucid's x < 0 test)", inf,
			[]float64{0, -1, -1, -1, -1, -1, -1, 7},
			[]float64{2, -3, 1, 1, 0, 0, 0, 4},
			[]float64{2, 0, 0, 0, 0, 0, 0, 4}},
		{"relu6: above the cap passes positive dy only", 6,
			[]float64{7, 8, -1, -2, 3, 7, -1, 9},
			[]float64{1, -1, -1, 1, 0, 2, 1, -1},
			// image 0 blocked everywhere: 7/1 passes, 8/-1 no, -1/-1 passes, -2/1 no.
			// image 1: x=3 passes 0, so the ordinary norm is 0 too: redirect.
			[]float64{1, 0, -1, 0, 0, 2, 0, 0}},
		{"relu6: x = 6 is on", 6,
			[]float64{6, 8, 9, -1, 6, 7, 7, 7},
			[]float64{-2, -1, 1, 1, 0, -1, -1, -1},
			[]float64{-2, 0, 0, 0, 0, 0, 0, 0}},
	} {
		got := ReLUBackwardRedirected(c.capv, 2, c.x, c.dy)
		if relErr(got, c.want) != 0 {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPoolGeometry(t *testing.T) {
	for _, c := range []struct {
		in, k, s    int
		same        bool
		out, before int
	}{
		{5, 3, 2, true, 3, 1},  // pad 2: 1 before, 1 after
		{6, 3, 2, true, 3, 0},  // pad 1: the odd pixel after
		{7, 2, 2, true, 4, 0},  // pad 1
		{4, 2, 2, true, 2, 0},  // no pad
		{5, 1, 1, true, 5, 0},  // 1x1
		{3, 5, 1, true, 3, 2},  // window larger than the image
		{5, 3, 2, false, 2, 0}, // valid
		{6, 2, 2, false, 3, 0},
		{7, 3, 3, false, 2, 0},
	} {
		out, before := poolDim(c.in, c.k, c.s, c.same)
		if out != c.out || before != c.before {
			t.Errorf("in %d k %d s %d same %v: out %d before %d, want %d %d", c.in, c.k, c.s, c.same, out, before, c.out, c.before)
		}
	}
}

func TestPoolTiesAndPadding(t *testing.T) {
	// One 3×3 channel, 2×2 windows, stride 1, same padding (pad 1 at the
	// bottom/right): ties go to the first element in row-major window order,
	// and averages exclude the padding.
	p := Pool{N: 1, H: 3, W: 3, C: 1, KH: 2, KW: 2, SH: 1, SW: 1, Same: true}
	x := []float64{
		1, 5, 5,
		5, 5, 0,
		2, 3, 4,
	}
	dy := []float64{1, 10, 100, 1000, 10000, 100000, 1e6, 1e7, 1e8}
	if got, want := MaxPool(p, x), []float64{5, 5, 5, 5, 5, 4, 3, 4, 4}; relErr(got, want) != 0 {
		t.Errorf("max: %v, want %v", got, want)
	}
	// Windows: (0,0)→x[1]; (0,1)→x[1]; (0,2)→x[2]; (1,0)→x[3]; (1,1)→x[4];
	// (1,2)→x[8]; (2,0)→x[7]; (2,1)→x[8]; (2,2)→x[8].
	if got, want := MaxPoolBackward(p, x, dy), []float64{0, 11, 100, 1000, 10000, 0, 0, 1e6, 1e8 + 1e7 + 1e5}; relErr(got, want) != 0 {
		t.Errorf("max backward: %v, want %v", got, want)
	}
	if got, want := AvgPool(p, x), []float64{16.0 / 4, 15.0 / 4, 5.0 / 2, 15.0 / 4, 12.0 / 4, 4.0 / 2, 5.0 / 2, 7.0 / 2, 4}; relErr(got, want) > 1e-15 {
		t.Errorf("avg: %v, want %v", got, want)
	}
}

func TestPoolBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, p := range []Pool{
		{N: 1, H: 4, W: 4, C: 1, KH: 2, KW: 2, SH: 2, SW: 2, Same: false},
		{N: 2, H: 5, W: 7, C: 3, KH: 3, KW: 3, SH: 2, SW: 2, Same: true},
		{N: 2, H: 6, W: 5, C: 2, KH: 3, KW: 2, SH: 1, SW: 2, Same: true},
		{N: 1, H: 7, W: 6, C: 2, KH: 3, KW: 3, SH: 2, SW: 1, Same: false},
		{N: 1, H: 3, W: 3, C: 2, KH: 5, KW: 4, SH: 1, SW: 1, Same: true},
	} {
		nx := p.N * p.H * p.W * p.C
		x, w := distinct(rng, nx), randn(rng, p.outLen())
		name := fmt.Sprintf("%+v", p)
		checkGrad(t, "maxpool "+name, func(v []float64) []float64 { return MaxPool(p, v) }, x, w, MaxPoolBackward(p, x, w), fdTol)
		checkGrad(t, "avgpool "+name, func(v []float64) []float64 { return AvgPool(p, v) }, x, w, AvgPoolBackward(p, w), fdTol)
	}
}

func TestGlobalPoolBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range [][3]int{{1, 1, 1}, {2, 9, 3}, {3, 5, 4}} {
		n, hw, c := s[0], s[1], s[2]
		x, w := distinct(rng, n*hw*c), randn(rng, n*c)
		name := fmt.Sprint(s)
		checkGrad(t, "gap "+name, func(v []float64) []float64 { return GlobalAvgPool(n, hw, c, v) }, x, w, GlobalAvgPoolBackward(n, hw, c, w), fdTol)
		checkGrad(t, "gmp "+name, func(v []float64) []float64 { return GlobalMaxPool(n, hw, c, v) }, x, w, GlobalMaxPoolBackward(n, hw, c, x, w), fdTol)
	}
	// Ties go to the first position.
	x := []float64{1, 3, 3, 2}
	if got := GlobalMaxPoolBackward(1, 4, 1, x, []float64{5}); relErr(got, []float64{0, 5, 0, 0}) != 0 {
		t.Errorf("gmp tie: %v", got)
	}
}

func TestSoftmaxBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, s := range [][2]int{{1, 1}, {1, 5}, {3, 10}, {2, 33}} {
		rows, n := s[0], s[1]
		x, w := randn(rng, rows*n), randn(rng, rows*n)
		name := fmt.Sprint(s)
		checkGrad(t, "softmax "+name, func(v []float64) []float64 { return Softmax(n, v) }, x, w, SoftmaxBackward(n, Softmax(n, x), w), fdTol)
		checkGrad(t, "logsoftmax "+name, func(v []float64) []float64 { return LogSoftmax(n, v) }, x, w, LogSoftmaxBackward(n, LogSoftmax(n, x), w), fdTol)
	}
	// Stability: huge logits do not overflow.
	y := Softmax(3, []float64{1000, 1000, -1000})
	if relErr(y, []float64{0.5, 0.5, 0}) > 1e-15 {
		t.Errorf("softmax of large logits: %v", y)
	}
}

func TestObjectiveBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 6))
	for _, s := range [][4]int{{1, 1, 1, 1}, {2, 3, 4, 5}, {3, 5, 2, 3}} {
		n, h, w, c := s[0], s[1], s[2], s[3]
		ch := make([]int, n)
		pos := make([][3]int, n)
		for b := range n {
			ch[b] = rng.IntN(c)
			pos[b] = [3]int{rng.IntN(w), rng.IntN(h), rng.IntN(c)}
		}
		x, wt := randn(rng, n*h*w*c), randn(rng, n)
		name := fmt.Sprint(s)
		checkGrad(t, "channel "+name, func(v []float64) []float64 { return ChannelMean(n, h, w, c, ch, v) }, x, wt, ChannelMeanBackward(n, h, w, c, ch, wt), fdTol)
		checkGrad(t, "neuron "+name, func(v []float64) []float64 { return Neuron(n, h, w, c, pos, v) }, x, wt, NeuronBackward(n, h, w, c, pos, wt), fdTol)
		checkGrad(t, "meansquare "+name, func(v []float64) []float64 { return MeanSquare(n, v) }, x, wt, MeanSquareBackward(n, x, wt), fdTol)
	}
}

func TestUpsampleBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for _, s := range [][6]int{{1, 1, 1, 1, 2, 2}, {2, 3, 4, 3, 2, 2}, {1, 5, 2, 2, 3, 1}, {2, 2, 3, 1, 1, 4}} {
		n, h, w, c, sh, sw := s[0], s[1], s[2], s[3], s[4], s[5]
		x, dy := randn(rng, n*h*w*c), randn(rng, n*h*sh*w*sw*c)
		f := func(v []float64) []float64 { return Upsample(n, h, w, c, sh, sw, v) }
		checkGrad(t, fmt.Sprintf("upsample %v", s), f, x, dy, UpsampleBackward(n, h, w, c, sh, sw, dy), fdTol)
	}
	// Nearest: output (y, x) is input (y/sh, x/sw).
	if got := Upsample(1, 1, 2, 1, 2, 2, []float64{1, 2}); relErr(got, []float64{1, 1, 2, 2, 1, 1, 2, 2}) != 0 {
		t.Errorf("upsample [1 2] by 2: %v", got)
	}
}
