package am

import (
	"context"
	"fmt"
	"testing"

	"github.com/hubelviz/hubel/models"
)

// BenchmarkPreviewCPU times the first frame of bench.html's render
// (232 px, Fourier parameter, batch 1) drawn by the CPU backend, as a page
// may while its model loads. Under GOOS=js with -benchtime 1x it times a
// first call, in V8's baseline code:
//
//	go test -bench PreviewCPU -run '^$' ./am/
//	GOOS=js GOARCH=wasm go test -exec "$(go env GOROOT)/lib/wasm/go_js_wasm_exec" -bench PreviewCPU -run '^$' -benchtime 1x ./am/
func BenchmarkPreviewCPU(b *testing.B) {
	cfg := Config{Size: 232, Steps: 2, Seed: 1, Transforms: "jitter:8"}
	for b.Loop() {
		if _, err := Preview(context.Background(), Backend[[]float64, func()](CPUBackend{}), cfg, 1, 3); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreviewModel times the app's first image (wasm/runner.go's
// preview): am.PreviewModel on the CPU backend for MobileNet's descriptor
// (3 channels, no mean colour), batch 1, with the app's default config
// (am.Defaults: Fourier parameter, random init, seed 0) at the app's
// default 128 px and at MobileNet's own 224 px.
//
//	go test -run '^$' -bench Preview -count 6 ./am/
//	GOOS=js GOARCH=wasm go test -exec "$(go env GOROOT)/lib/wasm/go_js_wasm_exec" -run '^$' -bench Preview -count 6 ./am/
func BenchmarkPreviewModel(b *testing.B) {
	desc := &models.Descriptor{Name: "mobilenet_v1_0.75_224"}
	desc.Input.Height, desc.Input.Width, desc.Input.Channels, desc.Input.Range = 224, 224, 3, [2]float64{-1, 1}
	for _, size := range []int{128, 224} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			cfg := Defaults()
			cfg.Size = size
			for b.Loop() {
				if _, err := PreviewModel(context.Background(), Backend[[]float64, func()](CPUBackend{}), desc, cfg, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
