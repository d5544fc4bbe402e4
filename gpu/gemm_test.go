package gpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// gemmCase is one random GEMM problem: the shape as the kernel sees it
// (with strides and offsets into padded buffers) and the dense packed
// operands the reference sees.
type gemmCase struct {
	s       gpu.GEMMShape
	a, b, c []float64 // dense per problem, as ref packs them; c is the C before
	bias    []float64 // nil for none
	// Buffer contents: the dense operands embedded at the shape's
	// offsets and strides, everything else NaN.
	abuf, bbuf, cbuf []float32
}

// gemmDims draws a dimension: often an awkward size around the tiles.
func gemmDims(rng *rand.Rand, vec bool) int {
	sizes := []int{1, 2, 3, 4, 5, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129}
	if vec {
		sizes = []int{4, 8, 12, 16, 20, 28, 60, 64, 68, 124, 132}
	}
	if rng.IntN(4) == 0 {
		if vec {
			return 4 * (1 + rng.IntN(40))
		}
		return 1 + rng.IntN(160)
	}
	return sizes[rng.IntN(len(sizes))]
}

// newGEMMCase draws a problem. vec asks for one where every row, stride
// and offset is a multiple of 4 (the kernels' vec4 specialisation).
func newGEMMCase(rng *rand.Rand, vec bool) *gemmCase {
	s := gpu.GEMMShape{
		Batch: 1 + rng.IntN(3), M: gemmDims(rng, vec), N: gemmDims(rng, vec), K: gemmDims(rng, vec),
		TransA: rng.IntN(2) == 0, TransB: rng.IntN(2) == 0,
		Alpha: float64(float32(rng.NormFloat64())),
	}
	if rng.IntN(3) > 0 {
		s.Beta = float64(float32(rng.NormFloat64()))
	}
	// Keep every problem small: the reference and naive kernel are slow.
	for s.Batch*s.M*s.N*s.K > 1<<21 {
		s.K = max(s.K/2/4*4, 4)
		s.M = max(s.M/2/4*4, 4)
	}
	pad := func() int {
		if vec {
			return 4 * rng.IntN(3)
		}
		return rng.IntN(6)
	}
	if s.Batch > 1 && rng.IntN(2) == 0 {
		s.StrideA, s.StrideB, s.StrideC = s.M*s.K+pad(), s.K*s.N+pad(), s.M*s.N+pad()
		s.OffsetA, s.OffsetB, s.OffsetC = pad(), pad(), pad()
		s.SharedA, s.SharedB = rng.IntN(4) == 0, rng.IntN(4) == 0
	}
	g := &gemmCase{s: s}
	na, nb := s.M*s.K, s.K*s.N
	if !s.SharedA {
		na *= s.Batch
	}
	if !s.SharedB {
		nb *= s.Batch
	}
	_, g.a = randVec(rng, na)
	_, g.b = randVec(rng, nb)
	if rng.IntN(2) == 0 {
		_, g.bias = randVec(rng, s.N)
	}
	g.abuf = gemmEmbed(rng, g.a, s.OffsetA, s.StrideA, s.M*s.K, s.Batch, s.SharedA)
	g.bbuf = gemmEmbed(rng, g.b, s.OffsetB, s.StrideB, s.K*s.N, s.Batch, s.SharedB)
	_, g.c = randVec(rng, s.Batch*s.M*s.N)
	if s.Beta == 0 {
		for i := range g.c {
			g.c[i] = math.NaN() // beta = 0 must ignore C, NaN included
		}
	}
	g.cbuf = gemmEmbed(rng, g.c, s.OffsetC, s.StrideC, s.M*s.N, s.Batch, false)
	return g
}

// ref returns the reference shape of g.
func (g *gemmCase) ref() ref.GEMMShape {
	s := g.s
	return ref.GEMMShape{Batch: s.Batch, M: s.M, N: s.N, K: s.K, TransA: s.TransA, TransB: s.TransB,
		Alpha: s.Alpha, Beta: s.Beta, SharedA: s.SharedA, SharedB: s.SharedB}
}

// gemmEmbed places a batch of dense matrices of size sz (one when shared)
// at off + z*stride (stride 0: dense) in a buffer of NaNs.
func gemmEmbed(rng *rand.Rand, dense []float64, off, stride, sz, batch int, shared bool) []float32 {
	if stride == 0 {
		stride = sz
	}
	if shared {
		batch = 1
	}
	// NaN everywhere else: a kernel that reads outside its matrices, even
	// to multiply by zero, shows it.
	buf := make([]float32, off+(batch-1)*stride+sz+rng.IntN(3))
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	for z := range batch {
		for i := range sz {
			buf[off+z*stride+i] = float32(dense[z*sz+i])
		}
	}
	return buf
}

