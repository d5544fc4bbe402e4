package gpu

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gogpu/gputypes"
	"github.com/gogpu/wgpu"

	"github.com/hubelviz/hubel/shaders"
)

// Access says how a kernel uses one of its storage buffers.
type Access uint8

const (
	// Read is a read-only storage binding (var<storage, read>).
	Read Access = iota
	// ReadWrite is a writable storage binding (var<storage, read_write>).
	ReadWrite
)

// Binding is one storage buffer binding of an entry point: its slot in
// group 0 (slot 0 is always the Params uniform) and how it is accessed.
type Binding struct {
	Slot   uint32
	Access Access
}

// Bindings is shorthand for consecutive slots 1, 2, … with the given accesses.
func Bindings(acc ...Access) []Binding {
	out := make([]Binding, len(acc))
	for i, a := range acc {
		out[i] = Binding{uint32(i + 1), a}
	}
	return out
}

// KernelSpec names one compute entry point and its specialisation.
type KernelSpec struct {
	File  string    // WGSL file in package shaders, e.g. "gemm.wgsl"
	Entry string    // entry point
	Bufs  []Binding // the storage buffers the entry point uses; Dispatch takes them in this order
	// Consts are prepended to the source as `const NAME = VALUE;`, so one
	// file serves several specialisations (tile sizes, workgroup sizes,
	// activation kinds). VALUE is a WGSL literal such as "16u" or "0.5".
	Consts map[string]string
}

func (s KernelSpec) key() string {
	var b strings.Builder
	b.WriteString(s.File)
	b.WriteByte(':')
	b.WriteString(s.Entry)
	names := make([]string, 0, len(s.Consts))
	for k := range s.Consts {
		names = append(names, k)
	}
	sort.Strings(names)
	// Without fmt: keys are made for every kernel a graph builds, and
	// fmt's reflection-driven printing was among the largest functions
	// V8 optimised as a page started (docs/speed.md, session 8).
	for _, k := range names {
		b.WriteString(";" + k + "=" + s.Consts[k])
	}
	b.WriteString(";bufs=[")
	for i, u := range s.Bufs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("{" + strconv.Itoa(int(u.Slot)) + " " + strconv.Itoa(int(u.Access)) + "}")
	}
	b.WriteByte(']')
	return b.String()
}

// source returns the WGSL with the spec's constants prepended.
func (s KernelSpec) source() (string, error) {
	src, err := shaders.Source(s.File)
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(s.Consts))
	for k := range s.Consts {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "const %s = %s;\n", k, s.Consts[k])
	}
	b.WriteString(src)
	return b.String(), nil
}

// Kernel is a compiled compute pipeline with its explicit bind group layout.
type Kernel struct {
	spec     KernelSpec
	d        *Device
	module   *wgpu.ShaderModule
	bgl      *wgpu.BindGroupLayout
	layout   *wgpu.PipelineLayout
	pipeline *wgpu.ComputePipeline
	// lazy: the shader module and pipeline are made from src on first
	// record (see Device.lazyPipelines); once guards that.
	lazy bool
	src  string
	once sync.Once
	err  error
}

// Name identifies the kernel in errors and profiles.
func (k *Kernel) Name() string { return k.spec.key() }

func (k *Kernel) release() {
	if k.pipeline != nil {
		k.pipeline.Release()
	}
	if k.layout != nil {
		k.layout.Release()
	}
	if k.bgl != nil {
		k.bgl.Release()
	}
	if k.module != nil {
		k.module.Release()
	}
}

