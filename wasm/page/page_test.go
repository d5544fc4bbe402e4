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
	WriteCurve([]float64{0.5, -1.25, 3e-7}, 64)
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
	if !slices.Equal(v.Curve, []float64{0.5, -1.25, 3e-7}) {
		t.Errorf("curve %v", v.Curve)
	}

	// Read copies an image only when its version moves.
	v.Cells[1].RGBA[0] = 99
	Read(&v)
	if v.Cells[1].RGBA[0] != 99 {
		t.Errorf("an unchanged image was copied again")
	}
	WriteImage(1, 2, img(20))
	WriteCurve([]float64{1}, 64)
	Read(&v)
	if v.Cells[1].Ver != 2 || !bytes.Equal(v.Cells[1].RGBA, img(20)) || !slices.Equal(v.Curve, []float64{1}) {
		t.Errorf("after new writes: ver %d %v, curve %v", v.Cells[1].Ver, v.Cells[1].RGBA, v.Curve)
	}

	// New cells (a new version) drop the old images.
	WriteCells("image", 4, 8, []string{"b:5"})
	Read(&v)
	if v.Version != 8 || v.Mode != "image" || len(v.Cells) != 1 || v.Cells[0].Label != "b:5" || v.Cells[0].RGBA != nil {
		t.Errorf("after new cells: %+v", v)
	}
}
