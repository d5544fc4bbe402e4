package am

import (
	"context"
	"testing"
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
