package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain keeps the tuner's picks of the commands under test in a
// temporary file rather than the user's cache folder.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hubel-picks")
	if err == nil {
		os.Setenv("HUBEL_KERNEL_PICKS", filepath.Join(dir, "kernel-picks.json"))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestKernelsFlag runs `hubel bench` on the bundled MNIST classifier:
// -kernels pins the variants its report names, an unpinned run keeps its
// picks in $HUBEL_KERNEL_PICKS and the next run uses them, and a bad
// -kernels is an error naming the flag, the family and the variant.
func TestKernelsFlag(t *testing.T) {
	picks := filepath.Join(t.TempDir(), "picks.json")
	t.Setenv("HUBEL_KERNEL_PICKS", picks)
	bench := func(extra ...string) (string, string) {
		t.Helper()
		args := append([]string{"bench", "-model", "../../models/bundled/mnist", "-size", "28", "-layer", "conv2",
			"-batch", "1", "-steps", "2", "-rounds", "1", "-json"}, extra...)
		out, stderr, code := hubel(args...)
		if code != 0 {
			if strings.Contains(stderr, "adapter") && os.Getenv("CI") != "true" {
				t.Skip(stderr)
			}
			t.Fatalf("hubel %v: status %d: %s", args, code, stderr)
		}
		var r struct{ Adapter, Kernels string }
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return r.Adapter, r.Kernels
	}

	pinned := "conv2d=direct,depthwise=simple,gemm=naive"
	if _, got := bench("-kernels", " gemm=naive, depthwise=simple ,conv2d=direct"); got != pinned {
		t.Errorf("-kernels pinned: report names %q, want %q", got, pinned)
	}
	if _, err := os.Stat(picks); err == nil {
		t.Errorf("a run with every family pinned wrote %s; it measured nothing to keep", picks)
	}

	adapter, first := bench()
	kept, err := os.ReadFile(picks)
	if err != nil {
		t.Fatalf("after an unpinned run: %v", err)
	}
	for _, item := range strings.Split(first, ",") {
		fam, v, _ := strings.Cut(item, "=")
		if key := adapter + "|" + fam + "|"; !strings.Contains(string(kept), key) || !strings.Contains(string(kept), `": "`+v+`"`) {
			t.Errorf("%s holds %s; want the pick %s under a key starting %q", picks, kept, item, key)
		}
	}
	if _, again := bench(); again != first {
		t.Errorf("second unpinned run picked %q; want the kept %q", again, first)
	}

	for _, c := range []struct{ kernels, want string }{
		{"gemm=bogus", `hubel bench: -kernels: gpu: kernels: gemm has no variant "bogus"`},
		{"winograd=fast", `hubel bench: -kernels: gpu: kernels: unknown family "winograd"`},
		{"gemm", `hubel bench: -kernels: gpu: kernels: "gemm" is not family=variant`},
	} {
		_, stderr, code := hubel("bench", "-model", "../../models/bundled/mnist", "-size", "28", "-layer", "conv2", "-kernels", c.kernels)
		if code != 1 || !strings.HasPrefix(stderr, c.want) {
			t.Errorf("-kernels %q: status %d, stderr %q; want status 1 and %q", c.kernels, code, stderr, c.want)
		}
	}
}
