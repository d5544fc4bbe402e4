//go:build js && wasm

// Package page is what hubel's two programs on the app's page share. The
// engine (package wasm, hubel.wasm: the runner, the GPU, the models) starts
// first and shows the first image on a plain 2D canvas; the display
// (wasm/display, display.wasm: the ebiten canvas, the curve, the progress
// bar) starts after it, because ebiten's start-up holds the page's one
// thread for seconds (docs/speed.md, session 7). The engine writes the view
// (the stage's cells, their images, the objective's curves, the progress)
// into one JavaScript object, window.hubelView, and the display reads it
// each frame (Read).
//
//	hubelView = {mode, size, version, steps, progress, curveVer,
//	             curves: [Uint8Array (float64s, little-endian)],
//	             cells: [{label, ver, rgba: Uint8Array | null}]}
package page

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"syscall/js"

	"github.com/hubelviz/hubel/wasm/stage"
)

const (
	viewKey = "hubelView"
	// PlaceholderID is the id of the engine's 2D canvas over the stage,
	// which the display removes once its own frame is on the screen.
	PlaceholderID = "hubel-first"
	// LiveKey is set (to performance.now()) by the display once its first
	// frame with an image is on the canvas: the engine stops painting the
	// placeholder.
	LiveKey = "hubelDisplayLive"
)

// Now is performance.now(): milliseconds after navigation.
func Now() float64 { return js.Global().Get("performance").Call("now").Float() }

// RectOf returns the rectangle of the element with the given id, in CSS
// pixels of the viewport (zero where there is none).
func RectOf(id string) stage.Rect {
	el := js.Global().Get("document").Call("getElementById", id)
	if !el.Truthy() {
		return stage.Rect{}
	}
	r := el.Call("getBoundingClientRect")
	return stage.Rect{X: r.Get("left").Float(), Y: r.Get("top").Float(), W: r.Get("width").Float(), H: r.Get("height").Float()}
}

// CellsSender tells the page where the stage's cells are
// (window.hubelCells: app.js puts a focusable button over each), each time
// they move.
type CellsSender struct{ sent string }

// Send reports the cells of a view (its mode and version) laid out at
// cells (CSS pixels, relative to the stage), unless they are where it
// last reported them.
func (s *CellsSender) Send(mode string, version int, cells []stage.Rect, labels []string) {
	key := fmt.Sprint(version, mode, cells)
	if key == s.sent {
		return
	}
	s.sent = key
	list := make([]any, len(cells))
	for i, c := range cells {
		list[i] = map[string]any{"x": c.X, "y": c.Y, "w": c.W, "h": c.H, "label": labels[i], "index": i}
	}
	if f := js.Global().Get("hubelCells"); f.Type() == js.TypeFunction {
		f.Invoke(mode, list)
	}
}

// DisplayLive says whether the display has put its first image on the canvas.
func DisplayLive() bool { return js.Global().Get(LiveKey).Truthy() }

// View is the stage as the display draws it.
type View struct {
	Mode     string // "", "image", "gallery" or "methods"
	Size     int    // the images' side
	Version  int    // bumped when the cells change
	Cells    []Cell
	Curves   [][]float64 // objectives per step: the first image's, or one per method (methods view)
	CurveVer int
	Steps    int // the curve's x range
	Progress float64
}

// Cell is one image of the stage.
type Cell struct {
	Label string
	Ver   int    // bumped at each new image
	RGBA  []byte // Size×Size×4, nil before the first image
}

func viewObject() js.Value {
	o := js.Global().Get(viewKey)
	if !o.Truthy() {
		o = js.Global().Get("Object").New()
		o.Set("cells", js.Global().Get("Array").New())
		o.Set("curveVer", 0)
		js.Global().Set(viewKey, o)
	}
	return o
}

// WriteCells publishes a new set of cells, none with an image yet.
func WriteCells(mode string, size, version int, labels []string) {
	o := viewObject()
	o.Set("mode", mode)
	o.Set("size", size)
	o.Set("version", version)
	cells := js.Global().Get("Array").New(len(labels))
	for i, l := range labels {
		c := js.Global().Get("Object").New()
		c.Set("label", l)
		c.Set("ver", 0)
		c.Set("rgba", js.Null())
		cells.SetIndex(i, c)
	}
	o.Set("cells", cells)
}

