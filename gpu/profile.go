package gpu

import (
	"errors"
	"sort"
	"time"
)

var errCollecting = errors.New("gpu: a profiling recorder does not record")

// KernelTime is one dispatch's time in a profile.
type KernelTime struct {
	Kernel string    // KernelSpec key: file, entry and constants
	Groups [3]uint32 // workgroups dispatched
	Time   time.Duration
}

// Profile times every dispatch that op records, each on its own (its own
// submission, waited for; the median of rounds after a warm-up), in
// recording order. Copies are left out. The sum is larger than op's time in
// one command buffer by the per-submission overhead, which Profile also
// returns (the median time of an empty submission and wait), so callers can
// subtract it. Dispatches that depend on earlier ones read whatever those
// left, so timings of data-dependent kernels are those of the last full run.
func (d *Device) Profile(op Op, rounds int) (ks []KernelTime, overhead time.Duration, err error) {
	var xs []*Dispatch
	op.Record(&Recorder{d: d, err: errCollecting, collect: &xs})
	overhead, err = d.Time(Seq{}, 1, max(rounds, 3))
	if err != nil {
		return nil, 0, err
	}
	for _, x := range xs {
		t, err := d.Time(x, 1, rounds)
		if err != nil {
			return nil, 0, err
		}
		ks = append(ks, KernelTime{Kernel: x.k.Name(), Groups: x.Groups, Time: t})
	}
	return ks, overhead, nil
}

// ByKernel sums a profile per kernel (ignoring the workgroup counts),
// subtracting overhead from each dispatch, largest total first.
func ByKernel(ks []KernelTime, overhead time.Duration) []KernelTime {
	sum := map[string]time.Duration{}
	for _, k := range ks {
		sum[k.Kernel] += max(k.Time-overhead, 0)
	}
	out := make([]KernelTime, 0, len(sum))
	for k, t := range sum {
		out = append(out, KernelTime{Kernel: k, Time: t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time > out[j].Time })
	return out
}
