package selftest

import (
	"context"
	"fmt"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

// gemmShapes: sizes that are not multiples of any tile (the scalar path),
// and one whose rows are all multiples of 4 floats (the vec4 path).
var gemmShapes = []gpu.GEMMShape{
	{Batch: 2, M: 33, N: 17, K: 65, TransB: true, Alpha: 0.75, Beta: -0.5},
	{Batch: 1, M: 64, N: 68, K: 60, TransA: true, Alpha: 1.25},
}

// gemmDims describes a problem as batch×M×N×K with its transposes.
func gemmDims(s gpu.GEMMShape) string {
	d := fmt.Sprintf("%d×%d×%d×%d", max(s.Batch, 1), s.M, s.N, s.K)
	if s.TransA {
		d += " Aᵀ"
	}
	if s.TransB {
		d += " Bᵀ"
	}
	return d
}

func gemmRef(s gpu.GEMMShape) ref.GEMMShape {
	return ref.GEMMShape{Batch: max(s.Batch, 1), M: s.M, N: s.N, K: s.K, TransA: s.TransA, TransB: s.TransB,
		Alpha: s.Alpha, Beta: s.Beta, SharedA: s.SharedA, SharedB: s.SharedB}
}

// gemmOperands uploads random A, B and C (dense batches) for sh.
func (s *session) gemmOperands(sh gpu.GEMMShape) (a, b, c *gpu.Buffer, av, bv, cv []float64) {
	a, av = s.in(sh.Batch * sh.M * sh.K)
	b, bv = s.in(sh.Batch * sh.K * sh.N)
	c, cv = s.in(sh.Batch * sh.M * sh.N)
	return
}

// gemmChecks runs every variant forward (each forced, so the browser does
// not spend time tuning), and the three gradients of one backward pass.
func gemmChecks() []check {
	var cs []check
	for _, v := range gpu.GEMMVariants {
		for i, sh := range gemmShapes {
			sh.Variant = v
			withBias := i == 0
			cs = append(cs, check{"GEMM " + v, gemmDims(sh), sh.Batch * sh.M * sh.N, func(ctx context.Context, s *session) ([]float32, []float64, error) {
				a, b, c, av, bv, cv := s.gemmOperands(sh)
				var bias *gpu.Buffer
				var biasv []float64
				if withBias {
					bias, biasv = s.in(sh.N)
				}
				if s.err != nil {
					return nil, nil, s.err
				}
				op, err := s.d.GEMM(sh, c, a, b, bias)
				got, err := s.run(ctx, op, err, c)
				return got, ref.GEMM(gemmRef(sh), av, bv, cv, biasv), err
			}})
		}
	}
	sh := gpu.GEMMShape{Batch: 2, M: 33, N: 17, K: 65, TransA: true, Alpha: 0.75, Variant: gpu.GEMMWG16}
	for i, grad := range []string{"dA", "dB", "dbias"} {
		n := []int{sh.Batch * sh.M * sh.K, sh.Batch * sh.K * sh.N, sh.N}[i]
		cs = append(cs, check{"GEMM backward " + grad, gemmDims(sh), n, func(ctx context.Context, s *session) ([]float32, []float64, error) {
			a, b, dc, av, bv, dcv := s.gemmOperands(sh)
			out := s.out(n)
			if s.err != nil {
				return nil, nil, s.err
			}
			grads := []*gpu.Buffer{nil, nil, nil}
			grads[i] = out
			op, err := s.d.GEMMBackward(sh, grads[0], grads[1], grads[2], dc, a, b)
			got, err := s.run(ctx, op, err, out)
			da, db, dbias := ref.GEMMBackward(gemmRef(sh), av, bv, dcv)
			return got, [][]float64{da, db, dbias}[i], err
		}})
	}
	return cs
}
