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
//     several specialisations (see gpu.Kernel);
//   - helpers that several families need are written once, in lib/, and a
//     kernel file takes one with a line `//!include lib/NAME.wgsl`, which
//     Source replaces with that file (a comment to WGSL tools, so each file
//     still reads as WGSL).
package shaders

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

//go:embed *.wgsl lib/*.wgsl
var files embed.FS

// includePrefix starts a line that Source replaces with a file of lib/.
const includePrefix = "//!include "

// Source returns the WGSL source of the kernel family in file name
// (for example "gemm.wgsl"), its includes replaced by the files they name.
func Source(name string) (string, error) { return source(files, name) }

func source(fsys fs.FS, name string) (string, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", fmt.Errorf("shaders: %s: %w", name, err)
	}
	src := string(b)
	if !strings.Contains(src, includePrefix) {
		return src, nil
	}
	var out strings.Builder
	for i, line := range strings.SplitAfter(src, "\n") {
		inc, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), includePrefix)
		if !ok {
			out.WriteString(line)
			continue
		}
		inc = strings.TrimSpace(inc)
		if !strings.HasPrefix(inc, "lib/") {
			return "", fmt.Errorf("shaders: %s:%d: include %q: want a file of lib/", name, i+1, inc)
		}
		lib, err := fs.ReadFile(fsys, inc)
		if err != nil {
			return "", fmt.Errorf("shaders: %s:%d: include: %w", name, i+1, err)
		}
		if strings.HasPrefix(string(lib), includePrefix) || strings.Contains(string(lib), "\n"+includePrefix) {
			return "", fmt.Errorf("shaders: %s:%d: include %s: a lib/ file includes nothing", name, i+1, inc)
		}
		out.Write(lib)
	}
	return out.String(), nil
}

// Names lists the embedded kernel files (not lib/'s helpers).
func Names() []string {
	entries, _ := files.ReadDir(".")
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}
