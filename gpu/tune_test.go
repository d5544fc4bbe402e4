package gpu_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hubelviz/hubel/gpu"
)

// memPicks is a PickCache in memory.
type memPicks map[string]string

func (m memPicks) Get(k string) string { return m[k] }
func (m memPicks) Set(k, v string)     { m[k] = v }

// TestPickSources checks where Pick takes a variant from: a preset for the
// adapter, a kept pick, or trials (which are then kept), and that Retune
// measures regardless. Each case opens its own device, since picks are
// per device.
func TestPickSources(t *testing.T) {
	device(t) // skip (or fail under CI) without an adapter
	key := func(d *gpu.Device) string {
		return d.Adapter + "|gemm|" + strings.Join(gpu.GEMMVariants, ",")
	}
	n := len(gpu.GEMMVariants)
	for _, c := range []struct {
		name       string
		preset     string // a preset for the test adapter ("" none)
		kept       string // the cache's value before Pick ("" none)
		retune     bool
		want       string // "" = whatever the trials measure fastest
		wantTrials int
	}{
		{name: "trials, then kept", wantTrials: n},
		{name: "kept pick", kept: gpu.GEMMNaive, want: gpu.GEMMNaive},
		{name: "stale kept pick", kept: "no-such-variant", wantTrials: n},
		{name: "preset", preset: gpu.GEMMWG16, kept: gpu.GEMMNaive, want: gpu.GEMMWG16},
		{name: "retune", preset: gpu.GEMMWG16, kept: gpu.GEMMNaive, retune: true, wantTrials: n},
	} {
		t.Run(c.name, func(t *testing.T) {
			cache := memPicks{}
			d, err := gpu.Open(gpu.Options{Picks: cache, Retune: c.retune})
			if errors.Is(err, gpu.ErrNoAdapter) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			d.Adapter = "test adapter " + c.name
			if c.preset != "" {
				gpu.Presets[d.Adapter] = map[string]string{"gemm": c.preset}
				defer delete(gpu.Presets, d.Adapter)
			}
			if c.kept != "" {
				cache[key(d)] = c.kept
			}
			got, err := d.Pick("gemm")
			if err != nil {
				t.Fatal(err)
			}
			trials := d.SetupCost().Trials
			if trials != c.wantTrials {
				t.Errorf("%d trials, want %d", trials, c.wantTrials)
			}
			if c.want != "" && got != c.want {
				t.Errorf("picked %s, want %s", got, c.want)
			}
			if !slices.Contains(gpu.GEMMVariants, got) {
				t.Errorf("picked %q, not a gemm variant", got)
			}
			if c.wantTrials > 0 && cache[key(d)] != got {
				t.Errorf("kept %q after trials that picked %s", cache[key(d)], got)
			}
			t.Logf("%s", d.TuningReport())
		})
	}
}

// TestCompileTimes checks the diagnostics of Options.TimeCompiles: every
// pipeline made is listed once, with a positive time, and SetupCost counts
// the same pipelines.
func TestCompileTimes(t *testing.T) {
	device(t)
	d, err := gpu.Open(gpu.Options{TimeCompiles: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var ops []gpu.Op
	for _, v := range []string{gpu.GEMMNaive, gpu.GEMMReg4x4} {
		a, b, c := upload(t, d, make([]float32, 16)), upload(t, d, make([]float32, 16)), upload(t, d, make([]float32, 16))
		op, err := d.GEMM(gpu.GEMMShape{M: 4, N: 4, K: 4, Alpha: 1, Variant: v}, c, a, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op)
	}
	if err := d.Run(ops...); err != nil { // lazy devices make their pipelines here
		t.Fatal(err)
	}
	got := d.CompileTimes()
	names := d.KernelNames()
	if len(got) != len(names) || len(got) != d.SetupCost().Kernels || len(got) == 0 {
		t.Fatalf("%d compile times, %d kernels, SetupCost %d", len(got), len(names), d.SetupCost().Kernels)
	}
	for _, k := range got {
		if k.Time <= 0 || !slices.Contains(names, k.Kernel) {
			t.Errorf("compile time %v of %q (kernels %v)", k.Time, k.Kernel, names)
		}
	}
}
