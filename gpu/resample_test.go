package gpu_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// resampleRandAffine rotates by up to ±45°, magnifies by 0.5–2 and maps the
// output's centre to near the input's centre (a few pixels off).
func resampleRandAffine(rng *rand.Rand, s gpu.ResampleShape) gpu.Affine {
	deg := (rng.Float64()*2 - 1) * 45
	sc := math.Exp((rng.Float64()*2 - 1) * math.Ln2)
	icx, icy := float64(s.W-1)/2, float64(s.H-1)/2
	ocx, ocy := float64(s.OW-1)/2, float64(s.OH-1)/2
	return gpu.Compose(
		gpu.Translate(icx-ocx+2*rng.NormFloat64(), icy-ocy+2*rng.NormFloat64()),
		gpu.Rotate(deg, ocx, ocy),
		gpu.Scale(sc, ocx, ocy),
	)
}

type resampleCase struct {
	name string
	s    gpu.ResampleShape
	mats []gpu.Affine // one per image; nil: random
}

func resampleCases(rng *rand.Rand) []resampleCase {
	lucid := func(h, w int, d gpu.LucidDraw) (gpu.Affine, int, int) {
		m, oh, ow, err := gpu.LucidTransform(h, w, d)
		if err != nil {
			panic(err)
		}
		return m, oh, ow
	}
	l1, oh1, ow1 := lucid(30, 30, gpu.LucidDraw{X1: 3, Y1: 8, Scale: 1.1, Degrees: -7, X2: 4, Y2: 0})
	l2, _, _ := lucid(30, 30, gpu.LucidDraw{X1: 0, Y1: 5, Scale: 1.1, Degrees: 10, X2: 1, Y2: 2})
	cases := []resampleCase{
		{"identity", gpu.ResampleShape{N: 1, H: 5, W: 7, C: 3, OH: 5, OW: 7, Fill: 0.5}, []gpu.Affine{gpu.Identity()}},
		{"shift", gpu.ResampleShape{N: 2, H: 6, W: 5, C: 1, OH: 8, OW: 4, Fill: 0.5},
			[]gpu.Affine{gpu.Translate(-2, 1), gpu.Translate(0.5, -0.25)}},
		{"rot90", gpu.ResampleShape{N: 2, H: 9, W: 6, C: 5, OH: 6, OW: 9, Fill: -1},
			[]gpu.Affine{{0, -1, 5, 1, 0, 0}, {0, 1, 0, -1, 0, 8}}},
		{"flip", gpu.ResampleShape{N: 1, H: 7, W: 7, C: 3, OH: 7, OW: 7, Fill: 0},
			[]gpu.Affine{{-1, 0, 6, 0, 1, 0.3}}},
		{"outside", gpu.ResampleShape{N: 1, H: 4, W: 4, C: 3, OH: 3, OW: 5, Fill: 0.5},
			[]gpu.Affine{gpu.Translate(100, -50)}},
		{"1x1", gpu.ResampleShape{N: 1, H: 1, W: 1, C: 1, OH: 1, OW: 1, Fill: 0.5}, []gpu.Affine{gpu.Translate(0.3, -0.6)}},
		{"lucid", gpu.ResampleShape{N: 2, H: 30, W: 30, C: 3, OH: oh1, OW: ow1, Fill: gpu.LucidFill}, []gpu.Affine{l1, l2}},
	}
	for len(cases) < 28 {
		s := gpu.ResampleShape{
			N: 1 + rng.IntN(3), H: 1 + rng.IntN(33), W: 1 + rng.IntN(33),
			C: []int{1, 3, 5}[rng.IntN(3)], Fill: rng.NormFloat64(),
		}
		// output from half to twice the input size, per dimension
		s.OH = max(1, int(float64(s.H)*(0.5+1.5*rng.Float64())))
		s.OW = max(1, int(float64(s.W)*(0.5+1.5*rng.Float64())))
		cases = append(cases, resampleCase{fmt.Sprintf("%d×%d×%d×%d→%d×%d", s.N, s.H, s.W, s.C, s.OH, s.OW), s, nil})
	}
	return cases
}

