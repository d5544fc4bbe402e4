// Package stage lays out and draws the app's stage, the area where the
// images form, with no browser or GPU dependence: the cells' layout, the
// stage's colours and the resampling of an image to the pixels it covers.
// Both of the app page's programs use it (the engine's placeholder canvas
// and the ebiten display), so that they draw the same pixels in the same
// places; it has no build constraints, so its tests run natively.
package stage

import (
	"image/color"
	"math"
)

// Rect is an axis-aligned rectangle.
type Rect struct{ X, Y, W, H float64 }

// Grid lays n square cells out in a w×h area with gap between them, as
// large as they can be, centred. It returns the cells' rectangles, in
// reading order.
func Grid(n int, w, h, gap float64) []Rect {
	if n <= 0 || w <= 0 || h <= 0 {
		return nil
	}
	bestSide, bestCols := 0.0, 1
	for cols := 1; cols <= n; cols++ {
		rows := (n + cols - 1) / cols
		side := math.Min((w-gap*float64(cols-1))/float64(cols), (h-gap*float64(rows-1))/float64(rows))
		if side > bestSide {
			bestSide, bestCols = side, cols
		}
	}
	return place(n, bestCols, bestSide, w, h, gap)
}

// Cells lays out a view's n cells on a w×h stage, as every surface that
// draws them (the ebiten display and the engine's placeholder canvas) must
// agree: the methods view in one row 16 px apart, the others as a Grid 6
// px apart, or filling the stage when there is one.
func Cells(mode string, n int, w, h float64) []Rect {
	if mode == "methods" {
		return Row(n, w, h, 16)
	}
	gap := 6.0
	if n == 1 {
		gap = 0
	}
	return Grid(n, w, h, gap)
}

// The stage's colours, shared with site/app.css.
var (
	ColBG     = color.RGBA{0x0d, 0x10, 0x14, 0xff} // the page
	ColCell   = color.RGBA{0x1a, 0x1f, 0x27, 0xff} // a cell still without an image
	ColLine   = color.RGBA{0x2a, 0x31, 0x3c, 0xff} // the curve's axis, the progress bar's track
	ColAccent = color.RGBA{0xf5, 0xa5, 0x24, 0xff} // the curve, the progress
	// ColSeries colours the methods view's curves, in its cells' order
	// (pixel AM, DGN-AM, PPGN); the first is the one curve of other views.
	ColSeries = []color.RGBA{ColAccent, {0x58, 0xa6, 0xff, 0xff}, {0xd2, 0x8c, 0xff, 0xff}}
)

// Row lays n square cells out in one row, as large as they fit, centred
// (the methods view's side-by-side images).
func Row(n int, w, h, gap float64) []Rect {
	if n <= 0 || w <= 0 || h <= 0 {
		return nil
	}
	return place(n, n, math.Min((w-gap*float64(n-1))/float64(n), h), w, h, gap)
}

// place centres n cells of the given side in rows of cols.
func place(n, cols int, side, w, h, gap float64) []Rect {
	side = math.Max(side, 1)
	rows := (n + cols - 1) / cols
	x0 := (w - (float64(cols)*side + gap*float64(cols-1))) / 2
	y0 := (h - (float64(rows)*side + gap*float64(rows-1))) / 2
	out := make([]Rect, n)
	for i := range out {
		c, r := i%cols, i/cols
		out[i] = Rect{X: x0 + float64(c)*(side+gap), Y: y0 + float64(r)*(side+gap), W: side, H: side}
	}
	return out
}
