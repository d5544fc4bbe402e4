package am

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/gputest"
	"github.com/hubelviz/hubel/models"
)

const mobilenet = "../../shared/models/mobilenet_v1_0.75_224"

func setup(t *testing.T) (*gpu.Device, *models.Plan, *models.Descriptor) {
	t.Helper()
	if _, err := os.Stat(mobilenet); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	d := gputest.Device(t)
	m, err := models.LoadDir(mobilenet)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := models.LoadDescriptor(context.Background(), models.Dir(mobilenet), m)
	if err != nil {
		t.Fatal(err)
	}
	p, err := models.Lower(m)
	if err != nil {
		t.Fatal(err)
	}
	return d, p, desc
}

// TestRenderRaisesObjective renders two channels for a few steps and checks
// that their objectives rise, that every step is one submit with nothing
// read back, and that the same seed reproduces the same image bit for bit.
func TestRenderRaisesObjective(t *testing.T) {
	d, p, desc := setup(t)
	objs := []Objective{Channel("conv_pw_7_relu", 12), Neuron("conv_pw_5_relu", 20, -1, -1), LogSoftmax(249)}
	cfg := Config{Size: 64, Steps: 20, Seed: 3}
	render := func() ([]float32, [][]float64) {
		r, err := NewRenderer(d, p, desc, objs, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Release()
		settle(t, d, r)
		before := gpu.ReadStats()
		for range cfg.Steps {
			if err := r.Step(); err != nil {
				t.Fatal(err)
			}
		}
		after := gpu.ReadStats()
		if n := after.Submits - before.Submits; n != int64(cfg.Steps) {
			t.Errorf("%d submits for %d steps, want one per step", n, cfg.Steps)
		}
		if n := after.Readbacks - before.Readbacks; n != 0 {
			t.Errorf("%d read-backs during the steps, want none", n)
		}
		curves, err := r.Objectives(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		img, err := r.Images(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return img, curves
	}
	img1, curves := render()
	for i, c := range curves {
		first, last := c[0], c[len(c)-1]
		t.Logf("%s: %.4g -> %.4g over %d steps", objs[i], first, last, len(c))
		if !(last > first+0.5 && (first <= 0 || last > 2*first)) {
			t.Errorf("%s: objective %.4g -> %.4g did not rise", objs[i], first, last)
		}
	}
	img2, _ := render()
	for i := range img1 {
		if img1[i] != img2[i] {
			t.Fatalf("same seed, different image at %d: %v vs %v", i, img1[i], img2[i])
		}
	}
}

func TestRendererErrors(t *testing.T) {
	d, p, desc := setup(t)
	cases := []struct {
		obj  Objective
		cfg  Config
		want string
	}{
		{Channel("nope", 1), Config{}, `no layer named "nope"`},
		{Channel("conv_pw_7_relu", 384), Config{}, "384 is out of range"},
		{Channel("conv_pw_7_relu", 1), Config{Param: "wavelet"}, `param "wavelet"`},
		{Channel("conv_pw_7_relu", 1), Config{Size: 3}, "size 3"},
		{Channel("conv_pw_7_relu", 1), Config{Transforms: "jitter:x"}, `transforms "jitter:x"`},
		{Channel("conv_pw_7_relu", 1), Config{Transforms: "jitter:0"}, "N ≥ 1"},
		{Channel("conv_pw_7_relu", 1), Config{Size: 64, Transforms: "jitter:64"}, "leaves nothing"},
	}
	for _, c := range cases {
		_, err := NewRenderer(d, p, desc, []Objective{c.obj}, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v: error %v, want one mentioning %q", c.obj, c.cfg, err, c.want)
		}
	}
}

// TestRenderJitter checks "jitter:N": at Size = model size + N, the
// network's input is exactly a crop of the image at the drawn offsets
// (integers in 0..N), scaled to the model's range, per image.
func TestRenderJitter(t *testing.T) {
	d, p, desc := setup(t)
	const n = 8
	objs := []Objective{Channel("conv_pw_13_relu", 3), Channel("conv_pw_13_relu", 5)}
	r, err := NewRenderer(d, p, desc, objs, Config{Size: 224 + n, Steps: 2, Seed: 5, Transforms: fmt.Sprintf("jitter:%d", n)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	ctx := context.Background()
	seen := map[[2]float64]bool{}
	for range 2 {
		if err := r.Step(); err != nil {
			t.Fatal(err)
		}
		rgb, err := d.Read(ctx, r.rgb)
		if err != nil {
			t.Fatal(err)
		}
		in, err := d.Read(ctx, r.g.Input)
		if err != nil {
			t.Fatal(err)
		}
		S, M := 224+n, 224
		for i, m := range r.Transforms() {
			ox, oy := m[2], m[5]
			if m[0] != 1 || m[1] != 0 || m[3] != 0 || m[4] != 1 || ox != float64(int(ox)) || oy != float64(int(oy)) || ox < 0 || oy < 0 || ox > n || oy > n {
				t.Fatalf("image %d: matrix %v is not an integer crop within 0..%d", i, m, n)
			}
			seen[[2]float64{ox, oy}] = true
			worst := 0.0
			for y := range M {
				for x := range M {
					for c := range 3 {
						want := 2*float64(rgb[((i*S+y+int(oy))*S+x+int(ox))*3+c]) - 1
						worst = max(worst, math.Abs(float64(in[((i*M+y)*M+x)*3+c])-want))
					}
				}
			}
			if worst > 1e-6 {
				t.Errorf("image %d, offsets (%v, %v): network input differs from the crop by %g", i, ox, oy, worst)
			}
		}
	}
	if len(seen) < 2 {
		t.Errorf("4 draws gave the offsets %v: not random", seen)
	}
}

// TestNetworkSize checks that MobileNet, fully convolutional up to its
// global pooling, runs at the transforms' output size as Lucid feeds it.
func TestNetworkSize(t *testing.T) {
	d, p, desc := setup(t)
	for _, c := range []struct {
		cfg  Config
		want int
	}{
		{Config{Size: 128}, 140}, // Lucid: 128 + 2·12 − 8 − 4
		{Config{Size: 64, Transforms: "none"}, 64},
		{Config{Size: 64, Transforms: "jitter:8"}, 56},
	} {
		r, err := NewRenderer(d, p, desc, []Objective{LogSoftmax(1)}, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if h, w := r.NetworkSize(); h != c.want || w != c.want {
			t.Errorf("%+v: network input %d×%d, want %d×%d", c.cfg, h, w, c.want, c.want)
		}
		r.Release() // right after NewRenderer's submission: must not crash
	}
}
