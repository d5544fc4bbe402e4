package gpu_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hubelviz/hubel/gpu"
)

func TestParseKernels(t *testing.T) {
	cases := []struct {
		in   string
		want string // FormatKernels of the result
		err  string // part of the error, if one is expected
	}{
		{in: "", want: ""},
		{in: "gemm=reg8x8", want: "gemm=reg8x8"},
		{in: " gemm = reg4x4 , conv2d=direct ", want: "conv2d=direct,gemm=reg4x4"},
		{in: "depthwise=reg4x8,conv2d=reg8x16,gemm=wg16", want: "conv2d=reg8x16,depthwise=reg4x8,gemm=wg16"},
		{in: "gemm", err: `"gemm" is not family=variant`},
		{in: "gemm=", err: `"gemm=" is not family=variant`},
		{in: "gemm=naive,", err: `"" is not family=variant`},
		{in: "fft=naive", err: `unknown family "fft" (want one of conv2d, depthwise, gemm)`},
		{in: "gemm=reg16x16", err: `gemm has no variant "reg16x16" (want one of naive, wg16, reg4x4, wg64reg4, reg8x8)`},
		{in: "gemm=naive,gemm=wg16", err: `family "gemm" named twice`},
	}
	for _, c := range cases {
		got, err := gpu.ParseKernels(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseKernels(%q) = %v, %v; want an error containing %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || gpu.FormatKernels(got) != c.want {
			t.Errorf("ParseKernels(%q) = %q, %v; want %q", c.in, gpu.FormatKernels(got), err, c.want)
		}
		if again, err := gpu.ParseKernels(gpu.FormatKernels(got)); err != nil || gpu.FormatKernels(again) != c.want {
			t.Errorf("ParseKernels(FormatKernels(%q)) = %v, %v", c.in, again, err)
		}
	}
}

// TestPinnedKernels opens devices with pinned variants: Pick returns them
// without trials, and two devices pinned alike compute the same bits, which
// is what lets a run reproduce another's numbers.
func TestPinnedKernels(t *testing.T) {
	device(t)
	if _, err := gpu.Open(gpu.Options{Kernels: map[string]string{"gemm": "fastest"}}); err == nil || !strings.Contains(err.Error(), `gemm has no variant "fastest"`) {
		t.Fatalf("Open with an unknown variant: %v", err)
	}
	pinned := map[string]string{"gemm": gpu.GEMMReg4x4, "conv2d": gpu.ConvReg8x8, "depthwise": gpu.DepthwiseSimple}
	g := gemmCases(31, 1)[0]
	var outs [][]float32
	for range 2 {
		d, err := gpu.Open(gpu.Options{Kernels: pinned})
		if err != nil {
			t.Fatal(err)
		}
		k := d.Kernels()
		if gpu.FormatKernels(k) != gpu.FormatKernels(pinned) || d.SetupCost().Trials != 0 {
			t.Errorf("pinned %v: Kernels %v after %d trials; want the pins and no trials", pinned, k, d.SetupCost().Trials)
		}
		ba, bb, bc := upload(t, d, g.abuf), upload(t, d, g.bbuf), upload(t, d, g.cbuf)
		op, err := d.GEMM(g.s, bc, ba, bb, nil) // the shape's Variant is "": the device's pick
		run(t, d, op, err)
		outs = append(outs, read(t, d, bc))
		d.Close()
	}
	// Bits, not values: C's padding holds NaN sentinels (gemmCase).
	if !slices.EqualFunc(outs[0], outs[1], func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
		t.Errorf("two devices pinned to %v computed different GEMMs", pinned)
	}
}

// TestFilePicks keeps the tuner's picks in a file: a second device on the
// same adapter runs the first one's picks without trials.
func TestFilePicks(t *testing.T) {
	device(t)
	path := filepath.Join(t.TempDir(), "cache", "picks.json")
	d, err := gpu.Open(gpu.Options{Picks: gpu.FilePicks(path)})
	if err != nil {
		t.Fatal(err)
	}
	first, err := d.Pick("gemm")
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), `"`+first+`"`) {
		t.Fatalf("picks file after a trial: %q, %v; want it to hold %q", b, err, first)
	}
	d, err = gpu.Open(gpu.Options{Picks: gpu.FilePicks(path)})
	if err != nil {
		t.Fatal(err)
	}
	again, err := d.Pick("gemm")
	if err != nil || again != first || d.SetupCost().Trials != 0 {
		t.Errorf("second device: picked %q (%v) after %d trials; want the kept %q and no trials", again, err, d.SetupCost().Trials, first)
	}
	d.Close()

	// A corrupt file keeps nothing and is rewritten; a path that cannot
	// be written keeps nothing and does not fail the pick.
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := gpu.FilePicks(path)
	if v := p.Get("k"); v != "" {
		t.Errorf("Get from a corrupt file = %q, want \"\"", v)
	}
	p.Set("k", "v")
	if v := gpu.FilePicks(path).Get("k"); v != "v" {
		t.Errorf("after Set on a corrupt file: Get = %q, want v", v)
	}
	blocked := gpu.FilePicks(filepath.Join(path, "under-a-file.json"))
	blocked.Set("k", "v")
	if v := blocked.Get("k"); v != "" {
		t.Errorf("Get from an unwritable path = %q, want \"\"", v)
	}
}

// A report names the kernels a run used; -kernels hands them back to a
// later run, which then computes the same bits.
func ExampleParseKernels() {
	pins, err := gpu.ParseKernels("gemm=reg8x8, conv2d=reg8x16")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(gpu.FormatKernels(pins))
	_, err = gpu.ParseKernels("gemm=fastest")
	fmt.Println(err)
	// Output:
	// conv2d=reg8x16,gemm=reg8x8
	// gpu: kernels: gemm has no variant "fastest" (want one of naive, wg16, reg4x4, wg64reg4, reg8x8)
}
