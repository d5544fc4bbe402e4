//go:build js && wasm

package gpu

import (
	"fmt"
	"syscall/js"

	"github.com/gogpu/gputypes"
	"github.com/gogpu/wgpu"
)

// Open acquires the browser's WebGPU adapter (navigator.gpu) and creates a
// device on it. It blocks on JS promises, so call it from a goroutine, never
// from inside a js.FuncOf callback.
func Open(opts Options) (*Device, error) {
	if g := js.Global().Get("navigator").Get("gpu"); g.IsUndefined() || g.IsNull() {
		return nil, fmt.Errorf("%w: this browser has no WebGPU (navigator.gpu is missing)", ErrNoAdapter)
	}
	inst, err := wgpu.CreateInstance(nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoAdapter, err)
	}
	ad, err := inst.RequestAdapter(&wgpu.RequestAdapterOptions{
		PowerPreference: gputypes.PowerPreferenceHighPerformance,
	})
	if err != nil {
		inst.Release()
		return nil, fmt.Errorf("%w: requestAdapter: %v", ErrNoAdapter, err)
	}
	d, err := newDevice(inst, ad, opts)
	if err != nil {
		ad.Release()
		inst.Release()
		return nil, err
	}
	d.Adapter = browserAdapterName()
	d.zeroFilled = true // WebGPU zero-fills new buffers (spec, "Buffer creation")
	d.lazyPipelines = true
	return d, nil
}

// browserAdapterName reads GPUAdapterInfo through a second requestAdapter:
// gogpu's browser adapter does not expose it. It waits on a promise, so it
// must run on a goroutine (Open's caller's).
func browserAdapterName() string {
	done := make(chan string, 1)
	var then, fail js.Func
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		name := "WebGPU adapter"
		if len(args) > 0 && !args[0].IsNull() && !args[0].IsUndefined() {
			info := args[0].Get("info")
			if !info.IsUndefined() {
				parts := ""
				for _, k := range []string{"vendor", "architecture", "device", "description"} {
					if v := info.Get(k); v.Type() == js.TypeString && v.String() != "" {
						if parts != "" {
							parts += " "
						}
						parts += v.String()
					}
				}
				if parts != "" {
					name = parts
				}
			}
		}
		done <- name + " [WebGPU]"
		return nil
	})
	fail = js.FuncOf(func(_ js.Value, _ []js.Value) any {
		done <- "WebGPU adapter [WebGPU]"
		return nil
	})
	defer then.Release()
	defer fail.Release()
	js.Global().Get("navigator").Get("gpu").Call("requestAdapter").Call("then", then, fail)
	return <-done
}
