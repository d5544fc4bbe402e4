package ref

import "math"

// Diversity is Lucid's diversity objective over a batch of n images x
// ([n][hw][c]): with G_b = X_bᵀX_b (c×c) and ĝ_b = G_b/‖G_b‖ (Lucid's
// l2_normalize, epsilon 1e-10), vals[b] = −(1/n)·Σ_{j≠b} ĝ_b·ĝ_j (minus
// the mean pairwise cosine similarity of the Gram matrices: higher is more
// diverse). grad is the gradient of Σ_b w[b]·vals[b] with respect to x.
func Diversity(n, hw, c int, w, x []float64) (vals, grad []float64) {
	m := c * c
	ghat := make([]float64, n*m)
	inv := make([]float64, n)
	for b := range n {
		xb := x[b*hw*c : (b+1)*hw*c]
		g := ghat[b*m : (b+1)*m]
		for p := range hw {
			for i := range c {
				for j := range c {
					g[i*c+j] += xb[p*c+i] * xb[p*c+j]
				}
			}
		}
		sq := 0.0
		for _, v := range g {
			sq += v * v
		}
		inv[b] = 1 / math.Sqrt(math.Max(sq, 1e-10))
		for e := range g {
			g[e] *= inv[b]
		}
	}
	dot := func(a, b int) float64 {
		s := 0.0
		for e := range m {
			s += ghat[a*m+e] * ghat[b*m+e]
		}
		return s
	}
	vals = make([]float64, n)
	grad = make([]float64, len(x))
	for b := range n {
		for j := range n {
			if j != b {
				vals[b] -= dot(b, j) / float64(n)
			}
		}
	}
	for k := range n {
		// U = ∂(Σ_b w_b vals_b)/∂ĝ_k.
		u := make([]float64, m)
		for j := range n {
			if j == k {
				continue
			}
			for e := range m {
				u[e] -= (w[k] + w[j]) * ghat[j*m+e] / float64(n)
			}
		}
		// Through the normalisation: D = (U − ĝ(ĝ·U))/‖G‖.
		q := 0.0
		for e := range m {
			q += ghat[k*m+e] * u[e]
		}
		d := make([]float64, m)
		for e := range m {
			d[e] = (u[e] - ghat[k*m+e]*q) * inv[k]
		}
		// Through G = XᵀX: dX = X(D + Dᵀ).
		xk := x[k*hw*c : (k+1)*hw*c]
		gk := grad[k*hw*c : (k+1)*hw*c]
		for p := range hw {
			for i := range c {
				for j := range c {
					gk[p*c+i] += xk[p*c+j] * (d[i*c+j] + d[j*c+i])
				}
			}
		}
	}
	return vals, grad
}
