//go:build js && wasm

package main

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"sync"
	"syscall/js"

	"github.com/hubelviz/hubel/wasm/page"
)

// view is what the stage shows, written by the runner. Each change is
// published to the display (page.Write*), and painted on the placeholder
// canvas until the display is live (paintLocked). Its lock is never held across
// anything that waits.
type view struct {
	mu       sync.Mutex
	mode     string // "", "image", "gallery" or "methods"
	size     int
	cells    []cell
	progress float64
	version  int              // bumped when the cells change in number
	scratch  js.Value         // paintLocked's canvas of one image at its size
	painted  bool             // paintLocked has drawn an image
	sent     page.CellsSender // paintLocked's report of the cells' places
}

// cell is one image of the stage.
type cell struct {
	label   string
	channel int // gallery: the channel; −1 otherwise
	rgba    []byte
	ver     int // bumped at each new frame
	done    bool
}

func (v *view) reset(mode string, size int, labels []string, chans []int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	same := mode == v.mode && size == v.size && len(labels) == len(v.cells)
	for i := 0; same && i < len(labels); i++ {
		same = labels[i] == v.cells[i].label && (chans == nil && v.cells[i].channel == -1 || chans != nil && chans[i] == v.cells[i].channel)
	}
	v.mode, v.size, v.progress = mode, size, 0
	if same {
		// The same cells keep their images until the run's first frame
		// replaces them (the page's preview, a restart), rather than
		// flashing empty.
		for i := range v.cells {
			v.cells[i].done = false
		}
		page.WriteProgress(0)
		page.WriteCurves(nil, 0)
		return
	}
	v.cells = make([]cell, len(labels))
	for i, l := range labels {
		v.cells[i] = cell{label: l, channel: -1}
		if chans != nil {
			v.cells[i].channel = chans[i]
		}
	}
	v.version++
	page.WriteCells(mode, size, v.version, labels)
	page.WriteProgress(0)
	page.WriteCurves(nil, 0)
	v.paintLocked()
}

func (v *view) clear() { v.reset("", 0, nil, nil) }

// setImages stores NHWC float images in [0, 1] as cells first, first+1, ….
func (v *view) setImages(first int, imgs []float32) {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := v.size * v.size * 3
	if n == 0 {
		return
	}
	for k := 0; (k+1)*n <= len(imgs) && first+k < len(v.cells); k++ {
		c := &v.cells[first+k]
		if len(c.rgba) != v.size*v.size*4 {
			c.rgba = make([]byte, v.size*v.size*4)
		}
		src := imgs[k*n : (k+1)*n]
		for p := 0; p < v.size*v.size; p++ {
			for ch := 0; ch < 3; ch++ {
				c.rgba[4*p+ch] = to8(src[3*p+ch])
			}
			c.rgba[4*p+3] = 255
		}
		c.ver++
		page.WriteImage(first+k, c.ver, c.rgba)
	}
	v.paintLocked()
}

func to8(x float32) byte {
	if !(x > 0) {
		return 0
	}
	if x >= 1 {
		return 255
	}
	return byte(math.Round(float64(x) * 255))
}

// setCurves publishes the objective's curves (the first image's, or each
// method's) over a run of steps steps; the display keeps them.
func (v *view) setCurves(curves [][]float64, steps int) {
	v.mu.Lock()
	page.WriteCurves(curves, steps)
	v.mu.Unlock()
}

func (v *view) setProgress(p float64) {
	v.mu.Lock()
	v.progress = p
	page.WriteProgress(p)
	v.mu.Unlock()
}

func (v *view) markDone(first, n int) {
	v.mu.Lock()
	for i := first; i < first+n && i < len(v.cells); i++ {
		v.cells[i].done = true
	}
	v.mu.Unlock()
}

// png encodes the cells that have an image as one grid (or the single
// image; the methods view's side by side, in one row, as on the stage), at
// the render's resolution with a 4-pixel gap.
func (v *view) png() ([]byte, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var cells []*cell
	for i := range v.cells {
		if v.cells[i].rgba != nil {
			cells = append(cells, &v.cells[i])
		}
	}
	if len(cells) == 0 {
		return nil, errNothing
	}
	S, gap := v.size, 4
	cols := int(math.Ceil(math.Sqrt(float64(len(cells)))))
	if v.mode == "methods" {
		cols = len(cells)
	}
	rows := (len(cells) + cols - 1) / cols
	img := image.NewNRGBA(image.Rect(0, 0, cols*S+(cols-1)*gap, rows*S+(rows-1)*gap))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for k, c := range cells {
		x0, y0 := (k%cols)*(S+gap), (k/cols)*(S+gap)
		for y := 0; y < S; y++ {
			copy(img.Pix[(y0+y)*img.Stride+4*x0:], c.rgba[y*S*4:(y+1)*S*4])
		}
	}
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}
