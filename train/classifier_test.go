package train

import (
	"github.com/hubelviz/hubel/gpu/gputest"
	"slices"
	"strings"
	"testing"
)

// TestClassifierReproducible: the same seed gives the same weights bit for
// bit; another seed gives others. 8 steps of the judge architecture.
func TestClassifierReproducible(t *testing.T) {
	d := gputest.Device(t)
	ds := dataset(t, "mnist")
	weights := func(seed uint64) []float32 {
		var log strings.Builder
		m, err := Classifier(t.Context(), d, Config{Data: ds, Arch: "judge", Seed: seed, Epochs: 1, MaxSteps: 8, LogEvery: 4, Log: &log})
		if err != nil {
			t.Fatal(err)
		}
		l, err := m.Layer("conv2")
		if err != nil {
			t.Fatal(err)
		}
		return l.Weights["kernel"].Data
	}
	a, b, c := weights(5), weights(5), weights(6)
	if !slices.Equal(a, b) {
		t.Errorf("two runs with seed 5 differ")
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 5 and 6 give the same weights")
	}
}

func TestClassifierErrors(t *testing.T) {
	ds := &Dataset{Name: "mnist", Classes: DigitLabels}
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{Data: ds, Arch: "resnet", Epochs: 1}, `unknown architecture "resnet" (want one of cnn, judge)`},
		{Config{Data: ds, Arch: "cnn", Epochs: 0}, "epochs 0"},
	} {
		if _, err := Classifier(t.Context(), nil, tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.c, err, tc.want)
		}
	}
}