func TestResample(t *testing.T) {
	d := device(t)
	rng := newRand(11)
	worstF, worstB := 0.0, 0.0
	for _, tc := range resampleCases(rng) {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			mats := tc.mats
			for len(mats) < s.N {
				mats = append(mats, resampleRandAffine(rng, s))
			}
			m32 := make([]float32, 6*s.N)
			for n, m := range mats {
				m.Put(m32[6*n:])
			}
			m64 := make([]float64, len(m32))
			for i, v := range m32 {
				m64[i] = float64(v)
			}
			x32, x := randVec(rng, s.N*s.H*s.W*s.C)
			dy32, dy := randVec(rng, s.N*s.OH*s.OW*s.C)
			bx, bm, by := upload(t, d, x32), upload(t, d, m32), zeros(t, d, len(dy32))
			bdy, bdx := upload(t, d, dy32), zeros(t, d, len(x32))
			fw, err := d.Resample(s, bx, bm, by)
			run(t, d, fw, err)
			bw, err := d.ResampleBackward(s, bdy, bm, bdx)
			run(t, d, bw, err)
			wantY := ref.Resample(x, s.N, s.H, s.W, s.C, s.OH, s.OW, m64, float64(float32(s.Fill)))
			wantDX := ref.ResampleAdjoint(dy, s.N, s.H, s.W, s.C, s.OH, s.OW, m64)
			gotY, gotDX := read(t, d, by), read(t, d, bdx)
			assertClose(t, "forward", gotY, wantY)
			if tc.name == "outside" {
				for _, v := range gotDX {
					if v != 0 {
						t.Fatalf("adjoint of an all-fill resampling: got %v, want zeros", v)
					}
				}
				return
			}
			assertClose(t, "adjoint", gotDX, wantDX)
			worstF = math.Max(worstF, relErr(gotY, wantY))
			worstB = math.Max(worstB, relErr(gotDX, wantDX))
		})
	}
	t.Logf("worst rel err: forward %.3g, adjoint %.3g", worstF, worstB)
}

func TestResampleErrors(t *testing.T) {
	d := device(t)
	s := gpu.ResampleShape{N: 2, H: 4, W: 4, C: 3, OH: 5, OW: 5, Fill: 0.5}
	x, m, y := zeros(t, d, 2*4*4*3), zeros(t, d, 12), zeros(t, d, 2*5*5*3)
	ok, err := d.Resample(s, x, m, y)
	if err != nil {
		t.Fatal(err)
	}
	ok.Release() // left to the GC, wgpu's finalizer crashes the test binary
	bad := []struct {
		s       gpu.ResampleShape
		x, m, y *gpu.Buffer
	}{
		{gpu.ResampleShape{N: 0, H: 4, W: 4, C: 3, OH: 5, OW: 5}, x, m, y},
		{s, y, m, y},
		{s, x, zeros(t, d, 6), y},
		{s, x, m, x},
	}
	for i, b := range bad {
		if _, err := d.Resample(b.s, b.x, b.m, b.y); err == nil {
			t.Errorf("case %d: resample accepted bad arguments", i)
		}
	}
	if _, err := d.ResampleBackward(s, x, m, y); err == nil {
		t.Errorf("resample backward accepted swapped buffers")
	}
}

// TestAffine checks the matrix helpers without a device.
func TestAffine(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	// Rotate and Scale fix their centre; Rotate by 90° maps x to y.
	for _, m := range []gpu.Affine{gpu.Rotate(33, 4, 7), gpu.Scale(1.7, 4, 7)} {
		if x, y := m.Apply(4, 7); !near(x, 4) || !near(y, 7) {
			t.Errorf("%v moves its centre to (%v, %v)", m, x, y)
		}
	}
	if x, y := gpu.Rotate(90, 0, 0).Apply(1, 0); !near(x, 0) || !near(y, 1) {
		t.Errorf("rotate 90 maps (1,0) to (%v, %v)", x, y)
	}
	if x, y := gpu.Scale(2, 1, 1).Apply(3, 1); !near(x, 2) || !near(y, 1) {
		t.Errorf("scale 2 about (1,1) maps (3,1) to (%v, %v), want (2, 1)", x, y)
	}
	// Compose(a, b) applies b to the output point first.
	a, b := gpu.Rotate(20, 3, 1), gpu.Compose(gpu.Scale(0.8, 2, 2), gpu.Translate(1, -2))
	c := gpu.Compose(a, b)
	for _, p := range [][2]float64{{0, 0}, {5, -3}, {2.5, 7}} {
		bx, by := b.Apply(p[0], p[1])
		wx, wy := a.Apply(bx, by)
		if x, y := c.Apply(p[0], p[1]); !near(x, wx) || !near(y, wy) {
			t.Errorf("compose at %v: (%v, %v), want (%v, %v)", p, x, y, wx, wy)
		}
	}
	if gpu.Compose() != gpu.Identity() {
		t.Errorf("Compose() is not the identity")
	}
}

