//go:build js && wasm

package main

import (
	"fmt"
	"math"
	"sync"
	"syscall/js"
	"time"

	"github.com/hubelviz/hubel/wasm/page"
	"github.com/hubelviz/hubel/wasm/stage"
)

// display starts the page's display program (display.wasm, the ebiten
// canvas) once the engine has shown its first image or has nothing to
// show: ebiten's start-up holds the page's one thread for 2–4 s on
// SwiftShader, and used to come before the engine's first fetch. Until the
// display is live, the view paints its images on a plain 2D canvas over
// the stage (paintLocked).
type display struct{ once sync.Once }

// start asks the page to load the display (window.hubelStartDisplay); only
// the first call does anything.
func (d *display) start() {
	d.once.Do(func() {
		if f := js.Global().Get("hubelStartDisplay"); f.Type() == js.TypeFunction {
			f.Invoke()
		}
	})
}

// paintLocked draws the view's cells on the placeholder canvas as the
// display would (stage.Cells; scaled by the browser as stage.Resize
// scales them for the display, in device pixels), and
// tells the page where they are, while the display is not live yet; it
// notes when it has drawn an image (presentFirst). v.mu is held.
func (v *view) paintLocked() {
	if page.DisplayLive() {
		return
	}
	doc := js.Global().Get("document")
	stageEl := doc.Call("getElementById", "stage")
	area := page.RectOf("stage")
	if !stageEl.Truthy() || area.W <= 0 || area.H <= 0 {
		return
	}
	dpr := js.Global().Get("devicePixelRatio").Float()
	if !(dpr > 0) {
		dpr = 1
	}
	cv := doc.Call("getElementById", page.PlaceholderID)
	if !cv.Truthy() {
		cv = doc.Call("createElement", "canvas")
		cv.Set("id", page.PlaceholderID)
		cv.Call("setAttribute", "aria-hidden", "true")
		st := cv.Get("style")
		st.Set("position", "absolute")
		st.Set("left", "0")
		st.Set("top", "0")
		st.Set("pointerEvents", "none")
		stageEl.Call("appendChild", cv)
	}
	w, h := int(math.Round(area.W*dpr)), int(math.Round(area.H*dpr))
	cv.Get("style").Set("width", fmt.Sprintf("%gpx", area.W))
	cv.Get("style").Set("height", fmt.Sprintf("%gpx", area.H))
	if cv.Get("width").Int() != w || cv.Get("height").Int() != h {
		cv.Set("width", w)
		cv.Set("height", h)
	}
	ctx := cv.Call("getContext", "2d")
	if !ctx.Truthy() {
		return
	}
	ctx.Call("clearRect", 0, 0, w, h)
	cells := stage.Cells(v.mode, len(v.cells), area.W, area.H)
	labels := make([]string, len(v.cells))
	for i, c := range v.cells {
		labels[i] = c.label
	}
	v.sent.Send(v.mode, v.version, cells, labels)
	drew := false
	for i, r := range cells {
		c := &v.cells[i]
		x, y := math.Round(r.X*dpr), math.Round(r.Y*dpr)
		cw, ch := max(int(math.Round(r.W*dpr)), 1), max(int(math.Round(r.H*dpr)), 1)
		if c.rgba == nil {
			ctx.Set("fillStyle", cssColor(stage.ColCell))
			ctx.Call("fillRect", x, y, cw, ch)
			continue
		}
		// The browser scales the published image (bilinear, pixel
		// centres as stage.Resize's): on the page's thread, Go's resize of
		// a first image took ~0.1 s.
		u8 := page.ImageArray(i)
		if !u8.Truthy() || u8.Length() != 4*v.size*v.size {
			continue
		}
		if !v.scratch.Truthy() {
			v.scratch = doc.Call("createElement", "canvas")
		}
		if v.scratch.Get("width").Int() != v.size || v.scratch.Get("height").Int() != v.size {
			v.scratch.Set("width", v.size)
			v.scratch.Set("height", v.size)
		}
		px := js.Global().Get("Uint8ClampedArray").New(u8.Get("buffer"), u8.Get("byteOffset"), u8.Get("length"))
		v.scratch.Call("getContext", "2d").Call("putImageData", js.Global().Get("ImageData").New(px, v.size, v.size), 0, 0)
		ctx.Set("imageSmoothingEnabled", true)
		ctx.Set("imageSmoothingQuality", "low")
		ctx.Call("drawImage", v.scratch, x, y, cw, ch)
		drew = true
	}
	v.painted = v.painted || drew
}

// presentFirst, after the runner's first images, waits until the browser
// has produced the frame that shows them before the runner goes on with
// work that holds the page's thread (the GPU's pipelines), and sets
// window.hubelDrawnMs then: the reader sees the image from then. The frame
// that takes the canvas's new pixels runs the first requestAnimationFrame
// callback; it is done when the next frame's runs (the time taken). It
// waits at most 250 ms (a hidden tab draws no frames).
func (v *view) presentFirst() {
	v.mu.Lock()
	painted := v.painted
	v.mu.Unlock()
	if !painted || js.Global().Get("hubelDrawnMs").Truthy() {
		return
	}
	done := make(chan struct{}, 1)
	frames := 0
	var f js.Func
	f = js.FuncOf(func(js.Value, []js.Value) any {
		if frames++; frames < 2 {
			js.Global().Call("requestAnimationFrame", f)
		} else {
			done <- struct{}{}
		}
		return nil
	})
	js.Global().Call("requestAnimationFrame", f)
	select {
	case <-done:
		f.Release()
	case <-time.After(250 * time.Millisecond):
		// f may still run: leave it allocated.
	}
	js.Global().Set("hubelDrawnMs", page.Now())
}

func cssColor(c interface{ RGBA() (r, g, b, a uint32) }) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("rgb(%d,%d,%d)", r>>8, g>>8, b>>8)
}
