package gpu

import (
	"fmt"
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

// Pick returns the variant of family fam to use on d, measuring the
// variants on first use (or returning the one forced by SetVariant).
func (d *Device) Pick(fam string) (string, error) {
	if v := d.Variant(fam); v != "" {
		return v, nil
	}
	d.tuneMu.Lock()
	defer d.tuneMu.Unlock()
	if v := d.Variant(fam); v != "" {
		return v, nil
	}
	ms, err := d.Tune(fam)
	if err != nil {
		return "", err
	}
	best := ms[0]
	d.mu.Lock()
	d.variants[fam] = best.Variant
	d.tuning[fam] = ms
	d.mu.Unlock()
	return best.Variant, nil
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
	var ms []Measurement
	for _, v := range t.Variants {
		m := Measurement{Variant: v}
		op, free, err := t.Trial(d, v)
		if err == nil {
			m.Time, err = d.Time(op, 1, 3)
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
		fmt.Fprintf(&b, "%s on %s: picked %s;", f, d.Adapter, d.variants[f])
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