// gemmExtract is gemmEmbed's inverse for C: the dense batch of outputs, and
// whether every float outside them still equals before.
func gemmExtract(buf, before []float32, off, stride, sz, batch int) ([]float32, bool) {
	if stride == 0 {
		stride = sz
	}
	out := make([]float32, 0, batch*sz)
	inside := make([]bool, len(buf))
	for z := range batch {
		for i := range sz {
			out = append(out, buf[off+z*stride+i])
			inside[off+z*stride+i] = true
		}
	}
	for i := range buf {
		if !inside[i] && math.Float32bits(buf[i]) != math.Float32bits(before[i]) {
			return out, false
		}
	}
	return out, true
}

// releaseGEMM releases the dispatches of a GEMM op when the test ends.
func releaseGEMM(t testing.TB, op gpu.Op) {
	t.Cleanup(func() {
		ops, ok := op.(gpu.Seq)
		if !ok {
			ops = gpu.Seq{op}
		}
		for _, o := range ops {
			if x, ok := o.(*gpu.Dispatch); ok {
				x.Release()
			}
		}
	})
}

// gemmWorst tracks the worst relative error seen per kernel, for the log.
var gemmWorst = map[string]float64{}

func gemmAssert(t *testing.T, name string, got []float32, want []float64) {
	t.Helper()
	if e := relErr(got, want); e > gemmWorst[name] || math.IsInf(e, 1) {
		gemmWorst[name] = e
	}
	assertClose(t, name, got, want)
}

// gemmCases returns n seeded random cases, a third of them vec4-aligned.
func gemmCases(seed uint64, n int) []*gemmCase {
	rng := newRand(seed)
	cs := make([]*gemmCase, n)
	for i := range cs {
		cs[i] = newGEMMCase(rng, i%3 == 0)
	}
	return cs
}

func TestGEMM(t *testing.T) {
	d := device(t)
	for vi, v := range gpu.GEMMVariants {
		for i, g := range gemmCases(uint64(100+vi), 24) {
			s := g.s
			s.Variant = v
			t.Run(fmt.Sprintf("%s/%d/%dx%dx%d", v, i, s.M, s.N, s.K), func(t *testing.T) {
				ba, bb, bc := upload(t, d, g.abuf), upload(t, d, g.bbuf), upload(t, d, g.cbuf)
				var bbias *gpu.Buffer
				if g.bias != nil {
					bbias = upload(t, d, gemmF32s(g.bias))
				}
				op, err := d.GEMM(s, bc, ba, bb, bbias)
				if err == nil {
					releaseGEMM(t, op)
				}
				run(t, d, op, err)
				got, kept := gemmExtract(read(t, d, bc), g.cbuf, s.OffsetC, s.StrideC, s.M*s.N, s.Batch)
				if !kept {
					t.Errorf("%+v: wrote outside C", s)
				}
				gemmAssert(t, "gemm/"+v, got, ref.GEMM(g.ref(), g.a, g.b, g.c, g.bias))
			})
		}
	}
	t.Logf("worst relative errors: %v", gemmWorst)
}

func TestGEMMBackward(t *testing.T) {
	d := device(t)
	for i, g := range gemmCases(200, 24) {
		s := g.s
		s.Variant = gpu.GEMMVariants[i%len(gpu.GEMMVariants)]
		t.Run(fmt.Sprintf("%s/%d/%dx%dx%d", s.Variant, i, s.M, s.N, s.K), func(t *testing.T) {
			rng := newRand(uint64(i))
			dc32, dc := randVec(rng, s.Batch*s.M*s.N)
			dcbuf := gemmEmbed(rng, dc, s.OffsetC, s.StrideC, s.M*s.N, s.Batch, false)
			ba, bb, bdc := upload(t, d, g.abuf), upload(t, d, g.bbuf), upload(t, d, dcbuf)
			// Gradients start as NaN: the backward must overwrite them.
			nan := func(n int) *gpu.Buffer {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(math.NaN())
				}
				return upload(t, d, x)
			}
			da, db, dbias := nan(len(g.abuf)), nan(len(g.bbuf)), nan(s.N)
			op, err := d.GEMMBackward(s, da, db, dbias, bdc, ba, bb)
			if err == nil {
				releaseGEMM(t, op)
			}
			run(t, d, op, err)
			_ = dc32
			wa, wb, wbias := ref.GEMMBackward(g.ref(), g.a, g.b, dc)
			bsz := 1
			if !s.SharedA {
				bsz = s.Batch
			}
			gotA, _ := gemmExtract(read(t, d, da), g.abuf, s.OffsetA, s.StrideA, s.M*s.K, bsz)
			bsz = 1
			if !s.SharedB {
				bsz = s.Batch
			}
			gotB, _ := gemmExtract(read(t, d, db), g.bbuf, s.OffsetB, s.StrideB, s.K*s.N, bsz)
			gemmAssert(t, "gemm_backward/dA", gotA, wa)
			gemmAssert(t, "gemm_backward/dB", gotB, wb)
			gemmAssert(t, "gemm_backward/dbias", read(t, d, dbias), wbias)
		})
	}
	t.Logf("worst relative errors: %v", gemmWorst)
}

