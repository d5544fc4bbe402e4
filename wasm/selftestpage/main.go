//go:build js && wasm

// Command selftestpage is the kernel self-test page's program
// (selftest.wasm, built by build.sh). The page (selftest.html) proves that the gpu package runs
// its WGSL kernels through the browser's WebGPU: it opens the adapter, runs
// wasm/selftest against gpu/ref, and publishes the results to the page as
// window.hubelSelfTest:
//
//	{done, adapter, total, results: [{kernel, shape, n, relErr, ok, err}], error, elapsedMs}
//
// After every change it dispatches a "hubelselftest" event on window, which
// the page uses to redraw.
package main

import (
	"context"
	"fmt"
	"syscall/js"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/wasm/selftest"
)

// main runs the kernel self-test and keeps the runtime alive.
func main() {
	st := js.Global().Get("Object").New()
	st.Set("done", false)
	st.Set("adapter", "")
	st.Set("results", js.Global().Get("Array").New())
	st.Set("total", selftest.Count())
	st.Set("error", js.Null())
	js.Global().Set("hubelSelfTest", st)
	publish()

	// gpu.Open and the read-backs wait on JS promises: they run on this
	// goroutine, never inside a js.FuncOf callback, which would deadlock
	// the event loop.
	go func() {
		if err := selfTest(st); err != nil {
			fmt.Println("hubel: self-test:", err)
			st.Set("error", err.Error())
		}
		st.Set("elapsedMs", js.Global().Get("performance").Call("now"))
		st.Set("done", true)
		publish()
	}()
	select {} // keep the Go runtime alive for the page
}

func selfTest(st js.Value) error {
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	st.Set("adapter", d.Adapter)
	fmt.Println("hubel: adapter:", d.Adapter)
	publish()
	results := st.Get("results")
	failed := 0
	selftest.Run(context.Background(), d, func(r selftest.Result) {
		if !r.OK {
			failed++
		}
		fmt.Printf("hubel: %-20s %-22s n=%-6d rel err %.3g ok=%v %s\n", r.Kernel, r.Shape, r.N, r.RelErr, r.OK, r.Err)
		results.Call("push", js.ValueOf(map[string]any{
			"kernel": r.Kernel, "shape": r.Shape, "n": r.N, "relErr": r.RelErr, "ok": r.OK, "err": r.Err,
		}))
		publish()
	})
	if failed > 0 {
		return fmt.Errorf("%d of %d kernel checks failed", failed, results.Length())
	}
	return nil
}

// publish tells the page that window.hubelSelfTest changed.
func publish() {
	ev := js.Global().Get("Event").New("hubelselftest")
	js.Global().Call("dispatchEvent", ev)
}
