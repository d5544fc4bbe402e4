package train

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

// ExamplesFile is the index of a model's dataset examples, beside
// model.json.
const ExamplesFile = "examples.json"

// Examples are, for every unit of some layers, the test images that excite
// it most (the survey's "top 9"): a convolution's unit is a channel, scored
// by its mean over positions; a vector layer's unit is one value. Ties go
// to the lower test-set index.
type Examples struct {
	Dataset string `json:"dataset"`
	Split   string `json:"split"`
	K       int    `json:"k"`
	// Tile is the side of one image in the sprites, in pixels.
	Tile   int             `json:"tile"`
	Layers []LayerExamples `json:"layers"`
}

// LayerExamples are one layer's examples. Its sprite is a grayscale PNG
// with one row per unit and K tiles per row, best first: unit u's k-th
// example is the Tile×Tile square at (k·Tile, u·Tile).
type LayerExamples struct {
	Name   string      `json:"name"`
	Units  int         `json:"units"`
	Sprite string      `json:"sprite"`
	Index  [][]int     `json:"index"` // [unit][k]: position in the test set
	Value  [][]float32 `json:"value"` // [unit][k]: the unit's activation
}

// TopK finds the k test images of s that excite each unit of the named
// layers most, running p on backend "gpu" (on d) or "cpu".
func TopK(ctx context.Context, backend string, d *gpu.Device, p *models.Plan, s *Split, layers []string, k int) (*Examples, error) {
	var targets []*models.Node
	for _, name := range layers {
		n, err := p.Node(name)
		if err != nil {
			return nil, err
		}
		targets = append(targets, n)
	}
	idx := make([]int, s.N)
	for i := range idx {
		idx[i] = i
	}
	acts := make([][]float32, len(targets)) // [layer][image][unit]
	err := Units(ctx, backend, d, p, s, idx, targets, 500, func(_ int, outs [][]float32) error {
		for i, o := range outs {
			acts[i] = append(acts[i], o...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ex := &Examples{Split: "test", K: k, Tile: s.H}
	for i, t := range targets {
		units := t.Shape[len(t.Shape)-1]
		le := LayerExamples{Name: layers[i], Units: units, Sprite: "examples_" + layers[i] + ".png"}
		order := make([]int, s.N)
		for u := range units {
			for j := range order {
				order[j] = j
			}
			a := acts[i]
			sort.SliceStable(order, func(x, y int) bool { return a[order[x]*units+u] > a[order[y]*units+u] })
			top := append([]int(nil), order[:k]...)
			vals := make([]float32, k)
			for j, img := range top {
				vals[j] = a[img*units+u]
			}
			le.Index = append(le.Index, top)
			le.Value = append(le.Value, vals)
		}
		ex.Layers = append(ex.Layers, le)
	}
	return ex, nil
}

// Write saves the index as examples.json and one sprite per layer in dir.
func (e *Examples) Write(dir string, s *Split) error {
	for _, l := range e.Layers {
		img := image.NewGray(image.Rect(0, 0, e.K*e.Tile, l.Units*e.Tile))
		for u, row := range l.Index {
			for k, i := range row {
				for y := range s.H {
					for x := range s.W {
						img.Pix[(u*e.Tile+y)*img.Stride+k*e.Tile+x] = s.Pixels[(i*s.H+y)*s.W+x]
					}
				}
			}
		}
		f, err := os.Create(filepath.Join(dir, l.Sprite))
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(f, img); err != nil {
			f.Close()
			return fmt.Errorf("train: %s: %w", l.Sprite, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, ExamplesFile), append(raw, '\n'), 0o644)
}
