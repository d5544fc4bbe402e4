package gpu

import (
	"fmt"
	"slices"
)

func init() {
	RegisterTuner(Tuner{Family: "gemm", Variants: GEMMVariants, Trial: gemmTrial})
}

// gemmTrial is the tuner's representative problem: a pointwise convolution
// of a 16×16 image with 128 channels in and out, small enough that tuning
// every variant takes a fraction of a second on a CPU adapter.
func gemmTrial(d *Device, v string) (Op, func(), error) {
	const m, n, k = 256, 128, 128
	var bufs []*Buffer
	free := func() {
		for _, b := range bufs {
			b.Release()
		}
	}
	for _, sz := range []int{m * k, k * n, m * n} {
		b, err := d.NewBuffer("gemm.trial", sz)
		if err != nil {
			free()
			return nil, nil, err
		}
		bufs = append(bufs, b)
	}
	x, err := d.gemm(GEMMShape{M: m, N: n, K: k, Alpha: 1, Variant: v}, bufs[2], bufs[0], bufs[1], nil)
	if err != nil {
		free()
		return nil, nil, err
	}
	return x, func() { x.Release(); free() }, nil
}

// Launchers for shaders/gemm.wgsl.

// GEMM variants, in the order the tuner tries them.
const (
	// GEMMNaive computes one output per invocation.
	GEMMNaive = "naive"
	// GEMMWG16 stages 16×16 tiles of A and B in workgroup memory.
	GEMMWG16 = "wg16"
	// GEMMReg4x4 computes a 4×4 block of outputs per invocation in
	// registers, without workgroup memory or barriers.
	GEMMReg4x4 = "reg4x4"
	// GEMMWG64Reg4 stages 64×64 tiles in workgroup memory and computes a
	// 4×4 block per invocation.
	GEMMWG64Reg4 = "wg64reg4"
	// GEMMReg8x8 computes an 8×8 block of outputs per invocation (four 4×4
	// register blocks, half the loads per multiply-add of reg4x4), 8×8
	// invocations per workgroup, without workgroup memory.
	GEMMReg8x8 = "reg8x8"
)

// GEMMVariants lists every GEMM variant.
var GEMMVariants = []string{GEMMNaive, GEMMWG16, GEMMReg4x4, GEMMWG64Reg4, GEMMReg8x8}

// GEMMShape describes a batch of independent matrix products
//
//	C_z = Alpha * op(A_z) * op(B_z) + Beta * C_z (+ bias broadcast over rows)
//
// for z = 0 … Batch-1, where op(X) is X or Xᵀ, op(A) is M×K, op(B) is K×N
// and C is M×N, every matrix row-major. A stored A is M×K (K×M when
// TransA); a stored B is K×N (N×K when TransB).
//
// Alpha and Beta have BLAS semantics: the zero value of Alpha makes the
// product vanish, and Beta = 0 ignores whatever C held (even NaN).
type GEMMShape struct {
	Batch   int // number of problems; 0 means 1
	M, N, K int
	// TransA and TransB select op(A) = Aᵀ and op(B) = Bᵀ.
	TransA, TransB bool
	Alpha, Beta    float64
	// StrideA, StrideB and StrideC are the distances, in floats, between
	// consecutive problems' matrices; 0 means densely packed (M*K, K*N,
	// M*N). SharedA / SharedB make every problem use the same A or B.
	StrideA, StrideB, StrideC int
	SharedA, SharedB          bool
	// OffsetA, OffsetB and OffsetC are where problem 0 starts in each
	// buffer, in floats.
	OffsetA, OffsetB, OffsetC int
	// Variant forces one of GEMMVariants; "" uses the variant the device
	// measured fastest (Device.Pick("gemm")).
	Variant string
}

// batch returns the number of problems (Batch, with 0 meaning 1).
func (s GEMMShape) batch() int { return max(s.Batch, 1) }

// strides returns the effective batch strides of A, B and C.
func (s GEMMShape) strides() (sa, sb, sc int) {
	sa, sb, sc = s.StrideA, s.StrideB, s.StrideC
	if sa == 0 {
		sa = s.M * s.K
	}
	if sb == 0 {
		sb = s.K * s.N
	}
	if sc == 0 {
		sc = s.M * s.N
	}
	if s.SharedA {
		sa = 0
	}
	if s.SharedB {
		sb = 0
	}
	return sa, sb, sc
}

