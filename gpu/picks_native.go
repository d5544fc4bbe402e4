//go:build !(js && wasm)

package gpu

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// FilePicks is a PickCache in a JSON file (key → variant), the native
// counterpart of the browser's LocalStorage: later runs on the same
// adapter skip the tuner's trials and run the same variants, so their
// numbers agree (kernels.go). A file that is missing or unreadable keeps
// nothing; one that cannot be written leaves Pick measuring as usual.
func FilePicks(path string) PickCache { return filePicks(path) }

// DefaultPicksPath is where the hubel command keeps its picks:
// kernel-picks.json in the user's cache folder (os.UserCacheDir).
func DefaultPicksPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "hubel", "kernel-picks.json"), nil
}

type filePicks string

func (p filePicks) load() map[string]string {
	m := map[string]string{}
	if b, err := os.ReadFile(string(p)); err == nil {
		if json.Unmarshal(b, &m) != nil {
			return map[string]string{}
		}
	}
	return m
}

func (p filePicks) Get(key string) string { return p.load()[key] }

func (p filePicks) Set(key, variant string) {
	m := p.load()
	m[key] = variant
	b, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		return
	}
	path := string(p)
	if os.MkdirAll(filepath.Dir(path), 0o755) != nil {
		return
	}
	// Written beside and renamed, so that a run reading it meanwhile sees
	// the old file or the new, never half of one.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kernel-picks-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}
