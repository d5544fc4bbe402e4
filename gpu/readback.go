package gpu

import (
	"context"
	"fmt"
	"time"

	"github.com/gogpu/wgpu"
)

// Readback is a staging buffer through which device data comes back to the
// CPU. It is reused: one per thing the caller wants to see.
type Readback struct {
	d       *Device
	staging *wgpu.Buffer
	n       int
	out     []float32
}

// NewReadback allocates a staging buffer for n floats.
func (d *Device) NewReadback(n int) (*Readback, error) {
	size := uint64(max(n, 1)) * 4
	b, err := d.dev.CreateBuffer(&wgpu.BufferDescriptor{
		Label: "readback", Size: size,
		Usage: wgpu.BufferUsageMapRead | wgpu.BufferUsageCopyDst,
	})
	if err != nil {
		return nil, d.checkErr(fmt.Errorf("gpu: create readback buffer (%d floats): %w", n, err))
	}
	d.allocated.Add(int64(size))
	return &Readback{d: d, staging: b, n: n, out: make([]float32, n)}, nil
}

// Len is the number of floats the readback holds.
func (rb *Readback) Len() int { return rb.n }

// CopyToReadback records a copy of rb.Len() floats from src[off:] into rb.
func (r *Recorder) CopyToReadback(src *Buffer, off int, rb *Readback) *Recorder {
	if r.err != nil {
		return r
	}
	if off < 0 || off+rb.n > src.Len {
		r.err = fmt.Errorf("gpu: read back %d floats at %d from %q of %d", rb.n, off, src.label, src.Len)
		return r
	}
	r.endPass()
	r.enc.CopyBufferToBuffer(src.buf, uint64(off)*4, rb.staging, 0, uint64(rb.n)*4)
	return r
}

// Read waits for the copies recorded into rb to finish and returns its
// contents. The slice is owned by rb and overwritten by the next Read.
//
// Read blocks. In the browser call it from a goroutine, never from a
// js.FuncOf callback (ReadAsync does that for you).
func (rb *Readback) Read(ctx context.Context) ([]float32, error) {
	return rb.read(ctx, true)
}

func (rb *Readback) read(ctx context.Context, count bool) ([]float32, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
	}
	size := uint64(max(rb.n, 1)) * 4
	if err := rb.staging.Map(ctx, wgpu.MapModeRead, 0, size); err != nil {
		return nil, rb.d.checkErr(fmt.Errorf("gpu: map readback: %w", err))
	}
	defer rb.staging.Unmap()
	rng, err := rb.staging.MappedRange(0, size)
	if err != nil {
		return nil, rb.d.checkErr(fmt.Errorf("gpu: mapped range: %w", err))
	}
	bytesF32(rng.Bytes(), rb.out)
	if count {
		stats.readbacks.Add(1)
	}
	return rb.out, nil
}

// ReadResult is what ReadAsync delivers.
type ReadResult struct {
	Data []float32
	Err  error
}

// ReadAsync maps rb on a goroutine and delivers a copy of its contents on
// the returned channel, so a caller on the browser's event loop never
// blocks.
func (rb *Readback) ReadAsync(ctx context.Context) <-chan ReadResult {
	ch := make(chan ReadResult, 1)
	go func() {
		data, err := rb.Read(ctx)
		if err != nil {
			ch <- ReadResult{Err: err}
			return
		}
		ch <- ReadResult{Data: append([]float32(nil), data...)}
	}()
	return ch
}

// Release frees the staging buffer.
func (rb *Readback) Release() {
	if rb != nil && rb.staging != nil {
		rb.staging.Release()
		rb.staging = nil
		rb.d.allocated.Add(-int64(max(rb.n, 1)) * 4)
	}
}

// Read copies b back to the CPU (allocating a staging buffer). For tests
// and one-off results; per-step paths use a Readback made once.
func (d *Device) Read(ctx context.Context, b *Buffer) ([]float32, error) {
	rb, err := d.NewReadback(b.Len)
	if err != nil {
		return nil, err
	}
	defer rb.Release()
	if err := d.NewRecorder().CopyToReadback(b, 0, rb).Submit(); err != nil {
		return nil, err
	}
	data, err := rb.Read(ctx)
	if err != nil {
		return nil, err
	}
	return append([]float32(nil), data...), nil
}