// vec reports whether every row of A and B, every offset and every batch
// stride is a multiple of 4 floats, so the kernels may read rows as vec4.
func (s GEMMShape) vec() bool {
	sa, sb, _ := s.strides()
	rowA, rowB := s.K, s.N
	if s.TransA {
		rowA = s.M
	}
	if s.TransB {
		rowB = s.K
	}
	for _, x := range []int{rowA, rowB, sa, sb, s.OffsetA, s.OffsetB} {
		if x%4 != 0 {
			return false
		}
	}
	return true
}

// extent is the number of floats a buffer must hold for a batch of n
// matrices of size elems starting at off, stride apart.
func extent(off, stride, elems, n int) int { return off + (n-1)*stride + elems }

func (s GEMMShape) check(c, a, b, bias *Buffer) error {
	if s.M < 1 || s.N < 1 || s.K < 1 || s.Batch < 0 {
		return fmt.Errorf("gpu: gemm: shape M=%d N=%d K=%d batch=%d: dimensions must be positive", s.M, s.N, s.K, s.Batch)
	}
	if s.StrideA < 0 || s.StrideB < 0 || s.StrideC < 0 || s.OffsetA < 0 || s.OffsetB < 0 || s.OffsetC < 0 {
		return fmt.Errorf("gpu: gemm: negative stride or offset in %+v", s)
	}
	if s.Variant != "" && !slices.Contains(GEMMVariants, s.Variant) {
		return fmt.Errorf("gpu: gemm: unknown variant %q (want one of %v)", s.Variant, GEMMVariants)
	}
	if a == nil || b == nil || c == nil {
		return fmt.Errorf("gpu: gemm: A, B and C must not be nil")
	}
	if c == a || c == b || c == bias {
		return fmt.Errorf("gpu: gemm: C (%q) must not be the same buffer as A, B or the bias", c.label)
	}
	n := s.batch()
	sa, sb, sc := s.strides()
	if n > 1 && sc < s.M*s.N {
		return fmt.Errorf("gpu: gemm: C stride %d is less than the %d×%d output, so problems would overlap", sc, s.M, s.N)
	}
	for _, x := range []struct {
		name         string
		buf          *Buffer
		off, str, sz int
	}{
		{"A", a, s.OffsetA, sa, s.M * s.K},
		{"B", b, s.OffsetB, sb, s.K * s.N},
		{"C", c, s.OffsetC, sc, s.M * s.N},
	} {
		if need := extent(x.off, x.str, x.sz, n); x.buf.Len < need {
			return fmt.Errorf("gpu: gemm: %s (%q) holds %d floats, the %d×%d×%d batch of %d needs %d", x.name, x.buf.label, x.buf.Len, s.M, s.N, s.K, n, need)
		}
	}
	if bias != nil && bias.Len < s.N {
		return fmt.Errorf("gpu: gemm: bias (%q) holds %d floats, want N=%d", bias.label, bias.Len, s.N)
	}
	return nil
}

// gemmConsts returns the constants every gemm.wgsl entry needs.
func gemmConsts(ta, tb, vec bool, wx, wy int) map[string]string {
	return map[string]string{
		"TA": fmt.Sprint(ta), "TB": fmt.Sprint(tb), "VEC": fmt.Sprint(vec),
		"WX": fmt.Sprintf("%du", wx), "WY": fmt.Sprintf("%du", wy), "TK": "16u",
	}
}

// gemmSpec returns the kernel spec of variant v for shape s and its grid.
func gemmSpec(v string, s GEMMShape) (KernelSpec, [3]uint32) {
	// naive and reg4x4 run wx×wy invocations per workgroup (reg4x4 is
	// insensitive to the shape on lavapipe: 8×4 to 64×1 measured within
	// noise); wg16 and wg64reg4 fix theirs at 16×16 in the shader.
	wx, wy := 16, 16
	if v == GEMMReg8x8 {
		wx, wy = 8, 8
	}
	tm, tn := wy, wx // tile of C covered by one workgroup
	switch v {
	case GEMMWG16:
		tm, tn = 16, 16
	case GEMMReg4x4:
		tm, tn = 4*wy, 4*wx
	case GEMMReg8x8:
		tm, tn = 8*wy, 8*wx
	case GEMMWG64Reg4:
		tm, tn = 64, 64
	}
	groups := [3]uint32{uint32(Ceil(s.N, tn)), uint32(Ceil(s.M, tm)), uint32(s.batch())}
	bufs := []Binding{{1, Read}, {2, Read}, {3, Read}, {4, ReadWrite}}
	if gemmVec4Views(v) {
		bufs = append(bufs, Binding{5, Read}, Binding{6, Read})
	}
	return KernelSpec{File: "gemm.wgsl", Entry: v, Bufs: bufs, Consts: gemmConsts(s.TransA, s.TransB, s.vec(), wx, wy)}, groups
}

