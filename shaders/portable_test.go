package shaders

import (
	"regexp"
	"strings"
	"testing"
)

// uninitialisedLocal matches a function-scope `var name: T;` (indented, no
// initialiser, not a module-scope var<…>).
var uninitialisedLocal = regexp.MustCompile(`^\s+var\s+\w+\s*:\s*[^=;]+;`)

// TestLocalsInitialised: WGSL zero-initialises a `var x: T;`, but gogpu's
// naga (v0.19) emits it with no initialiser in SPIR-V, and NVIDIA's Vulkan
// driver then leaves it undefined (the register-tiled convolutions returned
// Inf on an H100) while lavapipe, which CI runs, happens to read zeros. So
// every local is initialised explicitly, e.g. `var acc = array<f32, 4>();`.
func TestLocalsInitialised(t *testing.T) {
	for _, name := range Names() {
		src, err := Source(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(src, "\n") {
			if uninitialisedLocal.MatchString(line) {
				t.Errorf("%s:%d: %q: give the local an explicit initialiser (T())", name, i+1, strings.TrimSpace(line))
			}
		}
	}
}
