package gpu_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// convGeoms returns n test geometries: fixed ones covering the cases that
// matter (stride 2 on even and odd inputs, "same" and "valid", batch > 1,
// kernels 1, 3, 5 and non-square), then random ones from rng. Spatial sizes
// stay ≤ 20 so that the suite is fast on CPU adapters.
func convGeoms(rng *rand.Rand, n int) []ref.ConvGeom {
	gs := []ref.ConvGeom{
		{N: 1, H: 8, W: 8, C: 4, KH: 3, KW: 3, SY: 1, SX: 1, Same: true},
		{N: 2, H: 8, W: 8, C: 3, KH: 3, KW: 3, SY: 2, SX: 2, Same: true},   // even input, stride 2
		{N: 1, H: 9, W: 7, C: 8, KH: 3, KW: 3, SY: 2, SX: 2, Same: true},   // odd input, stride 2
		{N: 1, H: 9, W: 10, C: 5, KH: 3, KW: 3, SY: 2, SX: 2, Same: false}, // valid, stride 2
		{N: 3, H: 5, W: 6, C: 12, KH: 1, KW: 1, SY: 1, SX: 1, Same: true},  // pointwise
		{N: 1, H: 7, W: 7, C: 6, KH: 1, KW: 1, SY: 2, SX: 2, Same: false},
		{N: 1, H: 11, W: 9, C: 2, KH: 5, KW: 5, SY: 1, SX: 1, Same: true},
		{N: 2, H: 10, W: 12, C: 3, KH: 5, KW: 5, SY: 2, SX: 2, Same: true},
		{N: 1, H: 9, W: 8, C: 4, KH: 1, KW: 3, SY: 1, SX: 2, Same: true}, // non-square
		{N: 1, H: 6, W: 13, C: 7, KH: 3, KW: 2, SY: 2, SX: 1, Same: false},
		{N: 1, H: 1, W: 1, C: 1, KH: 1, KW: 1, SY: 1, SX: 1, Same: true}, // degenerate
		{N: 1, H: 2, W: 3, C: 3, KH: 5, KW: 5, SY: 2, SX: 2, Same: true}, // kernel larger than input
	}
	for len(gs) < n {
		k := []int{1, 3, 5}
		g := ref.ConvGeom{
			N: 1 + rng.IntN(2), H: 1 + rng.IntN(20), W: 1 + rng.IntN(20), C: 1 + rng.IntN(24),
			KH: k[rng.IntN(3)], KW: k[rng.IntN(3)], SY: 1 + rng.IntN(2), SX: 1 + rng.IntN(2), Same: rng.IntN(3) > 0,
		}
		if rng.IntN(4) == 0 {
			g.KW = 1 + rng.IntN(4) // 2 and 4 wide too
		}
		if !g.Same && (g.KH > g.H || g.KW > g.W) {
			continue
		}
		gs = append(gs, g)
	}
	return gs
}

// convOps are a convolution family's launchers for one shape; v forces a
// variant ("": the device's pick).
type convOps struct {
	fwd func(v string, y, x, w, b *gpu.Buffer) (*gpu.Dispatch, error)
	dx  func(v string, dx, dy, w *gpu.Buffer) (*gpu.Dispatch, error)
	dw  func(v string, dw, x, dy *gpu.Buffer) (*gpu.Chain, error)
	db  func(db, dy *gpu.Buffer) (*gpu.Dispatch, error)
	// Float counts of input, filter, output and bias.
	xLen, wLen, yLen, bLen int
}

func conv2DOps(d *gpu.Device, s gpu.ConvShape) convOps {
	with := func(v string) gpu.ConvShape { s.Variant = v; return s }
	return convOps{
		fwd: func(v string, y, x, w, b *gpu.Buffer) (*gpu.Dispatch, error) { return d.Conv2D(with(v), y, x, w, b) },
		dx: func(v string, dx, dy, w *gpu.Buffer) (*gpu.Dispatch, error) {
			return d.Conv2DInputGrad(with(v), dx, dy, w)
		},
		dw: func(v string, dw, x, dy *gpu.Buffer) (*gpu.Chain, error) {
			return d.Conv2DFilterGrad(with(v), dw, x, dy)
		},
		db:   func(db, dy *gpu.Buffer) (*gpu.Dispatch, error) { return d.Conv2DBiasGrad(s, db, dy) },
		xLen: s.XLen(), wLen: s.WLen(), yLen: s.YLen(), bLen: s.F,
	}
}

