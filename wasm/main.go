//go:build js && wasm

// Command wasm is hubel's browser engine (hubel.wasm). On the site's main
// page it runs activation maximisation with am.Renderer on the browser's
// WebGPU and publishes the images as they form (package page) to the
// display, wasm/display, which draws them on an ebiten canvas beside the
// page's HTML controls. (The kernel self-test page runs its own program,
// wasm/selftestpage.)
//
// The page talks to it through window.hubelGo (commands: start, pause,
// resume, reset, export, files), and it reports through window.hubelPublish
// (the state that window.hubel.state() returns), both defined in
// site/app.js. No callback from JavaScript ever blocks: each one hands its
// command to the runner goroutine, which is the only one that waits on the
// GPU, the network or a promise.
package main

func main() { appMain() }
