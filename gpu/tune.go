package gpu

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Heavy kernel families (GEMM, convolution) come in variants whose speed
// depends on the adapter: workgroup-memory tiles win on real GPUs, register
// tiles without barriers win on CPU adapters such as lavapipe and
// SwiftShader. Rather than guess from the adapter's name, the engine runs
// each variant once on a representative problem the first time the family
// is used on a device and keeps the fastest.

// Tuner measures the variants of one kernel family.
type Tuner struct {
	Family   string
	Variants []string
	// Trial prepares the family's representative problem in variant v and
	// returns it as an Op plus a function releasing what it allocated.
	Trial func(d *Device, v string) (Op, func(), error)
}

var (
	tunersMu sync.Mutex
	tuners   = map[string]Tuner{}
)

// RegisterTuner makes a family tunable. Families call it from init.
func RegisterTuner(t Tuner) {
	tunersMu.Lock()
	defer tunersMu.Unlock()
	tuners[t.Family] = t
}

// Measurement is one variant's time in a tuning run.
type Measurement struct {
	Variant string
	Time    time.Duration
	Err     error
}

// Presets are the tuner's picks on adapters measured while hubel was
// developed, by Device.Adapter and family. On these adapters Pick uses them
// without trials (unless Options.Retune), which saves the trials' pipeline
// compilation at start: on SwiftShader, the browser's CPU adapter, 14
// trial variants cost 12 s of a 25 s page load. Only exact adapter names
// are listed: a real GPU's name ("nvidia ampere") covers many chips.
var Presets = map[string]map[string]string{
	// Debian Chromium 156, SwiftShader WebGPU (docs/speed.md: trials of
	// 26 Nov 2026 on the project's 2-core machine).
	"google swiftshader [WebGPU]": {"gemm": GEMMReg8x8, "depthwise": DepthwiseReg8x8, "conv2d": ConvReg8x16},
}

// PickCache keeps the tuner's picks between runs, by a key naming the
// adapter, the family and its variants (so that a new variant list
// measures again).
type PickCache interface {
	Get(key string) string // "" if none
	Set(key, variant string)
}

// pickKey is the PickCache key of family t on d.
func (d *Device) pickKey(t Tuner) string {
	return d.Adapter + "|" + t.Family + "|" + strings.Join(t.Variants, ",")
}

// Pick returns the variant of family fam to use on d: the one forced by
// SetVariant, else (unless Options.Retune) the adapter's preset or the
// pick kept in Options.Picks, else the fastest in a trial of every variant
// (kept in Options.Picks).
func (d *Device) Pick(fam string) (string, error) {
	if v := d.Variant(fam); v != "" {
		return v, nil
	}
	d.tuneMu.Lock()
	defer d.tuneMu.Unlock()
	if v := d.Variant(fam); v != "" {
		return v, nil
	}
	tunersMu.Lock()
	t, ok := tuners[fam]
	tunersMu.Unlock()
	if !ok {
		return "", fmt.Errorf("gpu: no tuner for kernel family %q", fam)
	}
	set := func(v, by string, ms []Measurement) string {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.variants[fam], d.pickedBy[fam], d.tuning[fam] = v, by, ms
		return v
	}
	if !d.retune {
		if v := Presets[d.Adapter][fam]; slices.Contains(t.Variants, v) {
			return set(v, "preset", nil), nil
		}
		if d.picks != nil {
			if v := d.picks.Get(d.pickKey(t)); slices.Contains(t.Variants, v) {
				return set(v, "kept", nil), nil
			}
		}
	}
	ms, err := d.Tune(fam)
	if err != nil {
		return "", err
	}
	if d.picks != nil {
		d.picks.Set(d.pickKey(t), ms[0].Variant)
	}
	return set(ms[0].Variant, "measured", ms), nil
}

// Tune measures every variant of fam on d and returns them fastest first.
// Variants that fail to compile or run on this adapter are reported with
// their error and sorted last.
func (d *Device) Tune(fam string) ([]Measurement, error) {
	tunersMu.Lock()
	t, ok := tuners[fam]
	tunersMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("gpu: no tuner for kernel family %q", fam)
	}
	t0 := time.Now()
	defer func() { d.tuneNs.Add(int64(time.Since(t0))) }()
	var ms []Measurement
	for _, v := range t.Variants {
		d.trials.Add(1)
		m := Measurement{Variant: v}
		op, free, err := t.Trial(d, v)
		if err == nil {
			m.Time, err = d.trialTime(op)
			free()
		}
		m.Err = err
		ms = append(ms, m)
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if (ms[i].Err == nil) != (ms[j].Err == nil) {
			return ms[i].Err == nil
		}
		return ms[i].Time < ms[j].Time
	})
	if ms[0].Err != nil {
		return ms, fmt.Errorf("gpu: every %s variant failed on %s; first: %w", fam, d.Adapter, ms[0].Err)
	}
	return ms, nil
}

// trialTarget is how long one timed submission of a trial should take:
// long enough that the submission's own cost (tens of microseconds on a
// real GPU, more in the browser) is a small part of it.
const trialTarget = time.Millisecond

// trialReps returns how many times to record a trial per submission, given
// the time of one submission of one: 1 where that already reaches
// trialTarget (lavapipe's and SwiftShader's trials take milliseconds),
// else a power of 4 up to 256. On an NVIDIA H200 a trial kernel takes a
// few microseconds; timed one per submission, the submission's cost
// decided the ranking, and six runs of one command picked five different
// sets of variants (docs/gpu-nvidia.md).
func trialReps(one time.Duration) int {
	reps := 1
	for reps < 256 && time.Duration(reps)*one < trialTarget {
		reps *= 4
	}
	return reps
}

// trialTime is the tuner's time for op: the median of 3 submissions, each
// recording op trialReps times, sized by one submission of one.
func (d *Device) trialTime(op Op) (time.Duration, error) {
	one, err := d.Time(op, 1, 1)
	if err != nil {
		return 0, err
	}
	return d.Time(op, trialReps(one), 3)
}

// TuningReport describes the measurements behind each chosen variant.
func (d *Device) TuningReport() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	fams := make([]string, 0, len(d.tuning))
	for f := range d.tuning {
		fams = append(fams, f)
	}
	sort.Strings(fams)
	var b strings.Builder
	for _, f := range fams {
		fmt.Fprintf(&b, "%s on %s: picked %s (%s);", f, d.Adapter, d.variants[f], d.pickedBy[f])
		for _, m := range d.tuning[f] {
			if m.Err != nil {
				fmt.Fprintf(&b, " %s failed (%v);", m.Variant, m.Err)
			} else {
				fmt.Fprintf(&b, " %s %v;", m.Variant, m.Time)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
