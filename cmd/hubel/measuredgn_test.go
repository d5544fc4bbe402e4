package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubelviz/hubel/train"
)

// TestCached checks measure-dgn's image cache: a second call with the same
// key returns the first call's images without rendering, and new weights
// (a shard rewritten) are never matched with the old images.
func TestCached(t *testing.T) {
	model, cache := t.TempDir(), t.TempDir()
	shard := filepath.Join(model, "group1-shard1of1.bin")
	if err := os.WriteFile(shard, []byte{1, 2, 3, 4}, 0o644); err != nil {
		t.Fatal(err)
	}
	renders := 0
	render := func(v float32) func() ([]float32, error) {
		return func() ([]float32, error) { renders++; return []float32{v, -v, 0.5}, nil }
	}
	a, err := cached(cache, model, "k", render(1.25))
	if err != nil {
		t.Fatal(err)
	}
	b, err := cached(cache, model, "k", render(7))
	if err != nil {
		t.Fatal(err)
	}
	if renders != 1 || !slices.Equal(a, b) {
		t.Fatalf("second call: %d renders, images %v then %v; want 1 render and the same images", renders, a, b)
	}
	if err := os.WriteFile(shard, []byte{5, 6, 7, 8, 9, 10, 11, 12}, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(shard, time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, err := cached(cache, model, "k", render(7))
	if err != nil {
		t.Fatal(err)
	}
	if renders != 2 || c[0] != 7 {
		t.Fatalf("after new weights: %d renders, images %v; want a fresh render", renders, c)
	}
	d, err := cached("", model, "k", render(3))
	if err != nil {
		t.Fatal(err)
	}
	if renders != 3 || d[0] != 3 {
		t.Fatalf("without a cache folder: %d renders, images %v; want a render every time", renders, d)
	}
}

// TestRealReference checks the real-data reference on a made-up split:
// per class the fraction of images both classifiers accept and the mean
// pair distance within groups of 10, computed by hand, for the images and
// for their "reconstructions" (here the images doubled).
func TestRealReference(t *testing.T) {
	// Two classes of 200 2×2 images, interleaved; in class 1 every other
	// image (of the class) has its first pixel at 1, the rest are 0: in a
	// group of 10, 5·5 of the 45 pairs differ, by distance 1.
	s := train.Split{N: 400, H: 2, W: 2, Pixels: make([]uint8, 400*4), Labels: make([]uint8, 400)}
	k := 0
	for i := range 400 {
		s.Labels[i] = uint8(i % 2)
		if i%2 == 1 {
			if k%2 == 0 {
				s.Pixels[i*4] = 255
			}
			k++
		}
	}
	probs := func(imgs []float32, c int) ([]float64, []float64, error) {
		n := len(imgs) / 4
		m, j := make([]float64, n), make([]float64, n)
		for i := range n {
			m[i], j[i] = 0.95, 0.95
			if c == 1 && i%4 == 0 { // a quarter fails the judge
				j[i] = 0.5
			}
			if imgs[i*4] > 1.5 { // and so does every doubled image whose first pixel is on
				m[i] = 0.5
			}
		}
		return m, j, nil
	}
	double := func(idx []int) ([]float32, error) {
		x := make([]float32, len(idx)*4)
		s.Batch(idx, x)
		for i := range x {
			x[i] *= 2
		}
		return x, nil
	}
	ref, firsts, err := realReference(&s, 2, probs, double)
	if err != nil {
		t.Fatal(err)
	}
	for c, want := range []struct{ both, dist, rboth, rdist float64 }{{1, 0, 1, 0}, {0.75, 25.0 / 45, 0.5, 50.0 / 45}} {
		got := ref[c]
		if got["images"] != 200 || math.Abs(got["both_ge_0.9"].(float64)-want.both) > 1e-12 || math.Abs(got["mean_pair_dist"].(float64)-want.dist) > 1e-9 ||
			math.Abs(got["recon_both_ge_0.9"].(float64)-want.rboth) > 1e-12 || math.Abs(got["recon_mean_pair_dist"].(float64)-want.rdist) > 1e-9 {
			t.Errorf("class %d: %v, want both %v, dist %v, reconstructions' both %v, dist %v", c, got, want.both, want.dist, want.rboth, want.rdist)
		}
	}
	if f := firsts[1]; f[0][0] != 1 || f[1][0] != 2 {
		t.Errorf("class 1's first image and reconstruction start %v and %v, want 1 and 2", f[0][0], f[1][0])
	}
	if _, _, err := realReference(&train.Split{N: 5, H: 2, W: 2, Pixels: make([]uint8, 20), Labels: make([]uint8, 5)}, 1, nil, nil); err == nil {
		t.Error("5 images of class 0: want an error (200 needed)")
	}
}

// TestMeasureDGNChains checks that measure-dgn's -chains gathers each
// class's samples from that class's chains, draw after draw: without noise
// or shifts the two chains of a class, which both start at the mean code,
// draw the same image each time, so samples 0 and 1 (the first draw) and 2
// and 3 (the second) get the same probabilities, while with noise they do
// not, and neither do the two draws. A bad -chains is an error.
func TestMeasureDGNChains(t *testing.T) {
	measure := func(eps3 string) [][]float64 {
		t.Helper()
		var res struct {
			Classes []struct {
				P []float64 `json:"ppgn_main_p"`
			}
		}
		if err := json.Unmarshal(measureDGN(t, "-chains", "2", "-ppgn-jitter", "0", "-eps3", eps3), &res); err != nil {
			t.Fatal(err)
		}
		var out [][]float64
		for _, c := range res.Classes {
			if len(c.P) != 4 {
				t.Fatalf("%d samples in a class, want 4", len(c.P))
			}
			out = append(out, c.P)
		}
		return out
	}
	for c, p := range measure("0") {
		if p[0] != p[1] || p[2] != p[3] || p[0] == p[2] {
			t.Errorf("class %d without noise: p %v, want the chains' draws equal (0 = 1, 2 = 3) and the draws apart", c, p)
		}
	}
	for c, p := range measure("0.7") {
		if p[0] == p[1] || p[2] == p[3] {
			t.Errorf("class %d with noise: p %v, want the two chains apart", c, p)
		}
	}
	var stderr bytes.Buffer
	if code := run([]string{"measure-dgn", "-model", "m", "-judge", "j", "-samples", "10", "-chains", "3"}, io.Discard, &stderr); code == 0 || !strings.Contains(stderr.String(), "-chains 3") {
		t.Errorf("-samples 10 -chains 3: exit %d, %q; want an error naming -chains", code, stderr.String())
	}
}

// measureDGN runs a small measure-dgn on the bundled MNIST models (2
// classes, 2 restarts, 4 samples, a few steps) with extra flags and returns
// its report; without an adapter it skips, unless CI=true.
func measureDGN(t *testing.T, flags ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := append([]string{"measure-dgn", "-model", "../../models/bundled/mnist", "-judge", "../../models/bundled/mnist_judge",
		"-classes", "2", "-restarts", "2", "-dgn-steps", "2", "-pixel-steps", "1", "-samples", "4",
		"-burn", "3", "-every", "2", "-refine", "2"}, flags...)
	if code := run(args, &stdout, &stderr); code != 0 {
		msg := stderr.String()
		if strings.Contains(msg, "adapter") && os.Getenv("CI") != "true" {
			t.Skip(msg)
		}
		t.Fatalf("exit %d: %s", code, msg)
	}
	return stdout.Bytes()
}

// TestMeasureDGNSummary checks the report's run-wide diversity figures
// against its per-class ones: the ratio of the mean pair distances
// (PPGN's over DGN-AM's), the classes at 2× or more, and the same ratio
// for the real images and for G's reconstructions of them.
func TestMeasureDGNSummary(t *testing.T) {
	var res struct {
		Ratio      float64 `json:"ratio_of_mean_dists"`
		AtLeast2   int     `json:"classes_ratio_ge_2"`
		RealRatio  float64 `json:"real_ratio_of_mean_dists"`
		ReconRatio float64 `json:"recon_ratio_of_mean_dists"`
		Classes    []struct {
			DGN   float64 `json:"dgn_mean_pair_dist"`
			PPGN  float64 `json:"ppgn_mean_pair_dist"`
			Ratio float64 `json:"diversity_ratio"`
		}
		Real []struct {
			Dist  float64 `json:"mean_pair_dist"`
			Recon float64 `json:"recon_mean_pair_dist"`
		}
	}
	if err := json.Unmarshal(measureDGN(t, "-dataset", "mnist"), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Classes) != 2 || len(res.Real) != 2 {
		t.Fatalf("%d classes and %d real references, want 2 and 2", len(res.Classes), len(res.Real))
	}
	var dgn, ppgn, real, recon float64
	atLeast2 := 0
	for i, c := range res.Classes {
		dgn, ppgn = dgn+c.DGN, ppgn+c.PPGN
		real, recon = real+res.Real[i].Dist, recon+res.Real[i].Recon
		if c.Ratio >= 2 {
			atLeast2++
		}
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"ratio_of_mean_dists", res.Ratio, ppgn / dgn},
		{"real_ratio_of_mean_dists", res.RealRatio, real / dgn},
		{"recon_ratio_of_mean_dists", res.ReconRatio, recon / dgn},
	} {
		if !(c.want > 0) || math.Abs(c.got-c.want) > 1e-12*c.want {
			t.Errorf("%s = %g, want %g from the classes' distances", c.name, c.got, c.want)
		}
	}
	if res.AtLeast2 != atLeast2 {
		t.Errorf("classes_ratio_ge_2 = %d, want %d", res.AtLeast2, atLeast2)
	}
}
