//go:build js && wasm

package page

import (
	"bytes"
	"slices"
	"testing"
)

// The engine's writes, read back as the display reads them (run under
// Node: ./build.sh test does, with go_js_wasm_exec).
func TestViewRoundTrip(t *testing.T) {
	img := func(seed byte) []byte {
		b := make([]byte, 4*4*4)
		for i := range b {
			b[i] = seed + byte(i)
		}
		return b
	}
	WriteCells("gallery", 4, 7, []string{"a:0", "a:1", "a:2"})
	WriteImage(1, 1, img(10))
	WriteCurves([][]float64{{0.5, -1.25, 3e-7}}, 64)
	WriteProgress(0.25)
	var v View
	Read(&v)
	if v.Mode != "gallery" || v.Size != 4 || v.Version != 7 || v.Steps != 64 || v.Progress != 0.25 {
		t.Fatalf("read %q size %d version %d steps %d progress %g", v.Mode, v.Size, v.Version, v.Steps, v.Progress)
	}
	if len(v.Cells) != 3 || v.Cells[0].Label != "a:0" || v.Cells[2].Label != "a:2" {
		t.Fatalf("cells %+v", v.Cells)
	}
	if v.Cells[0].RGBA != nil || v.Cells[1].Ver != 1 || !bytes.Equal(v.Cells[1].RGBA, img(10)) {
		t.Errorf("cell images: 0 %v, 1 ver %d %v", v.Cells[0].RGBA, v.Cells[1].Ver, v.Cells[1].RGBA)
	}
	if len(v.Curves) != 1 || !slices.Equal(v.Curves[0], []float64{0.5, -1.25, 3e-7}) {
		t.Errorf("curves %v", v.Curves)
	}

	// Read copies an image only when its version moves.
	v.Cells[1].RGBA[0] = 99
	Read(&v)
	if v.Cells[1].RGBA[0] != 99 {
		t.Errorf("an unchanged image was copied again")
	}
	WriteImage(1, 2, img(20))
	WriteCurves([][]float64{{1}, {2, 3}, nil}, 64)
	Read(&v)
	if v.Cells[1].Ver != 2 || !bytes.Equal(v.Cells[1].RGBA, img(20)) || len(v.Curves) != 3 ||
		!slices.Equal(v.Curves[0], []float64{1}) || !slices.Equal(v.Curves[1], []float64{2, 3}) || len(v.Curves[2]) != 0 {
		t.Errorf("after new writes: ver %d %v, curves %v", v.Cells[1].Ver, v.Cells[1].RGBA, v.Curves)
	}
	// Fewer curves (a new run) leave no stale ones behind.
	WriteCurves(nil, 0)
	Read(&v)
	if len(v.Curves) != 0 {
		t.Errorf("after no curves: %v", v.Curves)
	}

	// New cells (a new version) drop the old images.
	WriteCells("image", 4, 8, []string{"b:5"})
	Read(&v)
	if v.Version != 8 || v.Mode != "image" || len(v.Cells) != 1 || v.Cells[0].Label != "b:5" || v.Cells[0].RGBA != nil {
		t.Errorf("after new cells: %+v", v)
	}
}
