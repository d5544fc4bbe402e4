package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderGrey renders a class of the bundled MNIST classifier (one
// channel) with Lucid's defaults: the output files are 8-bit grey PNGs of
// the asked size, the image is not flat, and the logit rises.
func TestRenderGrey(t *testing.T) {
	dir := t.TempDir()
	grid, one := filepath.Join(dir, "grid.png"), filepath.Join(dir, "each")
	var stdout, stderr bytes.Buffer
	code := run([]string{"render", "-model", "../../models/bundled/mnist", "-objective", "logit:3", "-objective", "conv2:5",
		"-steps", "24", "-size", "32", "-seed", "1", "-json", "-out", grid, "-out-dir", one}, &stdout, &stderr)
	if msg := stderr.String(); code != 0 {
		if strings.Contains(msg, "adapter") && os.Getenv("CI") != "true" {
			t.Skip(msg)
		}
		t.Fatalf("exit %d: %s", code, msg)
	}
	var res struct{ Objective [][]float64 }
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if c := res.Objective[0]; !(c[len(c)-1] > c[0]+1) {
		t.Errorf("logit:3 %.3f → %.3f did not rise", c[0], c[len(c)-1])
	}
	for _, f := range []string{grid, filepath.Join(one, "0.png"), filepath.Join(one, "1.png")} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		im, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		g, ok := im.(*image.Gray)
		if !ok {
			t.Fatalf("%s: %T, want an 8-bit grey PNG", f, im)
		}
		if f != grid && g.Bounds().Dx() != 32 {
			t.Errorf("%s: %v, want 32×32", f, g.Bounds())
		}
		lo, hi := uint8(255), uint8(0)
		for _, v := range g.Pix {
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi-lo < 64 {
			t.Errorf("%s: grey values span %d..%d, a flat image", f, lo, hi)
		}
	}
}