func depthwiseOps(d *gpu.Device, s gpu.DepthwiseShape) convOps {
	with := func(v string) gpu.DepthwiseShape { s.Variant = v; return s }
	return convOps{
		fwd: func(v string, y, x, w, b *gpu.Buffer) (*gpu.Dispatch, error) { return d.Depthwise(with(v), y, x, w, b) },
		dx: func(v string, dx, dy, w *gpu.Buffer) (*gpu.Dispatch, error) {
			return d.DepthwiseInputGrad(with(v), dx, dy, w)
		},
		dw: func(v string, dw, x, dy *gpu.Buffer) (*gpu.Chain, error) {
			return d.DepthwiseFilterGrad(with(v), dw, x, dy)
		},
		db:   func(db, dy *gpu.Buffer) (*gpu.Dispatch, error) { return d.DepthwiseBiasGrad(s, db, dy) },
		xLen: s.XLen(), wLen: s.WLen(), yLen: s.YLen(), bLen: s.C * max(s.Mult, 1),
	}
}

// convProblem is one shape of a convolution family: its launchers and
// its reference.
type convProblem struct {
	name string
	convOps
	refFwd func(x, w, b []float64) []float64
	refDx  func(dy, w []float64) []float64
	refDw  func(x, dy []float64) []float64
}

func conv2DProblem(d *gpu.Device, g ref.ConvGeom, f int) convProblem {
	s := gpu.ConvShape{N: g.N, H: g.H, W: g.W, C: g.C, KH: g.KH, KW: g.KW, F: f, SY: g.SY, SX: g.SX, Same: g.Same}
	return convProblem{
		name:    fmt.Sprintf("n%d_%dx%dx%d_k%dx%d_s%dx%d_f%d_same%v", g.N, g.H, g.W, g.C, g.KH, g.KW, g.SY, g.SX, f, g.Same),
		convOps: conv2DOps(d, s),
		refFwd:  func(x, w, b []float64) []float64 { return ref.Conv2D(g, f, x, w, b) },
		refDx:   func(dy, w []float64) []float64 { return ref.Conv2DInputGrad(g, f, dy, w) },
		refDw:   func(x, dy []float64) []float64 { return ref.Conv2DFilterGrad(g, f, x, dy) },
	}
}

func depthwiseProblem(d *gpu.Device, g ref.ConvGeom, mult int) convProblem {
	s := gpu.DepthwiseShape{N: g.N, H: g.H, W: g.W, C: g.C, KH: g.KH, KW: g.KW, Mult: mult, SY: g.SY, SX: g.SX, Same: g.Same}
	return convProblem{
		name:    fmt.Sprintf("n%d_%dx%dx%d_k%dx%d_s%dx%d_m%d_same%v", g.N, g.H, g.W, g.C, g.KH, g.KW, g.SY, g.SX, mult, g.Same),
		convOps: depthwiseOps(d, s),
		refFwd:  func(x, w, b []float64) []float64 { return ref.Depthwise(g, mult, x, w, b) },
		refDx:   func(dy, w []float64) []float64 { return ref.DepthwiseInputGrad(g, mult, dy, w) },
		refDw:   func(x, dy []float64) []float64 { return ref.DepthwiseFilterGrad(g, mult, x, dy) },
	}
}

// convWorst keeps the worst relative error seen per kernel, for the log.
type convWorst map[string]float64

func (cw convWorst) note(kernel string, e float64) {
	cw[kernel] = max(cw[kernel], e)
}

func (cw convWorst) String() string {
	keys := make([]string, 0, len(cw))
	for k := range cw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %-28s %.2e", k, cw[k])
	}
	return b.String()
}

// convCheck runs every kernel of pr in every variant against the reference.
func convCheck(t *testing.T, d *gpu.Device, rng *rand.Rand, variants []string, pr convProblem, worst convWorst) {
	t.Helper()
	x32, x := randVec(rng, pr.xLen)
	w32, w := randVec(rng, pr.wLen)
	b32, b := randVec(rng, pr.bLen)
	dy32, dy := randVec(rng, pr.yLen)
	bx, bw, bb, bdy := upload(t, d, x32), upload(t, d, w32), upload(t, d, b32), upload(t, d, dy32)
	check := func(kernel string, got *gpu.Buffer, want []float64) {
		t.Helper()
		g := read(t, d, got)
		assertClose(t, kernel, g, want)
		if len(g) == len(want) {
			worst.note(kernel, relErr(g, want))
		}
	}
	wantY, wantYb := pr.refFwd(x, w, nil), pr.refFwd(x, w, b)
	wantDx, wantDw := pr.refDx(dy, w), pr.refDw(x, dy)
	for _, v := range variants {
		y := zeros(t, d, pr.yLen)
		op, err := pr.fwd(v, y, bx, bw, nil)
		run(t, d, op, err)
		check("forward/"+v, y, wantY)
		op, err = pr.fwd(v, y, bx, bw, bb)
		run(t, d, op, err)
		check("forward+bias/"+v, y, wantYb)

		dx := zeros(t, d, pr.xLen)
		op, err = pr.dx(v, dx, bdy, bw)
		run(t, d, op, err)
		check("input-grad/"+v, dx, wantDx)

		dw := zeros(t, d, pr.wLen)
		ch, err := pr.dw(v, dw, bx, bdy)
		run(t, d, ch, err)
		check("filter-grad/"+v, dw, wantDw)
	}
	db := zeros(t, d, pr.bLen)
	op, err := pr.db(db, bdy)
	run(t, d, op, err)
	check("bias-grad", db, ref.BiasGrad(dy, pr.bLen))
}