// TestGEMMErrors checks that bad shapes are refused with an error.
func TestGEMMErrors(t *testing.T) {
	d := device(t)
	a, b, c := zeros(t, d, 12), zeros(t, d, 12), zeros(t, d, 9)
	for _, tc := range []struct {
		name    string
		s       gpu.GEMMShape
		c, a, b *gpu.Buffer
	}{
		{"zero M", gpu.GEMMShape{M: 0, N: 3, K: 4, Alpha: 1}, c, a, b},
		{"A too small", gpu.GEMMShape{M: 4, N: 3, K: 4, Alpha: 1}, c, a, b},
		{"C too small", gpu.GEMMShape{M: 3, N: 4, K: 3, Alpha: 1}, c, a, b},
		{"batch too big", gpu.GEMMShape{Batch: 2, M: 3, N: 3, K: 4, Alpha: 1}, c, a, b},
		{"C aliases A", gpu.GEMMShape{M: 3, N: 3, K: 4, Alpha: 1}, a, a, b},
		{"overlapping C", gpu.GEMMShape{Batch: 2, M: 1, N: 3, K: 4, StrideC: 2, Alpha: 1}, c, a, b},
		{"unknown variant", gpu.GEMMShape{M: 3, N: 3, K: 4, Alpha: 1, Variant: "fast"}, c, a, b},
	} {
		if _, err := d.GEMM(tc.s, tc.c, tc.a, tc.b, nil); err == nil {
			t.Errorf("%s: no error", tc.name)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
}

// TestGEMMTuned runs the variant the tuner picks.
func TestGEMMTuned(t *testing.T) {
	d := device(t)
	g := gemmCases(300, 1)[0]
	ba, bb, bc := upload(t, d, g.abuf), upload(t, d, g.bbuf), upload(t, d, g.cbuf)
	var bbias *gpu.Buffer
	if g.bias != nil {
		bbias = upload(t, d, gemmF32s(g.bias))
	}
	op, err := d.GEMM(g.s, bc, ba, bb, bbias)
	if err == nil {
		releaseGEMM(t, op)
	}
	run(t, d, op, err)
	got, _ := gemmExtract(read(t, d, bc), g.cbuf, g.s.OffsetC, g.s.StrideC, g.s.M*g.s.N, g.s.Batch)
	assertClose(t, "gemm/tuned", got, ref.GEMM(g.ref(), g.a, g.b, g.c, g.bias))
	t.Log(d.TuningReport())
}

func gemmF32s(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// TestGEMMTiny covers problems whose operands hold fewer than 4 floats
// (which every variant runs as naive) and 1-wide edges.
func TestGEMMTiny(t *testing.T) {
	d := device(t)
	rng := newRand(400)
	for _, v := range gpu.GEMMVariants {
		for _, mnk := range [][3]int{{1, 1, 1}, {3, 3, 1}, {1, 2, 3}, {2, 1, 2}, {1, 1, 5}} {
			s := gpu.GEMMShape{M: mnk[0], N: mnk[1], K: mnk[2], Alpha: 1.5, Beta: 0.5, Variant: v, TransA: mnk[2] > 2}
			a32, a := randVec(rng, s.M*s.K)
			b32, b := randVec(rng, s.K*s.N)
			c32, c := randVec(rng, s.M*s.N)
			ba, bb, bc := upload(t, d, a32), upload(t, d, b32), upload(t, d, c32)
			op, err := d.GEMM(s, bc, ba, bb, nil)
			if err == nil {
				releaseGEMM(t, op)
			}
			run(t, d, op, err)
			want := ref.GEMM(ref.GEMMShape{Batch: 1, M: s.M, N: s.N, K: s.K, Alpha: s.Alpha, Beta: s.Beta, TransA: s.TransA}, a, b, c, nil)
			assertClose(t, fmt.Sprintf("gemm/%s/%v", v, mnk), read(t, d, bc), want)
		}
	}
}
