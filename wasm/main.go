//go:build js && wasm

// Command wasm is hubel's browser program. On the site's main page it runs
// activation maximisation with am.Renderer on the browser's WebGPU and shows
// the image as it forms on an ebiten canvas, beside the page's HTML
// controls; on selftest.html it runs the kernel self-test instead.
//
// The page talks to it through window.hubelGo (commands: start, pause,
// resume, reset, export, files), and it reports through window.hubelPublish
// (the state that window.hubel.state() returns), both defined in
// site/app.js. No callback from JavaScript ever blocks: each one hands its
// command to the runner goroutine, which is the only one that waits on the
// GPU, the network or a promise.
package main

import (
	"syscall/js"
)

func main() {
	if m := js.Global().Get("hubelMode"); m.Type() == js.TypeString && m.String() == "selftest" {
		selfTestMain()
		return
	}
	appMain()
}
