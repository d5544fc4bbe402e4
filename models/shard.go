package models

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Reshard copies the model folder src to dst (which must not exist yet)
// with its weights regrouped into fewer, larger files: consecutive groups
// of the weights manifest are merged while the merged group stays within
// maxBytes (a group larger than that stays as it is), and each new group
// is one file, group<i>-shard1of1.bin. The weights, their order and every
// other field of model.json are kept, and every other file of src
// (hubel.json, dataset examples, subfolders) is copied as it is. A page
// then fetches a few files instead of one per layer (MobileNet v1: 55),
// and a group is still decoded as soon as its one file is in.
//
// It reads every weight file first and fails, naming the file and the
// problem, on a manifest hubel's loader would refuse for the same reason
// (a path that leaves the folder, a file of the wrong size, an unknown
// dtype).
func Reshard(src, dst string, maxBytes int) error {
	mj := filepath.Join(src, "model.json")
	raw, err := os.ReadFile(mj)
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("models: %s: not a valid JSON model: %v", mj, err)
	}
	// The weight entries are kept as written (every field, known or not);
	// their decoded form gives each one's size.
	var groups []struct {
		Paths   []string          `json:"paths"`
		Weights []json.RawMessage `json:"weights"`
	}
	var specs []manifestGroup
	if m, ok := doc["weightsManifest"]; ok {
		if err := json.Unmarshal(m, &groups); err != nil {
			return fmt.Errorf("models: %s: field weightsManifest: %v", mj, err)
		}
		if err := json.Unmarshal(m, &specs); err != nil {
			return fmt.Errorf("models: %s: field weightsManifest: %v", mj, err)
		}
	}
	if err := checkManifestPaths(specs, mj); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	where := func(p string) string { return filepath.Join(src, filepath.FromSlash(p)) }
	data := make([][]byte, len(groups))
	weightFiles := map[string]bool{}
	for gi, g := range specs {
		for _, p := range g.Paths {
			b, err := os.ReadFile(where(p))
			if err != nil {
				return fmt.Errorf("models: %w", err)
			}
			data[gi] = append(data[gi], b...)
			weightFiles[filepath.FromSlash(p)] = true
		}
		if err := checkGroupSize(g, len(data[gi]), where(joinPaths(g.Paths))); err != nil {
			return fmt.Errorf("models: %w", err)
		}
	}

	// Consecutive groups, merged while they fit in maxBytes.
	type merged struct {
		weights []json.RawMessage
		data    []byte
	}
	var out []merged
	for gi, g := range groups {
		if n := len(out); n > 0 && len(out[n-1].data)+len(data[gi]) <= maxBytes {
			out[n-1].weights = append(out[n-1].weights, g.Weights...)
			out[n-1].data = append(out[n-1].data, data[gi]...)
			continue
		}
		out = append(out, merged{append([]json.RawMessage(nil), g.Weights...), data[gi]})
	}

	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("models: reshard: %s already exists", dst)
	}
	// Everything but model.json and the old weight files, as it is.
	srcFS := os.DirFS(src)
	err = fs.WalkDir(srcFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		to := filepath.Join(dst, filepath.FromSlash(p))
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case p == "model.json" || weightFiles[filepath.FromSlash(p)]:
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: not a regular file", where(p))
		}
		b, err := fs.ReadFile(srcFS, p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		return fmt.Errorf("models: reshard %s: %w", src, err)
	}
	manifest := make([]map[string]any, len(out))
	for i, g := range out {
		name := fmt.Sprintf("group%d-shard1of1.bin", i+1)
		to := filepath.Join(dst, name)
		if _, err := os.Lstat(to); err == nil {
			return fmt.Errorf("models: reshard: %s: a file of %s has the new weight file's name", to, src)
		}
		if err := os.WriteFile(to, g.data, 0o644); err != nil {
			return fmt.Errorf("models: %w", err)
		}
		manifest[i] = map[string]any{"paths": []string{name}, "weights": g.weights}
	}
	if doc["weightsManifest"], err = json.Marshal(manifest); err != nil {
		return fmt.Errorf("models: %s: %w", mj, err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("models: %s: %w", mj, err)
	}
	if err := os.WriteFile(filepath.Join(dst, "model.json"), b, 0o644); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	return nil
}
