// Package shaders holds hubel's WGSL compute kernels, one file per kernel
// family, embedded into the binary so that the native tool and the browser
// build run exactly the same source.
//
// Conventions shared by every kernel:
//   - binding 0 of group 0 is a uniform struct named Params holding the
//     dispatch's shape (u32 words; floats are bit-cast by the Go launcher);
//   - bindings 1.. are f32 storage buffers, read-only inputs first;
//   - constants such as workgroup and tile sizes are not written in the file:
//     the engine prepends `const NAME = value;` lines, so one file serves
//     several specialisations (see gpu.Kernel).
package shaders

import (
	"embed"
	"fmt"
)

//go:embed *.wgsl
var files embed.FS

// Source returns the WGSL source of the kernel family in file name
// (for example "gemm.wgsl").
func Source(name string) (string, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("shaders: %s: %w", name, err)
	}
	return string(b), nil
}

// Names lists the embedded kernel files.
func Names() []string {
	entries, _ := files.ReadDir(".")
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
