package models

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoadMobileNet times what a page does once MobileNet v1 0.75's
// files have arrived: parse model.json, decode its 10 MB of float32
// weights and build the graph (load), then fold batch normalisation
// (lower). The files are read into memory first, so no disk time is in it.
// Under GOOS=js (go test -exec go_js_wasm_exec) with -benchtime 1x it
// times a first call, which V8 runs in its baseline code as a page does:
//
//	go test -bench LoadMobileNet -run '^$' ./models/
//	GOOS=js GOARCH=wasm go test -exec "$(go env GOROOT)/lib/wasm/go_js_wasm_exec" -bench LoadMobileNet -run '^$' -benchtime 1x ./models/
func BenchmarkLoadMobileNet(b *testing.B) {
	dir := needShared(b, mobilenetDir)
	files := Files{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range ents {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		files[e.Name()] = raw
	}
	ctx := context.Background()
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			if _, err := Load(ctx, files); err != nil {
				b.Fatal(err)
			}
		}
	})
	m, err := Load(ctx, files)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("lower", func(b *testing.B) {
		for b.Loop() {
			if _, err := Lower(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
