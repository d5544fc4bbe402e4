package ref

import (
	"math"
	"sort"
)

// ClipPercentile returns x (n images of hw pixels of c channels) with every
// pixel whose squared norm over the channels is below the k-th smallest
// squared norm of its image set to zero, and the thresholds.
func ClipPercentile(n, hw, c, k int, x []float64) (y, thr []float64) {
	y = append([]float64(nil), x...)
	thr = make([]float64, n)
	sq := func(i int) float64 {
		s := 0.0
		for ch := range c {
			s += x[i*c+ch] * x[i*c+ch]
		}
		return s
	}
	for b := range n {
		norms := make([]float64, hw)
		for q := range hw {
			norms[q] = sq(b*hw + q)
		}
		sort.Float64s(norms)
		thr[b] = norms[k]
		for q := range hw {
			if sq(b*hw+q) < thr[b] {
				clear(y[(b*hw+q)*c : (b*hw+q+1)*c])
			}
		}
	}
	return y, thr
}

// ClipNorm returns x (rows of n values) with every row whose Euclidean
// norm exceeds limit scaled to norm limit.
func ClipNorm(rows, n int, limit float64, x []float64) []float64 {
	y := append([]float64(nil), x...)
	for r := range rows {
		row := y[r*n : (r+1)*n]
		s := 0.0
		for _, v := range row {
			s += v * v
		}
		if norm := math.Sqrt(s); norm > limit {
			for i := range row {
				row[i] *= limit / norm
			}
		}
	}
	return y
}
