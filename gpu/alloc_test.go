package gpu_test

import "testing"

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
