//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/hubelviz/hubel/models"
	"github.com/hubelviz/hubel/wasm/app"
)

var errNothing = errors.New("nothing to export yet: start a render first")

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// appMain starts the runner and gives the page its commands
// (window.hubelGo). The display (display.wasm) starts later (display).
func appMain() {
	v := &view{}
	r := newRunner(v)
	r.disp = &display{}
	funcs := map[string]func(args []js.Value) cmd{
		// start(hash, merge, id)
		"start": func(a []js.Value) cmd {
			return cmd{kind: "start", hash: arg(a, 0).String(), merge: arg(a, 1).Truthy(), id: argInt(a, 2)}
		},
		"pause":  func([]js.Value) cmd { return cmd{kind: "pause"} },
		"resume": func([]js.Value) cmd { return cmd{kind: "resume"} },
		"reset":  func([]js.Value) cmd { return cmd{kind: "reset"} },
		// export("image" | "grid")
		"export": func(a []js.Value) cmd { return cmd{kind: "export", which: arg(a, 0).String()} },
		// files(names[], Uint8Array[], id): a dropped model.json and shards
		"files": func(a []js.Value) cmd {
			names, data := arg(a, 0), arg(a, 1)
			fs := models.Files{}
			for i := 0; i < names.Length(); i++ {
				b := make([]byte, data.Index(i).Get("length").Int())
				js.CopyBytesToGo(b, data.Index(i))
				fs[names.Index(i).String()] = b
			}
			return cmd{kind: "files", files: fs, id: argInt(a, 2)}
		},
	}
	obj := js.Global().Get("Object").New()
	for name, f := range funcs {
		f := f
		obj.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) any {
			r.send(f(args)) // never blocks
			return nil
		}))
	}
	js.Global().Set("hubelGo", obj)
	go r.loop()
	if f := js.Global().Get("hubelReady"); f.Type() == js.TypeFunction {
		f.Invoke()
	}

	select {}
}

func arg(a []js.Value, i int) js.Value {
	if i < len(a) {
		return a[i]
	}
	return js.Undefined()
}

func argInt(a []js.Value, i int) int {
	if v := arg(a, i); v.Type() == js.TypeNumber {
		return v.Int()
	}
	return 0
}

func callJS(name string, args ...any) {
	if f := js.Global().Get(name); f.Type() == js.TypeFunction {
		f.Invoke(args...)
	}
}

// publish sends the state that window.hubel.state() returns.
func (r *runner) publish() {
	curve := make([]any, len(r.curve))
	for i, v := range r.curve {
		curve[i] = v
	}
	var errv any
	if r.errMsg != "" {
		errv = r.errMsg
	}
	backend, adapter := "", ""
	switch {
	case !r.deviceOpened():
		// still opening (init's goroutine sets dev)
	case r.dev != nil:
		backend, adapter = "webgpu", r.dev.Adapter
	case r.cpu:
		backend, adapter = "cpu", "CPU (gpu/ref, no WebGPU)"
	case r.devErr != nil:
		backend = "none"
	}
	var methods any
	if kind, class, err := r.state.MethodsClass(); r.state.View == "methods" && err == nil {
		curves := map[string]any{}
		for i, name := range []string{"pixel", "dgn", "ppgn"} {
			var c []any
			if i < len(r.methodCurves) {
				for _, v := range r.methodCurves[i] {
					c = append(c, v)
				}
			}
			curves[name] = c
		}
		methods = map[string]any{"kind": kind, "class": class, "eps1": r.state.Eps1, "eps2": r.state.Eps2, "eps3": r.state.Eps3, "curves": curves}
	}
	model := map[string]any{}
	if r.model != nil {
		model["name"] = r.model.plan.Model.Name
		model["where"] = r.model.where
	}
	callJS("hubelPublish", map[string]any{
		"ready":        backend != "",
		"running":      r.running,
		"paused":       r.paused,
		"step":         r.step,
		"steps":        r.steps,
		"objective":    curve,
		"adapter":      adapter,
		"backend":      backend,
		"error":        errv,
		"errorKey":     r.errKey,
		"notice":       r.notice,
		"stepsPerSec":  r.rate,
		"firstFrameMs": r.firstFrameMs,
		"marks":        r.marks,
		"cellsDone":    r.cellsDone,
		"cellsTotal":   r.cellsTotal,
		"view":         r.state.View,
		"hash":         r.state.Encode(appDefaults()),
		"model":        model,
		"methods":      methods,
	})
}

// settle resolves (err == nil) or rejects the page's promise id.
func (r *runner) settle(id int, err error) {
	if id == 0 {
		return
	}
	var msg any
	if err != nil {
		msg = err.Error()
	}
	callJS("hubelSettle", id, msg)
}

// status shows a passing message (loading a model, …).
func (r *runner) status(msg string) { callJS("hubelStatus", msg) }

// publishZoo tells the page which models it can offer.
func (r *runner) publishZoo() {
	var list []any
	for _, e := range r.zoo {
		list = append(list, map[string]any{
			"name": e.Name, "title": e.Title, "url": e.URL, "local": r.local[e.Name], "bundled": e.Bundled,
		})
	}
	callJS("hubelZoo", list, r.defaultModel())
}

// publishModel tells the page the loaded model's layers, for the pickers.
func (r *runner) publishModel() {
	d := r.model.desc
	var layers []any
	for _, l := range d.Layers {
		layers = append(layers, map[string]any{"name": l.Name, "channels": l.Channels, "height": l.Height, "width": l.Width})
	}
	classes, logits := 0, ""
	if n, err := r.model.plan.Logits(); err == nil {
		classes, logits = n.Shape[len(n.Shape)-1], n.Name
	}
	labels := make([]any, len(d.Labels))
	for i, l := range d.Labels {
		labels[i] = l
	}
	callJS("hubelModel", map[string]any{
		"name": r.model.plan.Model.Name, "title": d.Title, "where": r.model.where,
		"layers": layers, "classes": classes, "labels": labels, "logits": logits, "base": r.model.base,
		"generator": d.Generator != "",
		"input":     fmt.Sprintf("%d×%d×%d", d.Input.Height, d.Input.Width, d.Input.Channels),
	})
}

// export encodes the stage as a PNG and hands it to the page to download.
func (r *runner) export(which string) {
	b, err := r.view.png()
	if err != nil {
		callJS("hubelDownload", js.Null(), err.Error())
		return
	}
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	name := "hubel"
	if len(r.state.Objectives) > 0 && r.state.View != "gallery" {
		name += "-" + r.state.Objectives[0]
	} else if r.state.View == "gallery" {
		name += "-" + r.state.GalleryLayer()
	}
	callJS("hubelDownload", u8, name+".png")
}

func appDefaults() app.State { return app.Defaults() }