// gemmVec4Views reports whether variant v reads A and B through the vec4
// views (bindings 5 and 6).
func gemmVec4Views(v string) bool { return v == GEMMReg4x4 || v == GEMMWG64Reg4 || v == GEMMReg8x8 }

// gemmParams encodes s's uniform block.
func gemmParams(s GEMMShape, hasBias bool) Params {
	sa, sb, sc := s.strides()
	hb := 0
	if hasBias {
		hb = 1
	}
	return Params{U(s.M), U(s.N), U(s.K), U(sa), U(sb), U(sc),
		U(s.OffsetA), U(s.OffsetB), U(s.OffsetC), F(s.Alpha), F(s.Beta), U(hb)}
}

// GEMM prepares the batched matrix product described by s (see GEMMShape)
// writing into c. bias, when not nil, holds N floats added to every row of
// every problem's C. c must not be a, b or bias. The variant is s.Variant, or
// the one this device measured fastest; problems whose A, B and bias all hold
// fewer than 4 floats always run naive. The result is a *Dispatch.
func (d *Device) GEMM(s GEMMShape, c, a, b, bias *Buffer) (Op, error) {
	return d.gemm(s, c, a, b, bias)
}

// gemm is GEMM returning the concrete dispatch.
func (d *Device) gemm(s GEMMShape, c, a, b, bias *Buffer) (*Dispatch, error) {
	if err := s.check(c, a, b, bias); err != nil {
		return nil, err
	}
	v := s.Variant
	if v == "" {
		var err error
		if v, err = d.Pick("gemm"); err != nil {
			return nil, fmt.Errorf("gpu: gemm: %w", err)
		}
	}
	hasBias := bias != nil
	if !hasBias {
		bias = a // never read (has_bias = 0); the slot only needs a read-only buffer
	}
	bufs := []*Buffer{a, b, bias, c}
	if gemmVec4Views(v) {
		// The vec4 views (slots 5, 6) are the operands themselves when the
		// shape is aligned. Otherwise the kernel never reads them, but it
		// still declares them, and WebGPU wants at least one vec4 behind
		// such a binding: any read-only operand of 4 floats or more will
		// do, and a problem too small to have one runs naive.
		va, vb := a, b
		if !s.vec() {
			va = nil
			for _, x := range []*Buffer{a, b, bias} {
				if x.Len >= 4 {
					va = x
					break
				}
			}
			vb = va
		}
		if va == nil {
			v = GEMMNaive
		} else {
			bufs = append(bufs, va, vb)
		}
	}
	spec, groups := gemmSpec(v, s)
	k, err := d.Kernel(spec)
	if err != nil {
		return nil, fmt.Errorf("gpu: gemm %s: %w", v, err)
	}
	x, err := d.Dispatch(k, gemmParams(s, hasBias), groups, bufs...)
	if err != nil {
		return nil, fmt.Errorf("gpu: gemm %dx%dx%d batch %d (%s): %w", s.M, s.N, s.K, s.batch(), v, err)
	}
	return x, nil
}

// gemmMat is one operand of a GEMM in a buffer: problem z's matrix starts at
// off + z*stride (stride 0: one matrix shared by the batch).
type gemmMat struct {
	buf         *Buffer
	off, stride int
}

// gemmOps prepares C = alpha*op(A)*op(B) over batch problems on explicit
// operands. When C is shared (stride 0: the gradient of a shared operand),
// the batch's products are summed into it by one accumulating dispatch per
// problem.
func (d *Device) gemmOps(variant string, batch, m, n, k int, ta, tb bool, alpha float64, c, a, b gemmMat) (Seq, error) {
	s := GEMMShape{
		Batch: batch, M: m, N: n, K: k, TransA: ta, TransB: tb, Alpha: alpha,
		StrideA: a.stride, StrideB: b.stride, StrideC: c.stride,
		SharedA: a.stride == 0, SharedB: b.stride == 0,
		OffsetA: a.off, OffsetB: b.off, OffsetC: c.off, Variant: variant,
	}
	if c.stride != 0 || batch == 1 {
		x, err := d.gemm(s, c.buf, a.buf, b.buf, nil)
		if err != nil {
			return nil, err
		}
		return Seq{x}, nil
	}
	var ops Seq
	for z := range batch {
		sz := s
		sz.Batch = 1
		sz.OffsetA, sz.OffsetB = a.off+z*a.stride, b.off+z*b.stride
		if z > 0 {
			sz.Beta = 1
		}
		x, err := d.gemm(sz, c.buf, a.buf, b.buf, nil)
		if err != nil {
			releaseOps(ops)
			return nil, err
		}
		ops = append(ops, x)
	}
	return ops, nil
}