// TestLucidTransform follows one output pixel through Lucid's stages one by
// one and checks the composed matrix lands on the same input point.
func TestLucidTransform(t *testing.T) {
	for _, tc := range []struct {
		h, w   int
		d      gpu.LucidDraw
		oh, ow int
	}{
		{224, 224, gpu.LucidDraw{X1: 2, Y1: 7, Scale: 0.9, Degrees: -10, X2: 3, Y2: 1}, 212, 212},
		{224, 224, gpu.LucidDraw{Scale: 1.1, Degrees: 4}, 260, 260},
		{128, 100, gpu.LucidDraw{X1: 8, Y1: 8, Scale: 1.02, Degrees: 0, X2: 4, Y2: 4}, 142, 114},
	} {
		m, oh, ow, err := gpu.LucidTransform(tc.h, tc.w, tc.d)
		if err != nil {
			t.Fatal(err)
		}
		if oh != tc.oh || ow != tc.ow {
			t.Errorf("%+v: size %d×%d, want %d×%d", tc.d, oh, ow, tc.oh, tc.ow)
		}
		if lh, lw := gpu.LucidSize(tc.h, tc.w, tc.d.Scale); lh != oh || lw != ow {
			t.Errorf("LucidSize %d×%d, LucidTransform %d×%d", lh, lw, oh, ow)
		}
		h2, w2 := float64(tc.h+16), float64(tc.w+16)
		h3, w3 := float64(oh+4), float64(ow+4)
		th := tc.d.Degrees * 3.14 / 180
		for _, o := range [][2]float64{{0, 0}, {float64(ow - 1), 3}, {17, float64(oh - 1)}} {
			x4, y4 := o[0]+float64(tc.d.X2), o[1]+float64(tc.d.Y2) // jitter 4
			cx, cy := (w3-1)/2, (h3-1)/2                           // rotate about the centre
			x3 := math.Cos(th)*(x4-cx) - math.Sin(th)*(y4-cy) + cx
			y3 := math.Sin(th)*(x4-cx) + math.Cos(th)*(y4-cy) + cy
			x2, y2 := x3*w2/w3, y3*h2/h3                           // resize_bilinear, legacy mapping
			x, y := x2+float64(tc.d.X1)-12, y2+float64(tc.d.Y1)-12 // jitter 8, then unpad
			if gx, gy := m.Apply(o[0], o[1]); !(math.Abs(gx-x) < 1e-9 && math.Abs(gy-y) < 1e-9) {
				t.Errorf("%+v at %v: matrix gives (%v, %v), stages give (%v, %v)", tc.d, o, gx, gy, x, y)
			}
		}
	}
	// With scale 1 and no rotation the chain is a pure crop of the padded image.
	m, _, _, _ := gpu.LucidTransform(10, 10, gpu.LucidDraw{X1: 5, Y1: 1, Scale: 1, X2: 2, Y2: 3})
	if m != gpu.Translate(5+2-12, 1+3-12) {
		t.Errorf("unscaled, unrotated chain: %v", m)
	}
	for _, d := range []gpu.LucidDraw{{Scale: 0}, {Scale: 1, X1: 9}, {Scale: 1, Y2: -1}, {Scale: math.NaN()}} {
		if _, _, _, err := gpu.LucidTransform(10, 10, d); err == nil {
			t.Errorf("%+v accepted", d)
		}
	}
}

// BenchmarkResample times the per-step work of Lucid's transforms on a batch
// of 8 224×224 RGB images: the forward resampling and its adjoint.
func BenchmarkResample(b *testing.B) {
	d := device(b)
	const n, h, w = 8, 224, 224
	_, oh, ow, _ := gpu.LucidTransform(h, w, gpu.LucidDraw{Scale: 1})
	s := gpu.ResampleShape{N: n, H: h, W: w, C: 3, OH: oh, OW: ow, Fill: gpu.LucidFill}
	m32 := make([]float32, 6*n)
	for i := range n {
		m, _, _, err := gpu.LucidTransform(h, w, gpu.LucidDraw{X1: i, Y1: 8 - i, Scale: 0.9 + 0.025*float64(i), Degrees: float64(2*i - 7), X2: i % 5, Y2: 4 - i%5})
		if err != nil {
			b.Fatal(err)
		}
		m.Put(m32[6*i:])
	}
	rng := newRand(5)
	x32, _ := randVec(rng, n*h*w*3)
	bx, bm, by, bdx := upload(b, d, x32), upload(b, d, m32), zeros(b, d, n*oh*ow*3), zeros(b, d, n*h*w*3)
	for _, dir := range []string{"forward", "adjoint"} {
		b.Run(dir, func(b *testing.B) {
			var op *gpu.Dispatch
			var err error
			if dir == "forward" {
				op, err = d.Resample(s, bx, bm, by)
			} else {
				op, err = d.ResampleBackward(s, by, bm, bdx)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer op.Release()
			for b.Loop() {
				if err := d.Run(op); err != nil {
					b.Fatal(err)
				}
				if err := d.Sync(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