// Kernel returns the compiled pipeline for spec, compiling it on first use.
// Each (file, entry, constants) triple is compiled once per device.
func (d *Device) Kernel(spec KernelSpec) (*Kernel, error) {
	key := spec.key()
	d.mu.Lock()
	k, ok := d.kernels[key]
	d.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := d.compile(spec)
	if err != nil {
		return nil, d.checkErr(fmt.Errorf("gpu: kernel %s: %w", key, err))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.kernels[key]; ok { // another goroutine won the race
		k.release()
		return old, nil
	}
	d.kernels[key] = k
	return k, nil
}

func (d *Device) compile(spec KernelSpec) (*Kernel, error) {
	src, err := spec.source()
	if err != nil {
		return nil, err
	}
	k := &Kernel{spec: spec, d: d, lazy: d.lazyPipelines}
	fail := func(what string, err error) (*Kernel, error) {
		k.release()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	entries := []gputypes.BindGroupLayoutEntry{{
		Binding:    0,
		Visibility: wgpu.ShaderStageCompute,
		Buffer:     &gputypes.BufferBindingLayout{Type: gputypes.BufferBindingTypeUniform},
	}}
	for _, b := range spec.Bufs {
		t := gputypes.BufferBindingTypeReadOnlyStorage
		if b.Access == ReadWrite {
			t = gputypes.BufferBindingTypeStorage
		}
		entries = append(entries, gputypes.BindGroupLayoutEntry{
			Binding:    b.Slot,
			Visibility: wgpu.ShaderStageCompute,
			Buffer:     &gputypes.BufferBindingLayout{Type: t},
		})
	}
	k.bgl, err = d.dev.CreateBindGroupLayout(&wgpu.BindGroupLayoutDescriptor{Label: spec.Entry, Entries: entries})
	if err != nil {
		return fail("bind group layout", err)
	}
	k.layout, err = d.dev.CreatePipelineLayout(&wgpu.PipelineLayoutDescriptor{Label: spec.Entry, BindGroupLayouts: []*wgpu.BindGroupLayout{k.bgl}})
	if err != nil {
		return fail("pipeline layout", err)
	}
	if k.lazy {
		k.src = src
		return k, nil
	}
	if err := k.build(src); err != nil {
		k.release()
		return nil, err
	}
	return k, nil
}

// build makes the kernel's shader module and pipeline from its source.
func (k *Kernel) build(src string) error {
	t0 := time.Now()
	defer func() {
		k.d.compileNs.Add(int64(time.Since(t0)))
		k.d.compiled.Add(1)
	}()
	var err error
	k.module, err = k.d.dev.CreateShaderModule(&wgpu.ShaderModuleDescriptor{Label: k.spec.File, WGSL: src})
	if err != nil {
		return fmt.Errorf("compile WGSL: %w", err)
	}
	k.pipeline, err = k.d.dev.CreateComputePipeline(&wgpu.ComputePipelineDescriptor{
		Label: k.spec.Entry, Layout: k.layout, Module: k.module, EntryPoint: k.spec.Entry,
	})
	if err != nil {
		return fmt.Errorf("compute pipeline: %w", err)
	}
	if k.d.timeCompiles {
		// Diagnostics (Options.TimeCompiles): wait until the GPU has
		// everything so far, this pipeline's compilation included.
		if err := k.d.Sync(context.Background()); err != nil {
			return err
		}
		k.d.mu.Lock()
		k.d.compileTimes = append(k.d.compileTimes, KernelTime{Kernel: k.Name(), Time: time.Since(t0)})
		k.d.mu.Unlock()
	}
	return nil
}

// CompileTimes returns, with Options.TimeCompiles, each pipeline's time
// from its creation until the GPU had compiled it (a read-back waited for),
// in order of creation.
func (d *Device) CompileTimes() []KernelTime {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]KernelTime(nil), d.compileTimes...)
}

// ready returns the kernel's pipeline, making it first if it is lazy.
func (k *Kernel) ready() (*wgpu.ComputePipeline, error) {
	if k.lazy {
		k.once.Do(func() {
			if err := k.build(k.src); err != nil {
				k.err = k.d.checkErr(fmt.Errorf("gpu: kernel %s: %w", k.Name(), err))
			}
			k.src = ""
		})
	}
	return k.pipeline, k.err
}

// Params is the uniform block of one dispatch: u32 words, floats bit-cast.
type Params []uint32

// U encodes a non-negative int as a Params word.
func U(x int) uint32 { return uint32(x) }

// F encodes a float as a Params word.
func F(x float64) uint32 { return math.Float32bits(float32(x)) }

// I encodes a signed int (WGSL i32) as a Params word.
func I(x int) uint32 { return uint32(int32(x)) }

// Op is anything that records GPU work: one Dispatch, or a sequence.
type Op interface {
	Record(r *Recorder)
}

// Seq records ops in order.
type Seq []Op

// Record implements Op.
func (s Seq) Record(r *Recorder) {
	for _, op := range s {
		if op != nil {
			op.Record(r)
		}
	}
}

// Dispatch is a kernel bound to its buffers and uniform parameters, ready to
// be recorded any number of times. Preparing it allocates; recording it does
// not.
type Dispatch struct {
	d      *Device
	k      *Kernel
	bg     *wgpu.BindGroup
	params *wgpu.Buffer
	pbytes []byte
	Groups [3]uint32
}

