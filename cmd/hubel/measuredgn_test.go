package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestCached checks measure-dgn's image cache: a second call with the same
// key returns the first call's images without rendering, and new weights
// (a shard rewritten) are never matched with the old images.
func TestCached(t *testing.T) {
	model, cache := t.TempDir(), t.TempDir()
	shard := filepath.Join(model, "group1-shard1of1.bin")
	if err := os.WriteFile(shard, []byte{1, 2, 3, 4}, 0o644); err != nil {
		t.Fatal(err)
	}
	renders := 0
	render := func(v float32) func() ([]float32, error) {
		return func() ([]float32, error) { renders++; return []float32{v, -v, 0.5}, nil }
	}
	a, err := cached(cache, model, "k", render(1.25))
	if err != nil {
		t.Fatal(err)
	}
	b, err := cached(cache, model, "k", render(7))
	if err != nil {
		t.Fatal(err)
	}
	if renders != 1 || !slices.Equal(a, b) {
		t.Fatalf("second call: %d renders, images %v then %v; want 1 render and the same images", renders, a, b)
	}
	if err := os.WriteFile(shard, []byte{5, 6, 7, 8, 9, 10, 11, 12}, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(shard, time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, err := cached(cache, model, "k", render(7))
	if err != nil {
		t.Fatal(err)
	}
	if renders != 2 || c[0] != 7 {
		t.Fatalf("after new weights: %d renders, images %v; want a fresh render", renders, c)
	}
	d, err := cached("", model, "k", render(3))
	if err != nil {
		t.Fatal(err)
	}
	if renders != 3 || d[0] != 3 {
		t.Fatalf("without a cache folder: %d renders, images %v; want a render every time", renders, d)
	}
}
