package ref

// GEMMShape describes a batch of independent matrix products
//
//	C_z = Alpha * op(A_z) * op(B_z) + Beta * C_z + bias (broadcast over rows)
//
// for z = 0 … Batch-1, where op(X) is X or Xᵀ, op(A) is M×K, op(B) is K×N and
// C is M×N, all row-major and packed densely one problem after another. A
// stored A is M×K (K×M when TransA), a stored B is K×N (N×K when TransB).
// SharedA / SharedB use one A or B for every problem. Beta = 0 ignores C.
type GEMMShape struct {
	Batch, M, N, K   int
	TransA, TransB   bool
	Alpha, Beta      float64
	SharedA, SharedB bool
}

// aOff and bOff return where problem z's A and B start.
func (s GEMMShape) aOff(z int) int {
	if s.SharedA {
		return 0
	}
	return z * s.M * s.K
}

func (s GEMMShape) bOff(z int) int {
	if s.SharedB {
		return 0
	}
	return z * s.K * s.N
}

// aIdx is the index of op(A_z)[i][k] in the stored A.
func (s GEMMShape) aIdx(z, i, k int) int {
	if s.TransA {
		return s.aOff(z) + k*s.M + i
	}
	return s.aOff(z) + i*s.K + k
}

// bIdx is the index of op(B_z)[k][j] in the stored B.
func (s GEMMShape) bIdx(z, k, j int) int {
	if s.TransB {
		return s.bOff(z) + j*s.K + k
	}
	return s.bOff(z) + k*s.N + j
}

// GEMM returns the batch of products described by s. c holds the previous
// C (read only when Beta != 0; may be nil otherwise); bias holds N values or
// is nil.
func GEMM(s GEMMShape, a, b, c, bias []float64) []float64 {
	out := make([]float64, s.Batch*s.M*s.N)
	for z := range s.Batch {
		for i := range s.M {
			for j := range s.N {
				sum := 0.0
				for k := range s.K {
					sum += a[s.aIdx(z, i, k)] * b[s.bIdx(z, k, j)]
				}
				o := (z*s.M+i)*s.N + j
				v := s.Alpha * sum
				if s.Beta != 0 {
					v += s.Beta * c[o]
				}
				if bias != nil {
					v += bias[j]
				}
				out[o] = v
			}
		}
	}
	return out
}

// GEMMBackward returns the gradients of GEMM's output with respect to A, B
// and the bias, given the gradient dc of its output (Batch*M*N values). A
// shared operand's gradient is summed over the batch.
func GEMMBackward(s GEMMShape, a, b, dc []float64) (da, db, dbias []float64) {
	da = make([]float64, len(a))
	db = make([]float64, len(b))
	dbias = make([]float64, s.N)
	for z := range s.Batch {
		for i := range s.M {
			for j := range s.N {
				g := dc[(z*s.M+i)*s.N+j]
				dbias[j] += g
				for k := range s.K {
					da[s.aIdx(z, i, k)] += s.Alpha * g * b[s.bIdx(z, k, j)]
					db[s.bIdx(z, k, j)] += s.Alpha * g * a[s.aIdx(z, i, k)]
				}
			}
		}
	}
	return da, db, dbias
}
