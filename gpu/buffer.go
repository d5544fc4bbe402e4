package gpu

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/gogpu/wgpu"
)

// Buffer is a storage buffer of float32 values on the device.
type Buffer struct {
	d   *Device
	buf *wgpu.Buffer
	// Len is the number of float32 elements.
	Len   int
	label string
}

const storageUsage = wgpu.BufferUsageStorage | wgpu.BufferUsageCopySrc | wgpu.BufferUsageCopyDst

// NewBuffer allocates a buffer of n float32 values. Its contents are
// undefined (gogpu's Vulkan backend may hand back a released buffer's
// memory): every user writes before it reads, or clears it with
// Recorder.Clear.
func (d *Device) NewBuffer(label string, n int) (*Buffer, error) {
	if n < 0 {
		return nil, fmt.Errorf("gpu: buffer %q: negative length %d", label, n)
	}
	size := uint64(max(n, 1)) * 4
	if max := d.limits.MaxStorageBufferBindingSize; max != 0 && size > uint64(max) {
		return nil, fmt.Errorf("gpu: buffer %q: %d bytes exceeds the adapter's storage binding limit of %d bytes", label, size, max)
	}
	b, err := d.dev.CreateBuffer(&wgpu.BufferDescriptor{Label: label, Size: size, Usage: storageUsage})
	if err != nil {
		return nil, d.checkErr(fmt.Errorf("gpu: create buffer %q (%d floats): %w", label, n, err))
	}
	d.allocated.Add(int64(size))
	return &Buffer{d: d, buf: b, Len: n, label: label}, nil
}

// NewZeros allocates a storage buffer of n floats holding zeros. In the
// browser WebGPU zero-fills every new buffer, so nothing is written (at
// batch 1 MobileNet's activations and gradients are 75 MiB: writing their
// zeros from wasm cost seconds of a page load); natively a new buffer's
// contents are undefined and zeros are written.
func (d *Device) NewZeros(label string, n int) (*Buffer, error) {
	b, err := d.NewBuffer(label, n)
	if err != nil || d.zeroFilled {
		return b, err
	}
	if err := b.Write(make([]float32, n)); err != nil {
		b.Release()
		return nil, err
	}
	return b, nil
}

// Upload allocates a buffer holding data.
func (d *Device) Upload(label string, data []float32) (*Buffer, error) {
	b, err := d.NewBuffer(label, len(data))
	if err != nil {
		return nil, err
	}
	if err := b.Write(data); err != nil {
		b.Release()
		return nil, err
	}
	return b, nil
}

// Write copies data into the start of the buffer (queued, takes effect
// before the next submit).
func (b *Buffer) Write(data []float32) error {
	return b.WriteAt(0, data)
}

// WriteAt copies data into the buffer starting at element off.
func (b *Buffer) WriteAt(off int, data []float32) error {
	if off < 0 || off+len(data) > b.Len {
		return fmt.Errorf("gpu: write %d floats at %d into buffer %q of %d", len(data), off, b.label, b.Len)
	}
	if len(data) == 0 {
		return nil
	}
	return b.d.checkErr(b.d.queue.WriteBuffer(b.buf, uint64(off)*4, f32Bytes(data)))
}

// Label returns the buffer's debug label.
func (b *Buffer) Label() string { return b.label }

// Release frees the buffer.
func (b *Buffer) Release() {
	if b != nil && b.buf != nil {
		b.buf.Release()
		b.buf = nil
		b.d.allocated.Add(-int64(max(b.Len, 1)) * 4)
	}
}

// f32Bytes encodes float32s little-endian. WebGPU buffers are little-endian
// on every platform hubel runs on. On a little-endian host (wasm's too) it
// is v's own memory, no copy (WriteBuffer copies it before it returns):
// uploading MobileNet's 10 MB of weights through a fresh copy cost a page
// load about 0.3 s in wasm.
func f32Bytes(v []float32) []byte {
	if littleEndian && len(v) > 0 {
		return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
	}
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}

func bytesF32(b []byte, out []float32) {
	if littleEndian && len(out) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), 4*len(out)), b[:4*len(out)])
		return
	}
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// littleEndian says whether the host stores a float32 as WebGPU buffers do.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Pool reuses buffers by length so that planning a graph twice, or for a
// second batch size, does not grow GPU memory without bound.
type Pool struct {
	d    *Device
	mu   sync.Mutex
	free map[int][]*Buffer
}

// NewPool returns an empty pool on d.
func (d *Device) NewPool() *Pool { return &Pool{d: d, free: map[int][]*Buffer{}} }

// Get returns a buffer of n floats, reused if one is free. Its contents are
// whatever the previous user left; callers that need zeros clear it.
func (p *Pool) Get(label string, n int) (*Buffer, error) {
	p.mu.Lock()
	if l := p.free[n]; len(l) > 0 {
		b := l[len(l)-1]
		p.free[n] = l[:len(l)-1]
		p.mu.Unlock()
		b.label = label
		return b, nil
	}
	p.mu.Unlock()
	return p.d.NewBuffer(label, n)
}

// Put returns b to the pool.
func (p *Pool) Put(b *Buffer) {
	if b == nil {
		return
	}
	p.mu.Lock()
	p.free[b.Len] = append(p.free[b.Len], b)
	p.mu.Unlock()
}

// Release frees every buffer held by the pool.
func (p *Pool) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.free {
		for _, b := range l {
			b.Release()
		}
	}
	p.free = map[int][]*Buffer{}
}
