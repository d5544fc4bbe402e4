package models

import (
	"encoding/json"
	"strings"
	"testing"
)

// generativeFiles is a small classifier with a generator and a prior in
// sub-folders, as `hubel train-generator` writes them; code.json comes
// from stats.
func generativeFiles(t *testing.T, stats map[string]any, desc map[string]any) Files {
	t.Helper()
	files := Files{}
	put := func(dir string, n *Net) {
		m, err := n.Init(1)
		if err != nil {
			t.Fatal(err)
		}
		mj, w, err := m.Encode("w.bin", true, nil)
		if err != nil {
			t.Fatal(err)
		}
		files[dir+"model.json"], files[dir+"w.bin"] = mj, w
	}
	put("", NewNet("clf", 4, 4, 1).Flatten("flat").Dense("fc1", 5, "relu").Dense("logits", 3, "linear").Activation("probs", "softmax"))
	put("gen/", NewNet("gen", 5).Dense("fc", 16, "sigmoid").Layer("Reshape", "img", map[string]any{"target_shape": []int{4, 4, 1}}))
	put("dae/", NewNet("dae", 5).Dense("enc", 7, "relu").Dense("dec", 5, "linear"))
	raw, err := json.Marshal(stats)
	if err != nil {
		t.Fatal(err)
	}
	files["gen/code.json"] = raw
	if raw, err = json.Marshal(desc); err != nil {
		t.Fatal(err)
	}
	files["hubel.json"] = raw
	return files
}

func TestLoadGenerative(t *testing.T) {
	five := []float32{0, 0, 0, 0, 0}
	ones := []float32{1, 1, 1, 1, 1}
	good := map[string]any{"layer": "fc1", "low": five, "high": ones, "mean": ones, "std": ones}
	withGen := map[string]any{"name": "clf", "generator": "gen/", "prior": "dae/"}
	for _, c := range []struct {
		name        string
		stats, desc map[string]any
		want        string // "" for success
	}{
		{"ok", good, withGen, ""},
		{"no generator", good, map[string]any{"name": "clf"}, `clf: its descriptor (hubel.json) has no "generator" field`},
		{"short low", map[string]any{"layer": "fc1", "low": five[:2], "high": ones, "mean": ones, "std": ones}, withGen,
			`gen/code.json: low has 2 values, the code layer "fc1" has 5 units`},
		{"unknown layer", map[string]any{"layer": "fc9", "low": five, "high": ones, "mean": ones, "std": ones}, withGen, `gen/code.json: layer`},
		{"low above high", map[string]any{"layer": "fc1", "low": ones, "high": five, "mean": ones, "std": ones}, withGen, `unit 0: low 1 > high 0`},
		{"missing prior", good, map[string]any{"name": "clf", "generator": "gen/", "prior": "nothere/"}, "nothere/model.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := generativeFiles(t, c.stats, c.desc)
			m, err := Load(t.Context(), src)
			if err != nil {
				t.Fatal(err)
			}
			desc, err := LoadDescriptor(t.Context(), src, m)
			if err != nil {
				t.Fatal(err)
			}
			g, err := LoadGenerative(t.Context(), src, desc, m)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if g.G == nil || g.Prior == nil || len(g.Code.High) != 5 {
					t.Fatalf("loaded %+v", g)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