// Dispatch binds k to bufs (in the order of its spec's Bufs) and params
// (slot 0), to be run on groups workgroups.
func (d *Device) Dispatch(k *Kernel, params Params, groups [3]uint32, bufs ...*Buffer) (*Dispatch, error) {
	if len(bufs) != len(k.spec.Bufs) {
		return nil, fmt.Errorf("gpu: kernel %s takes %d buffers, got %d", k.Name(), len(k.spec.Bufs), len(bufs))
	}
	lim := d.limits.MaxComputeWorkgroupsPerDimension
	for _, g := range groups {
		if lim != 0 && g > lim {
			return nil, fmt.Errorf("gpu: kernel %s: %v workgroups exceed the adapter limit %d per dimension", k.Name(), groups, lim)
		}
	}
	n := (len(params) + 3) / 4 * 4 // uniform blocks are 16-byte granular
	if n == 0 {
		n = 4
	}
	x := &Dispatch{d: d, k: k, pbytes: make([]byte, 4*n), Groups: groups}
	var err error
	x.params, err = d.dev.CreateBuffer(&wgpu.BufferDescriptor{
		Label: k.spec.Entry + ".params", Size: uint64(len(x.pbytes)),
		Usage: wgpu.BufferUsageUniform | wgpu.BufferUsageCopyDst,
	})
	if err != nil {
		x.params = nil
		return nil, d.checkErr(fmt.Errorf("gpu: kernel %s: params: %w", k.Name(), err))
	}
	d.allocated.Add(int64(len(x.pbytes)))
	if err := x.SetParams(params); err != nil {
		x.Release()
		return nil, err
	}
	entries := []wgpu.BindGroupEntry{{Binding: 0, Buffer: x.params, Size: uint64(len(x.pbytes))}}
	for i, b := range bufs {
		if b == nil || b.buf == nil {
			x.Release()
			return nil, fmt.Errorf("gpu: kernel %s: buffer %d is nil or released", k.Name(), i+1)
		}
		entries = append(entries, wgpu.BindGroupEntry{Binding: k.spec.Bufs[i].Slot, Buffer: b.buf, Size: uint64(max(b.Len, 1)) * 4})
	}
	x.bg, err = d.dev.CreateBindGroup(&wgpu.BindGroupDescriptor{Label: k.spec.Entry, Layout: k.bgl, Entries: entries})
	if err != nil {
		x.Release()
		return nil, d.checkErr(fmt.Errorf("gpu: kernel %s: bind group: %w", k.Name(), err))
	}
	return x, nil
}

// SetParams rewrites the dispatch's uniform block (for per-step values such
// as an optimiser's step count or a random seed). The write is queued and
// seen by the next submitted command buffer. It does not allocate.
func (x *Dispatch) SetParams(params Params) error {
	if 4*len(params) > len(x.pbytes) {
		return fmt.Errorf("gpu: kernel %s: %d param words, block holds %d", x.k.Name(), len(params), len(x.pbytes)/4)
	}
	for i, w := range params {
		binary.LittleEndian.PutUint32(x.pbytes[4*i:], w)
	}
	return x.d.checkErr(x.d.queue.WriteBuffer(x.params, 0, x.pbytes))
}

// Record implements Op.
func (x *Dispatch) Record(r *Recorder) { r.dispatch(x) }

// Release frees the dispatch's bind group and uniform buffer.
func (x *Dispatch) Release() {
	if x == nil {
		return
	}
	if x.bg != nil {
		x.bg.Release()
		x.bg = nil
	}
	if x.params != nil {
		x.params.Release()
		x.params = nil
		x.d.allocated.Add(-int64(len(x.pbytes)))
	}
}

// maxGroups is WebGPU's guaranteed minimum of maxComputeWorkgroupsPerDimension.
const maxGroups = 65535

// Groups1D returns a grid of workgroups of size wg covering n invocations,
// folded into y when x would exceed 65535. Kernels recover the flat index as
// gid.x + gid.y * nwg.x * WG, with nwg from @builtin(num_workgroups).
func Groups1D(n, wg int) [3]uint32 {
	g := (n + wg - 1) / wg
	if g <= maxGroups {
		return [3]uint32{uint32(max(g, 1)), 1, 1}
	}
	y := (g + maxGroups - 1) / maxGroups
	x := (g + y - 1) / y
	return [3]uint32{uint32(x), uint32(y), 1}
}

// Ceil returns ceil(a/b) for positive ints.
func Ceil(a, b int) int { return (a + b - 1) / b }

// KernelNames lists the kernels prepared on d so far, by Kernel.Name (in
// the browser a kernel's pipeline is made when it is first recorded).
func (d *Device) KernelNames() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.kernels))
	for k := range d.kernels {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
