package gpu

import (
	"fmt"
	"math"
)

// Launchers for shaders/clip.wgsl: percentile clipping of pixels with small
// norm, and norm clipping of rows, in place, without a read-back.

const clipWG = 64

// ClipIndex is the index, in its image's sorted squared pixel norms, of the
// threshold of a clip at percentile pct of hw pixels: floor(pct/100·hw),
// at most hw−1.
func ClipIndex(pct float64, hw int) int {
	return min(int(math.Floor(pct/100*float64(hw))), hw-1)
}

// ClipPercentile prepares, for each image of x (shape s), the zeroing of
// every pixel whose squared norm over the channels is below the
// ClipIndex(pct)-th smallest of its image (so pct 0 clips nothing).
// thresholds (s.N floats) receives each image's threshold.
func (d *Device) ClipPercentile(s NHWC, pct float64, x, thresholds *Buffer) (*Chain, error) {
	const op = "clip percentile"
	if err := s.check(op, x, "image"); err != nil {
		return nil, err
	}
	if err := checkLen(op, "thresholds", thresholds, s.N); err != nil {
		return nil, err
	}
	if !(pct >= 0 && pct < 100) {
		return nil, fmt.Errorf("gpu: %s: percentile %v, want 0 ≤ p < 100", op, pct)
	}
	if thresholds == x {
		return nil, fmt.Errorf("gpu: %s: the thresholds buffer is the image", op)
	}
	hw := s.H * s.W
	p := Params{U(s.N), U(hw), U(s.C), U(ClipIndex(pct, hw)), F(0)}
	consts := map[string]string{"WG": fmt.Sprintf("%du", clipWG)}
	return build(func(c *Chain) error {
		sq, err := c.scratch(d, "clip norms", s.N*hw)
		if err != nil {
			return err
		}
		steps := []struct {
			entry  string
			binds  []Binding
			groups int
			bufs   []*Buffer
		}{
			{"norms", []Binding{{1, Read}, {2, ReadWrite}}, s.N * hw, []*Buffer{x, sq}},
			{"threshold", []Binding{{3, Read}, {4, ReadWrite}}, s.N, []*Buffer{sq, thresholds}},
			{"apply", []Binding{{3, Read}, {5, ReadWrite}, {6, Read}}, s.N * hw, []*Buffer{sq, x, thresholds}},
		}
		for _, st := range steps {
			k, err := d.Kernel(KernelSpec{File: "clip.wgsl", Entry: st.entry, Bufs: st.binds, Consts: consts})
			if err != nil {
				return err
			}
			if err := c.add(d.Dispatch(k, p, Groups1D(st.groups, clipWG), st.bufs...)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClipNorm prepares, for each of the rows of x (rows × n floats), its
// scaling down to Euclidean norm limit where its norm exceeds limit, in
// place; rows within the limit are left as they are. It caps the size of a
// step (one row per image of a batch) without changing its direction.
func (d *Device) ClipNorm(rows, n int, limit float64, x *Buffer) (*Dispatch, error) {
	const op = "clip norm"
	if rows < 1 || n < 1 {
		return nil, fmt.Errorf("gpu: %s: %d rows of %d, want at least 1 of 1", op, rows, n)
	}
	if err := checkLen(op, "x", x, rows*n); err != nil {
		return nil, err
	}
	if !(limit >= 0 && limit <= math.MaxFloat32) {
		return nil, fmt.Errorf("gpu: %s: limit %v, want a finite norm ≥ 0", op, limit)
	}
	k, err := d.Kernel(KernelSpec{File: "clip.wgsl", Entry: "clip_norm", Bufs: []Binding{{5, ReadWrite}},
		Consts: map[string]string{"WG": fmt.Sprintf("%du", clipWG)}})
	if err != nil {
		return nil, err
	}
	return d.Dispatch(k, Params{U(rows), U(n), 0, 0, F(limit)}, Groups1D(rows*clipWG, clipWG), x)
}
