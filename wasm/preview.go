//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"syscall/js"
	"time"
	"unsafe"

	"github.com/hubelviz/hubel/am"
	"github.com/hubelviz/hubel/models"
	"github.com/hubelviz/hubel/wasm/app"
)

// The page's first image, the CPU preview (runner.preview), is drawn by a
// second copy of this program in a worker (site/preview-worker.js) while
// the page's own copy loads the model: on the page's one thread the two
// took turns, and the preview (~0.3 s on SwiftShader's machine) came after
// the model. The worker knows the model only by its zoo entry, so the page
// takes its images only where they were drawn from the same inputs
// (previewKey); otherwise it draws its own.

// previewInputs returns the config and number of images of the image view's
// preview for s (its objectives filled in), or false where there is none:
// another view, a code parameterisation (drawn by the generator), or a
// batch too large for the CPU.
func previewInputs(s app.State) (am.Config, int, bool) {
	cfg := configOf(s)
	if s.View != "image" || cfg.Param == "dgn" || cfg.Param == "ppgn" {
		return cfg, 0, false
	}
	objs, err := s.Images()
	if err != nil {
		return cfg, 0, false // runImage reports it
	}
	// The CPU's Fourier transform costs about n·S²·1.5·S per channel: up
	// to bench.html's 232 px image (~0.3 s in wasm) the preview is worth
	// it; a larger batch or size waits for the GPU instead.
	if S := s.Size; len(objs)*S*S*(S+S/2) > 232*232*348 {
		return cfg, 0, false
	}
	return cfg, len(objs), true
}

// previewKey names everything the preview's pixels depend on.
func previewKey(cfg am.Config, n int, desc *models.Descriptor) string {
	return fmt.Sprintf("%#v|%d|%d|%v", cfg, n, desc.Input.Channels, desc.Input.Mean)
}

// drawPreview is the preview of cfg's n images for the model desc describes.
func drawPreview(cfg am.Config, n int, desc *models.Descriptor) ([]float32, error) {
	return am.PreviewModel(context.Background(), am.Backend[[]float64, func()](am.CPUBackend{}), desc, cfg, n)
}

// previewWorkerMain is the program in the preview worker: it draws the
// preview of the page address's zoo model (job.hash) and posts
// {key, images} (an ArrayBuffer of float32, transferred), or null where it
// has none to draw.
func previewWorkerMain(job js.Value) {
	post := func(key string, imgs []float32) {
		if imgs == nil {
			js.Global().Call("postMessage", nil)
			return
		}
		u8 := js.Global().Get("Uint8Array").New(4 * len(imgs))
		js.CopyBytesToJS(u8, unsafe.Slice((*byte)(unsafe.Pointer(&imgs[0])), 4*len(imgs)))
		msg := js.Global().Get("Object").New()
		msg.Set("key", key)
		msg.Set("images", u8.Get("buffer"))
		js.Global().Call("postMessage", msg, []any{u8.Get("buffer")})
	}
	s, err := app.Parse(job.Get("hash").String(), app.Defaults())
	if err != nil || s.Model == "" || s.URL != "" {
		post("", nil)
		return
	}
	e, err := models.FindZoo(s.Model)
	if err != nil {
		post("", nil)
		return
	}
	desc := e.Descriptor
	s = withDefaults(s, &desc)
	cfg, n, ok := previewInputs(s)
	if !ok {
		post("", nil)
		return
	}
	imgs, err := drawPreview(cfg, n, &desc)
	if err != nil || len(imgs) == 0 {
		post("", nil)
		return
	}
	post(previewKey(cfg, n, &desc), imgs)
}

// workerPreview returns the preview worker's images where they were drawn
// for key, waiting at most wait for them (window.hubelPreview, a Promise
// of the worker's message or of null; site/app.js). It takes the promise:
// a later run draws its own.
func workerPreview(key string, wait time.Duration) []float32 {
	p := js.Global().Get("hubelPreview")
	if !p.Truthy() || p.Get("then").Type() != js.TypeFunction {
		return nil
	}
	js.Global().Set("hubelPreview", js.Undefined())
	got := make(chan js.Value, 1)
	then := js.FuncOf(func(_ js.Value, a []js.Value) any {
		if len(a) > 0 {
			got <- a[0]
		} else {
			got <- js.Null()
		}
		return nil
	})
	p.Call("then", then)
	var m js.Value
	select {
	case m = <-got:
		then.Release()
	case <-time.After(wait):
		return nil // then may still run: leave it allocated
	}
	if !m.Truthy() || m.Get("key").String() != key {
		return nil
	}
	u8 := js.Global().Get("Uint8Array").New(m.Get("images"))
	imgs := make([]float32, u8.Length()/4)
	if len(imgs) == 0 {
		return nil
	}
	js.CopyBytesToGo(unsafe.Slice((*byte)(unsafe.Pointer(&imgs[0])), 4*len(imgs)), u8)
	return imgs
}
