package app

import "math"

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

// Enlarge scales n RGB images (NHWC) from×from up to to×to, each output
// pixel taking the nearest source pixel (a small image stays visibly
// small).
func Enlarge(px []float32, n, from, to int) []float32 {
	out := make([]float32, n*to*to*3)
	for i := range n {
		for y := range to {
			sy := y * from / to
			for x := range to {
				sx := x * from / to
				copy(out[((i*to+y)*to+x)*3:][:3], px[((i*from+sy)*from+sx)*3:])
			}
		}
	}
	return out
}
