package gpu

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Kernel picks: which variant of each tuned family (Tuner) a device runs.
// The variants of a family compute the same result but sum in different
// orders, so they round differently, and an optimisation of hundreds of
// steps carries the difference into what it draws. On a real GPU the
// tuner's trials take microseconds and two variants can time within noise
// of each other: two runs of one command, with one seed, can then pick
// differently and give different numbers (seen on an NVIDIA H200, session
// 13, docs/gpu-nvidia.md). Results that must reproduce name their picks
// (FormatKernels), and a run pins them with Options.Kernels.

// TunedFamilies returns the families the tuner chooses a variant for, sorted.
func TunedFamilies() []string {
	tunersMu.Lock()
	defer tunersMu.Unlock()
	return slices.Sorted(maps.Keys(tuners))
}

// ParseKernels reads picks written as "family=variant,family=variant"
// (FormatKernels' form; spaces around items are ignored, "" is none).
// Every family must be tuned and every variant one of its variants.
func ParseKernels(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, item := range strings.Split(s, ",") {
		fam, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		fam, v = strings.TrimSpace(fam), strings.TrimSpace(v)
		if !ok || fam == "" || v == "" {
			return nil, fmt.Errorf("gpu: kernels: %q is not family=variant (families: %s)", strings.TrimSpace(item), strings.Join(TunedFamilies(), ", "))
		}
		if _, dup := out[fam]; dup {
			return nil, fmt.Errorf("gpu: kernels: family %q named twice", fam)
		}
		out[fam] = v
	}
	if err := checkKernels(out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkKernels reports the first family or variant in picks that the tuner
// does not know.
func checkKernels(picks map[string]string) error {
	tunersMu.Lock()
	defer tunersMu.Unlock()
	for _, fam := range slices.Sorted(maps.Keys(picks)) {
		t, ok := tuners[fam]
		if !ok {
			return fmt.Errorf("gpu: kernels: unknown family %q (want one of %s)", fam, strings.Join(slices.Sorted(maps.Keys(tuners)), ", "))
		}
		if !slices.Contains(t.Variants, picks[fam]) {
			return fmt.Errorf("gpu: kernels: %s has no variant %q (want one of %s)", fam, picks[fam], strings.Join(t.Variants, ", "))
		}
	}
	return nil
}

// FormatKernels writes picks as ParseKernels reads them, sorted by family.
func FormatKernels(picks map[string]string) string {
	fams := slices.Sorted(maps.Keys(picks))
	items := make([]string, len(fams))
	for i, f := range fams {
		items[i] = f + "=" + picks[f]
	}
	return strings.Join(items, ",")
}

// Kernels returns the variant of each tuned family that d has run or was
// pinned to: what a report names and -kernels hands back. A family the run
// never used is absent; it cannot have changed the run's numbers.
func (d *Device) Kernels() map[string]string {
	out := d.Variants()
	tunersMu.Lock()
	defer tunersMu.Unlock()
	for fam := range out {
		if _, tuned := tuners[fam]; !tuned {
			delete(out, fam) // a choice set by SetVariant alone (spectral)
		}
	}
	return out
}
