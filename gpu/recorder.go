package gpu

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gogpu/wgpu"
)

// Recorder records dispatches and copies into one command buffer, which
// Submit sends to the queue in one call.
type Recorder struct {
	d    *Device
	enc  *wgpu.CommandEncoder
	pass *wgpu.ComputePassEncoder
	n    int
	err  error
	// collect, when set, receives dispatches instead of recording them
	// (Profile); err is then errCollecting so copies are skipped.
	collect *[]*Dispatch
}

// Stats counts what the device has been asked to do, so tests can check that
// a step is one submit and that nothing is read back behind the caller's
// back.
type Stats struct {
	Submits    int64
	Dispatches int64
	Readbacks  int64
}

type counters struct{ submits, dispatches, readbacks atomic.Int64 }

var stats counters // one per process: devices are few and tests read deltas

// ReadStats returns the process-wide counters.
func ReadStats() Stats {
	return Stats{stats.submits.Load(), stats.dispatches.Load(), stats.readbacks.Load()}
}

// NewRecorder starts a command buffer.
func (d *Device) NewRecorder() *Recorder {
	r := &Recorder{d: d}
	if err := d.Err(); err != nil {
		r.err = err
		return r
	}
	r.enc, r.err = d.dev.CreateCommandEncoder(&wgpu.CommandEncoderDescriptor{Label: "hubel"})
	if r.err != nil {
		r.err = d.checkErr(fmt.Errorf("gpu: command encoder: %w", r.err))
	}
	return r
}

// Run records ops in order.
func (r *Recorder) Run(ops ...Op) *Recorder {
	for _, op := range ops {
		if op != nil {
			op.Record(r)
		}
	}
	return r
}

func (r *Recorder) dispatch(x *Dispatch) {
	if r.collect != nil {
		*r.collect = append(*r.collect, x)
		return
	}
	if r.err != nil {
		return
	}
	if x == nil || x.bg == nil {
		r.err = fmt.Errorf("gpu: recording a released dispatch")
		return
	}
	if r.pass == nil {
		r.pass, r.err = r.enc.BeginComputePass(nil)
		if r.err != nil {
			r.err = fmt.Errorf("gpu: begin compute pass: %w", r.err)
			return
		}
	}
	pl, err := x.k.ready()
	if err != nil {
		r.err = err
		return
	}
	r.pass.SetPipeline(pl)
	r.pass.SetBindGroup(0, x.bg, nil)
	r.pass.Dispatch(x.Groups[0], x.Groups[1], x.Groups[2])
	r.n++
}

func (r *Recorder) endPass() {
	if r.pass != nil {
		if err := r.pass.End(); err != nil && r.err == nil {
			r.err = fmt.Errorf("gpu: end compute pass: %w", err)
		}
		r.pass = nil
	}
}

// Copy records a copy of n floats from src[srcOff:] to dst[dstOff:].
func (r *Recorder) Copy(src *Buffer, srcOff int, dst *Buffer, dstOff int, n int) *Recorder {
	if r.err != nil {
		return r
	}
	if srcOff < 0 || dstOff < 0 || srcOff+n > src.Len || dstOff+n > dst.Len {
		r.err = fmt.Errorf("gpu: copy %d floats from %q[%d:] (len %d) to %q[%d:] (len %d) out of range",
			n, src.label, srcOff, src.Len, dst.label, dstOff, dst.Len)
		return r
	}
	r.endPass()
	r.enc.CopyBufferToBuffer(src.buf, uint64(srcOff)*4, dst.buf, uint64(dstOff)*4, uint64(n)*4)
	return r
}

// Clear records zeroing of b.
func (r *Recorder) Clear(b *Buffer) *Recorder {
	if r.err != nil {
		return r
	}
	r.endPass()
	r.enc.ClearBuffer(b.buf, 0, uint64(max(b.Len, 1))*4)
	return r
}

// Submit finishes the command buffer and submits it. The recorder cannot be
// used afterwards.
func (r *Recorder) Submit() error {
	if r.err != nil {
		if r.enc != nil {
			r.endPass()
			r.enc.DiscardEncoding()
		}
		return r.err
	}
	r.endPass()
	if r.err != nil {
		return r.err
	}
	cb, err := r.enc.Finish()
	if err != nil {
		return r.d.checkErr(fmt.Errorf("gpu: finish command buffer: %w", err))
	}
	if _, err := r.d.queue.Submit(cb); err != nil {
		return r.d.checkErr(fmt.Errorf("gpu: submit: %w", err))
	}
	stats.submits.Add(1)
	stats.dispatches.Add(int64(r.n))
	r.err = fmt.Errorf("gpu: recorder already submitted")
	return nil
}

// Run records ops into one command buffer and submits it.
func (d *Device) Run(ops ...Op) error {
	return d.NewRecorder().Run(ops...).Submit()
}

// Sync waits until every submitted command buffer has finished.
func (d *Device) Sync(ctx context.Context) error {
	d.syncMu.Lock()
	defer d.syncMu.Unlock()
	if d.syncRB == nil {
		b, err := d.NewBuffer("sync", 1)
		if err != nil {
			return err
		}
		rb, err := d.NewReadback(1)
		if err != nil {
			b.Release()
			return err
		}
		d.syncBuf, d.syncRB = b, rb
	}
	b, rb := d.syncBuf, d.syncRB
	r := d.NewRecorder()
	r.CopyToReadback(b, 0, rb)
	if err := r.Submit(); err != nil {
		return err
	}
	_, err := rb.read(ctx, false)
	return err
}

// Time runs op reps times in one command buffer (after one warm-up
// submission) and returns the median per-op time over rounds submissions.
func (d *Device) Time(op Op, reps, rounds int) (time.Duration, error) {
	ctx := context.Background()
	if err := d.Run(op); err != nil {
		return 0, err
	}
	if err := d.Sync(ctx); err != nil {
		return 0, err
	}
	ts := make([]time.Duration, 0, rounds)
	for range rounds {
		r := d.NewRecorder()
		for range reps {
			r.Run(op)
		}
		t0 := time.Now()
		if err := r.Submit(); err != nil {
			return 0, err
		}
		if err := d.Sync(ctx); err != nil {
			return 0, err
		}
		ts = append(ts, time.Since(t0)/time.Duration(reps))
	}
	slices.Sort(ts)
	return ts[len(ts)/2], nil
}

// CopyOp is an Op copying all of Src into Dst (equal lengths). Beware:
// gogpu v0.34.5 validates consecutive copies outside a compute pass as one
// usage scope, so a buffer written by one copy cannot be read by the next
// in the same command buffer; chains of copies use a kernel instead.
type CopyOp struct{ Dst, Src *Buffer }

// Record implements Op.
func (c CopyOp) Record(r *Recorder) { r.Copy(c.Src, 0, c.Dst, 0, c.Src.Len) }

// CopyRangeOp is an Op copying N floats of Src from SrcOff into Dst at
// DstOff (the same caveat as CopyOp).
type CopyRangeOp struct {
	Dst            *Buffer
	DstOff, SrcOff int
	Src            *Buffer
	N              int
}

// Record implements Op.
func (c CopyRangeOp) Record(r *Recorder) { r.Copy(c.Src, c.SrcOff, c.Dst, c.DstOff, c.N) }
