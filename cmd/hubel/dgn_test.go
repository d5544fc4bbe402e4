package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubelviz/hubel/models"
)

// TestRenderWithoutGenerator asks for DGN-AM and PPGN on a model that ships
// no generator: a clear error naming the model and the missing field.
func TestRenderWithoutGenerator(t *testing.T) {
	dir := plainModel(t)
	for _, param := range []string{"dgn", "ppgn"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"render", "-model", dir, "-param", param, "-objective", "logit:1", "-steps", "2"}, &stdout, &stderr)
		msg := stderr.String()
		if strings.Contains(msg, "adapter") && os.Getenv("CI") != "true" {
			t.Skip(msg)
		}
		if code != 1 || !strings.Contains(msg, `plain`) || !strings.Contains(msg, `no "generator" field`) || !strings.Contains(msg, "-param "+param) {
			t.Errorf("-param %s: exit %d, stderr %q; want exit 1 and an error naming the model and its missing \"generator\" field", param, code, msg)
		}
	}
}

// plainModel writes a small classifier named "plain", with no generator,
// into a temporary folder and returns the folder.
func plainModel(t *testing.T) string {
	dir := t.TempDir()
	m, err := models.NewNet("plain", 8, 8, 1).Flatten("flat").Dense("fc1", 4, "relu").Dense("logits", 3, "linear").Activation("probs", "softmax").Init(1)
	if err != nil {
		t.Fatal(err)
	}
	mj, w, err := m.Encode("w.bin", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"model.json": mj, "w.bin": w} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTrainGeneratorErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-dataset", "fashion"}, "-model DIR is required"},
		{[]string{"-model", t.TempDir(), "-adversarial", "-1"}, "-adversarial -1: want ≥ 0"},
		{[]string{"-model", t.TempDir(), "-gen-steps", "0"}, "must be positive"},
		{[]string{"-model", t.TempDir(), "-gen-arch", "huge"}, `-gen-arch "huge": want one of [small wide]`},
		{[]string{"-model", t.TempDir()}, "model.json"},
		{[]string{"-model", plainModel(t), "-prior-only"}, "has no generator to keep"},
		{[]string{"-model", t.TempDir(), "-prior-only", "-adversarial", "0.01", "-gen-steps", "9"}, "-prior-only keeps the generator, so -adversarial, -gen-steps would have no effect"},
	}
	for _, c := range cases {
		_, stderr, code := hubel(append([]string{"train-generator"}, c.args...)...)
		if code != 1 || !strings.Contains(stderr, c.want) || !strings.HasPrefix(stderr, "hubel train-generator: ") {
			t.Errorf("%v: status %d, stderr %q; want status 1 and an error mentioning %q", c.args, code, stderr, c.want)
		}
	}
}