func TestConv2D(t *testing.T) {
	d := device(t)
	rng := newRand(7)
	worst := convWorst{}
	for i, g := range convGeoms(rng, 24) {
		f := 1 + rng.IntN(24)
		if i%2 == 0 {
			f = 4 * (1 + rng.IntN(6)) // F a multiple of 4: the vec4 paths
		}
		pr := conv2DProblem(d, g, f)
		t.Run(pr.name, func(t *testing.T) { convCheck(t, d, rng, gpu.ConvVariants, pr, worst) })
	}
	t.Logf("conv2d worst relative error per kernel:%v", worst)
}

func TestConvShapeErrors(t *testing.T) {
	d := device(t)
	good := gpu.ConvShape{N: 1, H: 8, W: 8, C: 32, KH: 3, KW: 3, F: 64, Same: true, Variant: gpu.ConvDirect}
	x, y := zeros(t, d, good.XLen()), zeros(t, d, good.YLen())
	w := zeros(t, d, 3456)
	for _, c := range []struct {
		s    gpu.ConvShape
		y, w *gpu.Buffer
		want string
	}{
		{good, y, w, "gpu: conv2d: filter has 3456 values, want 3*3*32*64 = 18432"},
		{gpu.ConvShape{N: 1, H: 2, W: 2, C: 1, KH: 3, KW: 3, F: 1}, y, w, `"valid" 3x3 kernel does not fit the 2x2 input`},
		{gpu.ConvShape{N: 1, H: 0, W: 2, C: 1, KH: 1, KW: 1, F: 1}, y, w, "must have positive dimensions"},
		{gpu.ConvShape{N: 1, H: 2, W: 2, C: 1, KH: 1, KW: 1, F: 1, SY: -1}, y, w, "strides -1x1 must be positive"},
		{gpu.ConvShape{N: 1, H: 2, W: 2, C: 1, KH: 1, KW: 1, F: 0}, y, w, "0 output channels"},
		{gpu.ConvShape{N: 1, H: 2, W: 2, C: 1, KH: 1, KW: 1, F: 1, Variant: "nope"}, y, w, `unknown variant "nope"`},
		{good, x, x, "output has"},
	} {
		_, err := d.Conv2D(c.s, c.y, x, c.w, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got error %v, want %q", c.s, err, c.want)
		}
	}
	ok := zeros(t, d, good.WLen())
	if _, err := d.Conv2D(good, x, x, ok, nil); err == nil {
		t.Error("output aliasing the input: no error")
	}
	o, err := gpu.ConvShape{N: 1, H: 224, W: 224, C: 3, KH: 3, KW: 3, F: 24, SY: 2, SX: 2, Same: true}.Out()
	if err != nil || o != (gpu.ConvOut{H: 112, W: 112, Top: 0, Bottom: 1, Left: 0, Right: 1}) {
		t.Errorf("224 px, 3x3 stride 2 same: got %+v, %v", o, err)
	}
}

// TestConvTuner runs the tuners' trials once, so that a variant that fails on
// this adapter shows up here and not at a user's first convolution.
func TestConvTuner(t *testing.T) {
	d := device(t)
	for _, fam := range []string{"conv2d", "depthwise"} {
		ms, err := d.Tune(fam)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Err != nil {
				t.Errorf("%s %s: %v", fam, m.Variant, m.Err)
			}
		}
		t.Logf("%s on %s: %v", fam, d.Adapter, ms)
	}
}

// TestConvLargerShapes checks the variants the device picks (Variant "")
// on two MobileNet-sized layers, where tiles are full and filter gradients
// split their sums over many lanes.
func TestConvLargerShapes(t *testing.T) {
	d := device(t)
	rng := newRand(13)
	worst := convWorst{}
	g := ref.ConvGeom{N: 2, H: 30, W: 29, C: 24, KH: 3, KW: 3, SY: 2, SX: 2, Same: true}
	convCheck(t, d, rng, []string{""}, conv2DProblem(d, g, 40), worst)
	g = ref.ConvGeom{N: 1, H: 56, W: 56, C: 48, KH: 3, KW: 3, SY: 1, SX: 1, Same: true}
	convCheck(t, d, rng, []string{""}, depthwiseProblem(d, g, 1), worst)
	t.Logf("picked conv2d %q, depthwise %q; worst relative error:%v", d.Variant("conv2d"), d.Variant("depthwise"), worst)
}