// releaseOps releases the dispatches in ops.
func releaseOps(ops Seq) {
	for _, op := range ops {
		if x, ok := op.(*Dispatch); ok {
			x.Release()
		}
	}
}

// GEMMBackward prepares the gradients of the GEMM s (the shape passed to
// GEMM, whose Beta is irrelevant here) given dC, the gradient of its output
// laid out like C: dA laid out like A, dB like B, and dbias (N floats, the
// sum of dC over every row of every problem). Any of dA, dB and dbias may be
// nil to skip it; each is overwritten, not accumulated. A shared operand's
// gradient is summed over the batch.
//
// The gradients are GEMMs themselves (for C = α·A·B: dA = α·dC·Bᵀ and
// dB = α·Aᵀ·dC, with transposes moved around for TransA/TransB), in the
// variant s.Variant or the tuned one, plus a column sum for dbias. The
// result is a Seq whose elements are *Dispatch (each has a Release method).
// A shared operand's gradient takes one dispatch per problem, and the column
// sum runs one invocation per column: fine for the bias of a layer, slow for
// a very tall dC with few columns.
func (d *Device) GEMMBackward(s GEMMShape, dA, dB, dbias, dC, a, b *Buffer) (Op, error) {
	if dC == nil {
		return nil, fmt.Errorf("gpu: gemm backward: dC must not be nil")
	}
	if err := s.check(dC, a, b, nil); err != nil {
		return nil, fmt.Errorf("gpu: gemm backward: %w", err)
	}
	n := s.batch()
	sa, sb, sc := s.strides()
	ma, mb, mc := gemmMat{a, s.OffsetA, sa}, gemmMat{b, s.OffsetB, sb}, gemmMat{dC, s.OffsetC, sc}
	v, ta, tb, al := s.Variant, s.TransA, s.TransB, s.Alpha
	var ops Seq
	add := func(part Seq, err error) error {
		if err != nil {
			releaseOps(ops)
			return fmt.Errorf("gpu: gemm backward: %w", err)
		}
		ops = append(ops, part...)
		return nil
	}
	if dA != nil {
		ga := gemmMat{dA, s.OffsetA, sa}
		var err error
		if !ta { // dA = α dC op(B)ᵀ
			err = add(d.gemmOps(v, n, s.M, s.K, s.N, false, !tb, al, ga, mc, mb))
		} else { // dA (K×M) = α op(B) dCᵀ
			err = add(d.gemmOps(v, n, s.K, s.M, s.N, tb, true, al, ga, mb, mc))
		}
		if err != nil {
			return nil, err
		}
	}
	if dB != nil {
		gb := gemmMat{dB, s.OffsetB, sb}
		var err error
		if !tb { // dB = α op(A)ᵀ dC
			err = add(d.gemmOps(v, n, s.K, s.N, s.M, !ta, false, al, gb, ma, mc))
		} else { // dB (N×K) = α dCᵀ op(A)
			err = add(d.gemmOps(v, n, s.N, s.K, s.M, true, ta, al, gb, mc, ma))
		}
		if err != nil {
			return nil, err
		}
	}
	if dbias != nil {
		if err := add(d.gemmColSum(dbias, mc, n, s.M, s.N)); err != nil {
			return nil, err
		}
	}
	return ops, nil
}

// gemmColSum prepares out[j] = sum over the batch's rows of x[z][i][j].
func (d *Device) gemmColSum(out *Buffer, x gemmMat, batch, m, n int) (Seq, error) {
	if out.Len < n {
		return nil, fmt.Errorf("column sum into %q: holds %d floats, want %d", out.label, out.Len, n)
	}
	if out == x.buf {
		return nil, fmt.Errorf("column sum into %q: output is the input", out.label)
	}
	k, err := d.Kernel(KernelSpec{
		File: "gemm.wgsl", Entry: "colsum", Bufs: []Binding{{1, Read}, {4, ReadWrite}},
		Consts: gemmConsts(false, false, false, 64, 1),
	})
	if err != nil {
		return nil, err
	}
	p := Params{U(m), U(n), U(batch), U(x.stride), 0, 0, U(x.off), 0, 0, 0, 0, 0}
	disp, err := d.Dispatch(k, p, [3]uint32{uint32(Ceil(n, 64)), 1, 1}, x.buf, out)
	if err != nil {
		return nil, err
	}
	return Seq{disp}, nil
}