// WriteImage publishes cell i's image (RGBA, Size×Size×4) as its version ver.
func WriteImage(i, ver int, rgba []byte) {
	cells := viewObject().Get("cells")
	if i >= cells.Length() {
		return
	}
	c := cells.Index(i)
	u8 := c.Get("rgba")
	if !u8.Truthy() || u8.Length() != len(rgba) {
		u8 = js.Global().Get("Uint8Array").New(len(rgba))
		c.Set("rgba", u8)
	}
	js.CopyBytesToJS(u8, rgba)
	c.Set("ver", ver)
}

// ImageArray returns cell i's published RGBA (a Uint8Array of Size²·4
// bytes), or undefined where it has none.
func ImageArray(i int) js.Value {
	cells := viewObject().Get("cells")
	if i >= cells.Length() {
		return js.Undefined()
	}
	return cells.Index(i).Get("rgba")
}

// WriteCurves publishes the objective's curves over a run of steps steps:
// the first image's, or, in the methods view, one per method in the cells'
// order (the display draws them in stage.ColSeries).
func WriteCurves(curves [][]float64, steps int) {
	o := viewObject()
	arr := js.Global().Get("Array").New(len(curves))
	for k, c := range curves {
		b := make([]byte, 8*len(c))
		for i, v := range c {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
		u8 := js.Global().Get("Uint8Array").New(len(b))
		js.CopyBytesToJS(u8, b)
		arr.SetIndex(k, u8)
	}
	o.Set("curves", arr)
	o.Set("steps", steps)
	o.Set("curveVer", o.Get("curveVer").Int()+1)
}

// WriteProgress publishes the run's progress, in [0, 1].
func WriteProgress(p float64) { viewObject().Set("progress", p) }

// Read brings v up to date with the engine's view, copying only the images
// and the curve that changed since the last Read into v.
func Read(v *View) {
	o := js.Global().Get(viewKey)
	if !o.Truthy() {
		return
	}
	v.Mode = str(o.Get("mode"))
	v.Size = num(o.Get("size"))
	v.Steps = num(o.Get("steps"))
	if p := o.Get("progress"); p.Type() == js.TypeNumber {
		v.Progress = p.Float()
	}
	if ver := num(o.Get("version")); ver != v.Version || v.Cells == nil {
		v.Version = ver
		v.Cells = nil
	}
	cells := o.Get("cells")
	n := cells.Length()
	if len(v.Cells) != n {
		v.Cells = make([]Cell, n)
	}
	for i := range n {
		c, dst := cells.Index(i), &v.Cells[i]
		if dst.Ver == 0 && dst.Label == "" {
			dst.Label = str(c.Get("label"))
		}
		ver := num(c.Get("ver"))
		if ver == dst.Ver {
			continue
		}
		u8 := c.Get("rgba")
		if !u8.Truthy() {
			dst.RGBA, dst.Ver = nil, ver
			continue
		}
		if len(dst.RGBA) != u8.Length() {
			dst.RGBA = make([]byte, u8.Length())
		}
		js.CopyBytesToGo(dst.RGBA, u8)
		dst.Ver = ver
	}
	if cv := num(o.Get("curveVer")); cv != v.CurveVer {
		v.CurveVer = cv
		arr := o.Get("curves")
		n := 0
		if arr.Truthy() {
			n = arr.Length()
		}
		v.Curves = slices.Grow(v.Curves[:0], n)[:n]
		for k := range n {
			u8 := arr.Index(k)
			b := make([]byte, u8.Length())
			js.CopyBytesToGo(b, u8)
			c := v.Curves[k][:0]
			for i := 0; i+8 <= len(b); i += 8 {
				c = append(c, math.Float64frombits(binary.LittleEndian.Uint64(b[i:])))
			}
			v.Curves[k] = c
		}
	}
}

func str(v js.Value) string {
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

func num(v js.Value) int {
	if v.Type() != js.TypeNumber {
		return 0
	}
	return v.Int()
}
