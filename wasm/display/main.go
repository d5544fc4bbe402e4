//go:build js && wasm

// Command display is the app page's display (display.wasm): it draws the
// stage that the engine (hubel.wasm) publishes through package page, the
// images as they form, the objective's curve and the progress bar, on an
// ebiten canvas behind the page's HTML. The page starts it once the engine
// has shown its first image (window.hubelStartDisplay in site/app.js),
// so that ebiten's start-up does not delay that image.
package main

import (
	"fmt"
	"syscall/js"

	"github.com/hajimehoshi/ebiten/v2"
)

func main() {
	ebiten.SetWindowTitle("hubel")
	ebiten.SetTPS(30)
	err := ebiten.RunGameWithOptions(newGame(), &ebiten.RunGameOptions{InitUnfocused: true})
	if err != nil {
		if f := js.Global().Get("hubelDisplayError"); f.Type() == js.TypeFunction {
			f.Invoke(fmt.Sprintf("The display could not start (WebGL2 is needed to show the image): %v", err))
		}
	}
	select {}
}
