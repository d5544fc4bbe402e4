package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubelviz/hubel/gpu"
)

const (
	mobilenet = "../../../shared/models/mobilenet_v1_0.75_224"
	images    = "../../../shared/images"
)

// needModel skips (fails under CI=true) where the shared model is missing,
// and, for the gpu backend, where no adapter is.
func needModel(t *testing.T, backend string) {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if _, err := os.Stat(mobilenet); err != nil {
		if ci {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if backend == "gpu" {
		d, err := gpu.Open(gpu.Options{})
		if err != nil {
			if ci || !errors.Is(err, gpu.ErrNoAdapter) {
				t.Fatal(err)
			}
			t.Skip(err)
		}
		d.Close()
	}
}

// hubel runs the command line and returns its stdout, stderr and status.
func hubel(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

func objectiveJSON(t *testing.T, args ...string) ObjectiveReport {
	t.Helper()
	out, stderr, code := hubel(append([]string{"objective", "-model", mobilenet, "-json"}, args...)...)
	if code != 0 {
		t.Fatalf("hubel objective %v: status %d: %s", args, code, stderr)
	}
	var r ObjectiveReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return r
}

// TestObjectiveBackendsAgree evaluates objectives on a photo that must be
// resized (768×576) on both backends, which must agree;
// and on a 224×224 photo checks a logit against `hubel predict`.
func TestObjectiveBackendsAgree(t *testing.T) {
	needModel(t, "gpu")
	specs := []string{"conv_pw_7_relu:12", "conv_pw_13_bn:5", "conv_pw_5_relu:20@3,4", "deepdream:conv_pw_9_relu", "logsoftmax:258", "0.5*softmax:249-logit:3"}
	var args []string
	for _, s := range specs {
		args = append(args, "-objective", s)
	}
	for _, img := range []string{filepath.Join(images, "dog.jpg")} {
		g := objectiveJSON(t, append([]string{"-backend", "gpu", "-image", img}, args...)...)
		c := objectiveJSON(t, append([]string{"-backend", "cpu", "-image", img}, args...)...)
		if len(g.Objectives) != len(specs) || len(c.Objectives) != len(specs) {
			t.Fatalf("%s: %d and %d values for %d objectives", img, len(g.Objectives), len(c.Objectives), len(specs))
		}
		for i, s := range specs {
			gv, cv := g.Objectives[i].Value, c.Objectives[i].Value
			t.Logf("%s %s: gpu %.6g cpu %.6g", img, s, gv, cv)
			if g.Objectives[i].Spec != s || math.Abs(gv-cv) > 1e-3*math.Max(1, math.Abs(cv)) {
				t.Errorf("%s %s: gpu %.6g, cpu %.6g", img, s, gv, cv)
			}
		}
	}
	// An image of the model's size is used as it is: its logit is the one
	// `hubel predict` reports.
	img := filepath.Join(images, "dog_224.png")
	out, stderr, code := hubel("predict", "-model", mobilenet, "-backend", "cpu", "-image", img, "-json")
	if code != 0 {
		t.Fatal(stderr)
	}
	var p Prediction
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	r := objectiveJSON(t, "-backend", "cpu", "-image", img, "-objective", "logit:249")
	if got, want := r.Objectives[0].Value, float64(p.Logits[249]); math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
		t.Errorf("logit:249 of %s: objective %.7g, predict %.7g", img, got, want)
	}
}

func TestObjectiveErrors(t *testing.T) {
	needModel(t, "cpu")
	dir := t.TempDir()
	notImage := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(notImage, []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	grey := []string{"-backend", "cpu", "-image", "grey"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-model", mobilenet, "-objective", "conv_pw_7_relu:1"}, "-image FILE|grey"},
		{[]string{"-model", mobilenet, "-image", "grey"}, "-objective SPEC"},
		{append([]string{"-model", mobilenet, "-objective", "conv_pw_7_relu:x"}, grey...), "at column 16"},
		{append([]string{"-model", mobilenet, "-objective", "conv_pw_99_relu:1"}, grey...), `no layer named "conv_pw_99_relu"`},
		{append([]string{"-model", mobilenet, "-objective", "conv_pw_7_relu:384"}, grey...), "384 is out of range"},
		{append([]string{"-model", mobilenet, "-objective", "diversity:conv_pw_7_relu"}, grey...), "not supported"},
		{[]string{"-model", mobilenet, "-objective", "logit:1", "-backend", "cpu", "-image", filepath.Join(dir, "missing.png")}, "missing.png"},
		{[]string{"-model", mobilenet, "-objective", "logit:1", "-backend", "cpu", "-image", notImage}, "notes.png: image: unknown format"},
		{[]string{"-model", mobilenet, "-objective", "logit:1", "-backend", "tpu", "-image", "grey"}, `-backend "tpu"`},
		{append([]string{"-model", mobilenet, "-objective", "logit:1", "-size", "-2"}, grey...), "-size -2 must be positive"},
		{[]string{"-model", dir, "-objective", "logit:1", "-backend", "cpu", "-image", "grey"}, "model.json"},
	}
	for _, c := range cases {
		_, stderr, code := hubel(append([]string{"objective"}, c.args...)...)
		if code != 1 || !strings.Contains(stderr, c.want) || !strings.HasPrefix(stderr, "hubel objective: ") {
			t.Errorf("%v: status %d, stderr %q; want status 1 and an error mentioning %q", c.args, code, stderr, c.want)
		}
	}
}

func TestMontage(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i, size := range []int{5, 7, 5} {
		im := image.NewRGBA(image.Rect(0, 0, size, size))
		for k := range im.Pix {
			im.Pix[k] = uint8(60 * (i + 1))
		}
		f := filepath.Join(dir, string(rune('a'+i))+".png")
		if err := savePNG(f, im); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	out := filepath.Join(dir, "grid.png")
	if _, stderr, code := hubel(append([]string{"montage", "-cols", "2", "-out", out}, files...)...); code != 0 {
		t.Fatal(stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// Cells are 7×7 (the largest image) with a 4-pixel gap: 2 columns, 2 rows.
	if b := g.Bounds(); b.Dx() != 18 || b.Dy() != 18 {
		t.Fatalf("grid is %v, want 18×18", b)
	}
	for _, c := range []struct {
		x, y int
		want uint8
	}{{0, 0, 60}, {4, 4, 60}, {5, 5, 255}, {11, 0, 120}, {17, 6, 120}, {0, 11, 180}, {11, 11, 255}} {
		if r, _, _, _ := g.At(c.x, c.y).RGBA(); uint8(r>>8) != c.want {
			t.Errorf("pixel (%d, %d) = %d, want %d", c.x, c.y, r>>8, c.want)
		}
	}
	if _, stderr, code := hubel("montage", "-out", out, filepath.Join(dir, "none.png")); code != 1 || !strings.Contains(stderr, "none.png") {
		t.Errorf("missing input: status %d, %q", code, stderr)
	}
}
