package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// splitTiny writes tinyModel to dir with one weight group per weight (the
// conv kernel's group in two files, as TF.js's converter splits a large
// group), plus a file and a subfolder that are not weights.
func splitTiny(t *testing.T, dir string) {
	t.Helper()
	tiny := tinyModel()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(tiny["model.json"], &doc); err != nil {
		t.Fatal(err)
	}
	var groups []struct {
		Weights []json.RawMessage `json:"weights"`
	}
	if err := json.Unmarshal(doc["weightsManifest"], &groups); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := tiny["group1-shard1of1"]
	sizes := []int{216, 12, 12, 12, 12, 12} // the tiny model's weights in bytes, in manifest order
	var manifest []map[string]any
	off := 0
	for i, w := range groups[0].Weights {
		b := data[off : off+sizes[i]]
		off += sizes[i]
		if i == 0 {
			write("w0a", b[:100])
			write("w0b", b[100:])
			manifest = append(manifest, map[string]any{"paths": []string{"w0a", "w0b"}, "weights": []json.RawMessage{w}})
			continue
		}
		name := fmt.Sprintf("w%d", i)
		write(name, b)
		manifest = append(manifest, map[string]any{"paths": []string{name}, "weights": []json.RawMessage{w}})
	}
	if off != len(data) {
		t.Fatalf("sizes cover %d of the shard's %d bytes", off, len(data))
	}
	doc["weightsManifest"], _ = json.Marshal(manifest)
	doc["userDefinedMetadata"] = json.RawMessage(`{"note":"kept"}`)
	raw, _ := json.Marshal(doc)
	write("model.json", raw)
	write("hubel.json", []byte(`{"labels":"x"}`))
	write("generator/model.json", []byte(`{"not":"touched"}`))
}

func TestReshard(t *testing.T) {
	src := t.TempDir()
	splitTiny(t, src)
	want, err := LoadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		maxBytes int
		files    []int // bytes in each new weight file
	}{
		{1 << 20, []int{276}},               // all in one
		{40, []int{216, 36, 24}},            // the kernel alone (larger than 40), then 3 + 2 vectors
		{1, []int{216, 12, 12, 12, 12, 12}}, // nothing merged
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.maxBytes), func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "out")
			if err := Reshard(src, dst, c.maxBytes); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				UserDefined     json.RawMessage `json:"userDefinedMetadata"`
				WeightsManifest []manifestGroup `json:"weightsManifest"`
			}
			raw, _ := os.ReadFile(filepath.Join(dst, "model.json"))
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			var sizes []int
			for i, g := range doc.WeightsManifest {
				if name := fmt.Sprintf("group%d-shard1of1.bin", i+1); !slices.Equal(g.Paths, []string{name}) {
					t.Errorf("group %d: paths %q, want [%s]", i, g.Paths, name)
				}
				fi, err := os.Stat(filepath.Join(dst, g.Paths[0]))
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, int(fi.Size()))
			}
			if !slices.Equal(sizes, c.files) {
				t.Errorf("weight files of %v bytes, want %v", sizes, c.files)
			}
			if string(doc.UserDefined) != `{"note":"kept"}` {
				t.Errorf("userDefinedMetadata %s, want it kept", doc.UserDefined)
			}
			for _, f := range []string{"hubel.json", "generator/model.json"} {
				a, _ := os.ReadFile(filepath.Join(src, f))
				b, err := os.ReadFile(filepath.Join(dst, f))
				if err != nil || !bytes.Equal(a, b) {
					t.Errorf("%s not copied as it is: %q, %v", f, b, err)
				}
			}
			for _, f := range []string{"w0a", "w1"} {
				if _, err := os.Stat(filepath.Join(dst, f)); err == nil {
					t.Errorf("old weight file %s copied too", f)
				}
			}
			got, err := LoadDir(dst)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, l := range want.Layers {
				g, _ := got.Layer(l.Name)
				for p, w := range l.Weights {
					n++
					if g == nil || g.Weights[p] == nil || !slices.Equal(g.Weights[p].Data, w.Data) || !slices.Equal(g.Weights[p].Shape, w.Shape) {
						t.Errorf("%s/%s differs after resharding", l.Name, p)
					}
				}
			}
			if n != 6 {
				t.Errorf("compared %d weights, want 6", n)
			}
		})
	}
}

func TestReshardBadInputs(t *testing.T) {
	cases := []struct {
		name  string
		spoil func(dir string)
		want  []string
	}{
		{"short file", func(dir string) { os.WriteFile(filepath.Join(dir, "w3"), make([]byte, 8), 0o644) },
			[]string{"w3", "8 bytes", "need 12 bytes"}},
		{"short file of a two-file group", func(dir string) { os.WriteFile(filepath.Join(dir, "w0b"), nil, 0o644) },
			[]string{"w0a+w0b", "100 bytes", "need 216 bytes"}},
		{"missing file", func(dir string) { os.Remove(filepath.Join(dir, "w5")) },
			[]string{"w5", "no such file"}},
		{"escaping path", func(dir string) {
			raw, _ := os.ReadFile(filepath.Join(dir, "model.json"))
			os.WriteFile(filepath.Join(dir, "model.json"), bytes.Replace(raw, []byte(`"w5"`), []byte(`"../w5"`), 1), 0o644)
		}, []string{"model.json", "weightsManifest[5]", `"../w5"`, "not a relative file name"}},
		{"bad dtype", func(dir string) {
			raw, _ := os.ReadFile(filepath.Join(dir, "model.json"))
			os.WriteFile(filepath.Join(dir, "model.json"), bytes.Replace(raw, []byte(`"float32"`), []byte(`"complex64"`), 1), 0o644)
		}, []string{"w0a+w0b", "conv/kernel", "complex64"}},
		{"not JSON", func(dir string) { os.WriteFile(filepath.Join(dir, "model.json"), []byte("<html>"), 0o644) },
			[]string{"model.json", "not a valid JSON"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := t.TempDir()
			splitTiny(t, src)
			c.spoil(src)
			dst := filepath.Join(t.TempDir(), "out")
			err := Reshard(src, dst, 1<<20)
			if err == nil {
				t.Fatal("resharded without error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, err := os.Stat(dst); err == nil {
				t.Errorf("%s written despite the error", dst)
			}
		})
	}
	t.Run("existing out", func(t *testing.T) {
		src := t.TempDir()
		splitTiny(t, src)
		if err := Reshard(src, src, 1<<20); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("resharding into an existing folder: %v, want an error saying it exists", err)
		}
	})
}
