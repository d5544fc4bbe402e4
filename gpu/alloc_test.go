package gpu_test

import (
	"strings"
	"testing"

	"github.com/hubelviz/hubel/gpu"
)

// TestAllocated checks the device's byte count of live buffers: storage,
// read-back staging and uniform blocks are added when made and taken off
// when released.
func TestAllocated(t *testing.T) {
	d := device(t)
	base := d.Allocated()
	b, err := d.NewBuffer("alloc", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Allocated() - base; got != 4000 {
		t.Errorf("after a 1000-float buffer: %d bytes more, want 4000", got)
	}
	rb, err := d.NewReadback(10)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Allocated() - base; got != 4040 {
		t.Errorf("after a 10-float read-back: %d bytes more, want 4040", got)
	}
	x, err := d.ScaleShift(b, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Allocated() - base; got <= 4040 || got > 4040+256 {
		t.Errorf("after a dispatch: %d bytes more, want 4040 plus its uniform block", got)
	}
	x.Release()
	rb.Release()
	b.Release()
	b.Release() // a second release changes nothing
	if got := d.Allocated() - base; got != 0 {
		t.Errorf("after releasing everything: %d bytes more, want 0", got)
	}
}

// TestProfile checks that Profile times each dispatch of an op, in order,
// and leaves copies out.
func TestProfile(t *testing.T) {
	d := device(t)
	a, b := zeros(t, d, 4096), zeros(t, d, 4096)
	x, err := d.ScaleShift(a, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Release()
	y, err := d.AXPBY(b, a, a, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Release()
	ks, overhead, err := d.Profile(gpu.Seq{x, gpu.CopyOp{Dst: b, Src: a}, y}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 2 || !strings.Contains(ks[0].Kernel, "scale_shift") || !strings.Contains(ks[1].Kernel, "axpby") {
		t.Fatalf("profile %+v: want scale_shift then axpby", ks)
	}
	for _, k := range ks {
		if k.Time <= 0 || k.Groups[0] == 0 {
			t.Errorf("%s: time %v, groups %v", k.Kernel, k.Time, k.Groups)
		}
	}
	if overhead <= 0 {
		t.Errorf("overhead %v", overhead)
	}
	if by := gpu.ByKernel(append(ks, ks[0]), 0); len(by) != 2 || by[0].Time < by[1].Time {
		t.Errorf("ByKernel: %+v", by)
	}
}
