package shaders

import (
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

var fnName = regexp.MustCompile(`(?m)^fn (\w+)\(`)

// TestSourceIncludes: every kernel file, its includes replaced, defines
// each function once and has no include line left; flat and the window
// helpers come from lib/ and are written nowhere else.
func TestSourceIncludes(t *testing.T) {
	for _, name := range Names() {
		src, err := Source(name)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, m := range fnName.FindAllStringSubmatch(src, -1) {
			if seen[m[1]] {
				t.Errorf("%s: fn %s is defined twice", name, m[1])
			}
			seen[m[1]] = true
		}
		if strings.Contains("\n"+src, "\n"+includePrefix) {
			t.Errorf("%s: an include line is left", name)
		}
		raw, _ := files.ReadFile(name)
		for _, helper := range []string{"flat", "in_pos", "inside", "exact_div", "out_pos"} {
			if strings.Contains(string(raw), "fn "+helper+"(") {
				t.Errorf("%s writes fn %s itself; include it from lib/", name, helper)
			}
		}
	}
	conv, err := Source("conv2d.wgsl")
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"fn flat(", "fn exact_div(", "fn out_pos("} {
		if !strings.Contains(conv, fn) {
			t.Errorf("conv2d.wgsl's source lacks %s…) from lib/", fn)
		}
	}
}

func TestSourceIncludeErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"lib/a.wgsl":   {Data: []byte("fn a() {}\n")},
		"lib/b.wgsl":   {Data: []byte("//!include lib/a.wgsl\n")},
		"ok.wgsl":      {Data: []byte("const X = 1u;\n//!include lib/a.wgsl\nfn main() {}\n")},
		"missing.wgsl": {Data: []byte("//!include lib/none.wgsl\n")},
		"outside.wgsl": {Data: []byte("//!include ok.wgsl\n")},
		"nested.wgsl":  {Data: []byte("\n//!include lib/b.wgsl\n")},
		"mention.wgsl": {Data: []byte("// lines like `//!include lib/a.wgsl` are replaced\n")},
	}
	got, err := source(fsys, "ok.wgsl")
	if want := "const X = 1u;\nfn a() {}\nfn main() {}\n"; err != nil || got != want {
		t.Errorf("ok.wgsl: got %q, %v; want %q", got, err, want)
	}
	if got, err := source(fsys, "mention.wgsl"); err != nil || got != string(fsys["mention.wgsl"].Data) {
		t.Errorf("mention.wgsl: an include inside a comment line was replaced: %q, %v", got, err)
	}
	for name, want := range map[string]string{
		"missing.wgsl": "missing.wgsl:1: include: open lib/none.wgsl",
		"outside.wgsl": `outside.wgsl:1: include "ok.wgsl": want a file of lib/`,
		"nested.wgsl":  "nested.wgsl:2: include lib/b.wgsl: a lib/ file includes nothing",
		"none.wgsl":    "shaders: none.wgsl:",
	} {
		if _, err := source(fsys, name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, want)
		}
	}
}
