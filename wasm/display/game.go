//go:build js && wasm

package main

import (
	"math"
	"syscall/js"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/hubelviz/hubel/wasm/page"
	"github.com/hubelviz/hubel/wasm/stage"
)

// game draws the engine's view on ebiten's canvas. ebiten's canvas fills
// the page behind the HTML; the page marks where the image, the curve and
// the progress bar go with empty elements (#stage, #curve, #progress),
// whose rectangles the game reads each tick.
type game struct {
	v      page.View
	imgs   []*ebiten.Image // each cell's image at its size on the screen
	vers   []int
	shown  [][]byte // the pixels of imgs (stage.Resize's output, reused)
	size   int
	ver    int
	dpr    float64
	stage  stage.Rect
	curve  stage.Rect
	bar    stage.Rect
	cells  []stage.Rect     // in CSS pixels, relative to the stage
	sent   page.CellsSender // the cells' places, for the page's buttons over them
	drawn  int              // 1: the first image was drawn this frame; 2: and marked
	frames int              // Draw calls so far
}

func newGame() *game { return &game{dpr: 1, ver: -1} }

// Update reads the engine's view and the page's layout and, when the cells
// move, tells the page where they are (it puts a focusable button over
// each).
func (g *game) Update() error {
	page.Read(&g.v)
	g.dpr = ebiten.Monitor().DeviceScaleFactor()
	g.stage, g.curve, g.bar = page.RectOf("stage"), page.RectOf("curve"), page.RectOf("progress")
	n, mode, ver := len(g.v.Cells), g.v.Mode, g.v.Version
	labels := make([]string, n)
	for i, c := range g.v.Cells {
		labels[i] = c.Label
	}
	g.cells = stage.Cells(mode, n, g.stage.W, g.stage.H)
	g.sent.Send(mode, ver, g.cells, labels)
	return nil
}

// Draw paints the cells (images as they form, empty cells as placeholders),
// the objective's curve and the progress bar.
func (g *game) Draw(screen *ebiten.Image) {
	g.frames++
	if g.drawn == 1 || g.frames == 2 && g.drawn == 0 {
		// The frame that drew the first image (or the first frame, where
		// there was none) has been flushed (ebiten compiles what it needs
		// then): it is on the canvas. The display is live: the engine
		// stops painting its placeholder, which goes. When, in ms after
		// navigation, is for the page-ready measurements
		// (test/browser/ready.mjs).
		now := page.Now()
		js.Global().Set(page.LiveKey, now)
		if el := js.Global().Get("document").Call("getElementById", page.PlaceholderID); el.Truthy() {
			el.Call("remove")
		}
		if g.drawn == 1 {
			g.drawn = 2
			js.Global().Set("hubelEbitenMs", now)
			if !js.Global().Get("hubelDrawnMs").Truthy() {
				js.Global().Set("hubelDrawnMs", now)
			}
		}
	}
	screen.Fill(stage.ColBG)
	if g.v.Version != g.ver || g.v.Size != g.size {
		for _, im := range g.imgs {
			if im != nil {
				im.Deallocate()
			}
		}
		n := len(g.v.Cells)
		g.imgs, g.vers, g.shown = make([]*ebiten.Image, n), make([]int, n), make([][]byte, n)
		g.ver, g.size = g.v.Version, g.v.Size
	}
	s := float32(g.dpr)
	for i, c := range g.v.Cells {
		if i >= len(g.cells) || i >= len(g.imgs) {
			break
		}
		r := g.cells[i]
		x, y, w, h := float32(g.stage.X+r.X)*s, float32(g.stage.Y+r.Y)*s, float32(r.W)*s, float32(r.H)*s
		if c.RGBA == nil {
			vector.FillRect(screen, x, y, w, h, stage.ColCell, false)
			continue
		}
		// The image is resized here to the device pixels it covers and
		// drawn 1:1 with the nearest filter (stage.Resize says why).
		iw, ih := max(int(math.Round(float64(w))), 1), max(int(math.Round(float64(h))), 1)
		if im := g.imgs[i]; im == nil || im.Bounds().Dx() != iw || im.Bounds().Dy() != ih {
			if im != nil {
				im.Deallocate()
			}
			g.imgs[i] = ebiten.NewImage(iw, ih)
			g.vers[i] = -1
		}
		if g.vers[i] != c.Ver {
			g.shown[i] = stage.Resize(c.RGBA, g.size, iw, ih, g.shown[i])
			g.imgs[i].WritePixels(g.shown[i])
			g.vers[i] = c.Ver
		}
		op := &ebiten.DrawImageOptions{Filter: ebiten.FilterNearest}
		op.GeoM.Translate(math.Round(float64(x)), math.Round(float64(y)))
		screen.DrawImage(g.imgs[i], op)
		if g.drawn == 0 {
			g.drawn = 1
		}
	}
	g.drawCurve(screen, s)
	if b := g.bar; b.W > 0 && b.H > 0 && g.v.Mode != "" {
		x, y, w, h := float32(b.X)*s, float32(b.Y)*s, float32(b.W)*s, float32(b.H)*s
		vector.FillRect(screen, x, y, w, h, stage.ColLine, false)
		vector.FillRect(screen, x, y, w*float32(min(max(g.v.Progress, 0), 1)), h, stage.ColAccent, false)
	}
}

// drawCurve plots the objective against the step: the first image's, or in
// the methods view each method's in its colour, on one y range fitted to
// the values so far (the methods share one objective).
func (g *game) drawCurve(screen *ebiten.Image, s float32) {
	r := g.curve
	if r.W <= 0 || r.H <= 0 {
		return
	}
	x0, y0, w, h := float32(r.X)*s, float32(r.Y)*s, float32(r.W)*s, float32(r.H)*s
	vector.StrokeLine(screen, x0, y0+h-0.5*s, x0+w, y0+h-0.5*s, s, stage.ColLine, false)
	lo, hi, steps := math.Inf(1), math.Inf(-1), max(g.v.Steps, 2)
	for _, c := range g.v.Curves {
		for _, v := range c {
			if finite(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		steps = max(steps, len(c))
	}
	if lo > hi {
		return
	}
	if hi-lo < 1e-9 {
		hi = lo + 1
	}
	pad := 4 * s
	for k, c := range g.v.Curves {
		if len(c) < 2 {
			continue
		}
		var p vector.Path
		gap := true // a NaN or an infinity breaks the line
		for i, v := range c {
			if !finite(v) {
				gap = true
				continue
			}
			px := x0 + w*float32(i)/float32(steps-1)
			py := y0 + pad + (h-2*pad)*float32(1-(v-lo)/(hi-lo))
			if gap {
				p.MoveTo(px, py)
				gap = false
			} else {
				p.LineTo(px, py)
			}
		}
		col := stage.ColSeries[k%len(stage.ColSeries)]
		vector.StrokePath(screen, &p, &vector.StrokeOptions{Width: 2 * s, LineJoin: vector.LineJoinRound}, &vector.DrawPathOptions{AntiAlias: true, ColorScale: colorScale(col)})
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func colorScale(c interface{ RGBA() (r, g, b, a uint32) }) ebiten.ColorScale {
	var cs ebiten.ColorScale
	cs.ScaleWithColor(c)
	return cs
}

// LayoutF makes the canvas's drawing buffer match its size in device
// pixels, so the image is sharp.
func (g *game) LayoutF(w, h float64) (float64, float64) {
	d := ebiten.Monitor().DeviceScaleFactor()
	return w * d, h * d
}

// Layout is unused (LayoutF is), but Game requires it.
func (g *game) Layout(w, h int) (int, int) { return w, h }
