// Package gpu is hubel's compute engine: a thin layer over gogpu/wgpu that
// runs the same WGSL kernels natively (Vulkan, Metal, DX12) and in the
// browser (navigator.gpu under GOOS=js).
//
// The engine is built around one idea: everything a step needs is prepared
// once (buffers, pipelines, bind groups, uniform parameters) and each step
// only records prepared dispatches into one command buffer and submits it.
// Nothing on that path allocates GPU objects, and nothing is read back unless
// the caller asks for it.
//
// The pieces:
//   - Device: the adapter and logical device, with a pipeline cache and the
//     kernel variants measured fastest on this adapter;
//   - Buffer: a typed f32 storage buffer; Pool reuses them by size;
//   - Kernel: a compiled compute pipeline (one per WGSL source and
//     specialisation) with an explicit bind group layout;
//   - Dispatch: a kernel bound to its buffers and parameters, ready to record;
//   - Recorder: many dispatches and copies in one command buffer, one submit;
//   - Readback: a staging buffer mapped asynchronously.
package gpu

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gogpu/gputypes"
	"github.com/gogpu/wgpu"
)

// ErrNoAdapter is returned by Open when no usable GPU adapter exists.
var ErrNoAdapter = errors.New("gpu: no usable GPU adapter")

// Options selects how Open acquires a device.
type Options struct {
	// Backend restricts the native backend: "" (Vulkan, Metal or DX12, the
	// platform's primary API), "vulkan" or "gl". Ignored in the browser.
	Backend string
	// Picks, if set, keeps the tuner's picks between runs (the browser
	// keeps them in localStorage: see LocalStorage). Pick reads it before
	// running trials and writes what they measured.
	Picks PickCache
	// Retune makes Pick measure every family on first use even where a
	// preset (Presets) or a kept pick exists, and keep the new pick.
	Retune bool
	// Kernels pins the variant of tuned families (family → variant, as
	// ParseKernels reads them): Pick returns these without trials, presets
	// or kept picks. A run that must reproduce another pins its picks
	// (kernels.go).
	Kernels map[string]string
	// TimeCompiles (diagnostics) waits for the GPU after each pipeline is
	// made and records how long it took (CompileTimes). In the browser the
	// compilation runs in the GPU process and would otherwise be hidden in
	// the next wait.
	TimeCompiles bool
}

// Device is an open GPU device with its pipeline cache.
type Device struct {
	instance *wgpu.Instance
	adapter  *wgpu.Adapter
	dev      *wgpu.Device
	queue    *wgpu.Queue

	// Adapter describes the adapter in words, e.g. "llvmpipe (LLVM 15.0.6,
	// 256 bits) [Vulkan]". Numbers hubel reports carry this name.
	Adapter string
	limits  gputypes.Limits

	mu        sync.Mutex
	kernels   map[string]*Kernel
	variants  map[string]string
	lost      error
	closeOnce sync.Once

	tuneMu   sync.Mutex
	tuning   map[string][]Measurement
	pickedBy map[string]string // family → "pinned", "preset", "kept" or "measured"
	picks    PickCache
	retune   bool

	syncMu  sync.Mutex
	syncBuf *Buffer
	syncRB  *Readback

	// allocated counts the bytes of live buffers made through the device
	// (storage, read-back staging and uniform), for Allocated.
	allocated atomic.Int64

	// zeroFilled: new buffers read as zeros (WebGPU in the browser).
	zeroFilled bool
	// lazyPipelines: a kernel's shader module and pipeline are made when
	// a command buffer first records it, not when it is prepared. In the
	// browser the GPU process compiles pipelines in the order they are
	// made, and a submission waits for those made before it: made lazily,
	// the first image waits only for its own few pipelines, not for the
	// whole network's.
	lazyPipelines bool
	timeCompiles  bool
	compileTimes  []KernelTime

	// setup counts what preparing work cost (SetupCost).
	compiled, compileNs, tuneNs, trials atomic.Int64
}

// SetupCost is what a device has spent preparing work so far: pipelines
// compiled and the tuner's trials. Page-load figures break down by it.
type SetupCost struct {
	// Kernels is the number of compute pipelines compiled.
	Kernels int
	// Compile is the time spent in the calls that compile them. Natively
	// that is the whole compilation; in the browser only its issue: the
	// browser compiles in its GPU process, and the first submission that
	// uses a pipeline waits for it.
	Compile time.Duration
	// Tune is the time the tuner spent measuring variants (their
	// pipelines' compilation included), over Trials variants.
	Tune   time.Duration
	Trials int
}

// SetupCost returns the device's setup cost so far.
func (d *Device) SetupCost() SetupCost {
	return SetupCost{Kernels: int(d.compiled.Load()), Compile: time.Duration(d.compileNs.Load()),
		Tune: time.Duration(d.tuneNs.Load()), Trials: int(d.trials.Load())}
}

// Allocated returns the bytes of GPU buffers this device has made and not
// yet released: storage buffers, read-back staging buffers and the
// dispatches' uniform blocks. Pipelines, bind groups and the driver's own
// memory are not counted.
func (d *Device) Allocated() int64 { return d.allocated.Load() }

// Limits returns the device's limits.
func (d *Device) Limits() gputypes.Limits { return d.limits }

// Close releases the device. Buffers and kernels made from it become invalid.
func (d *Device) Close() {
	d.closeOnce.Do(func() {
		d.mu.Lock()
		for _, k := range d.kernels {
			k.release()
		}
		d.kernels = nil
		d.mu.Unlock()
		d.syncMu.Lock()
		d.syncBuf.Release()
		d.syncRB.Release()
		d.syncBuf, d.syncRB = nil, nil
		d.syncMu.Unlock()
		if d.dev != nil {
			d.dev.Release()
		}
		if d.adapter != nil {
			d.adapter.Release()
		}
		if d.instance != nil {
			d.instance.Release()
		}
	})
}

// Variant returns the variant of kernel family fam that the engine chose for
// this adapter (see Tune), or "" if none was chosen yet.
func (d *Device) Variant(fam string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.variants[fam]
}

// SetVariant forces the variant of a kernel family, overriding measurement.
func (d *Device) SetVariant(fam, variant string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.variants[fam] = variant
}

// Variants returns a copy of every family's chosen variant.
func (d *Device) Variants() map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]string, len(d.variants))
	for k, v := range d.variants {
		out[k] = v
	}
	return out
}

func newDevice(inst *wgpu.Instance, ad *wgpu.Adapter, opts Options) (*Device, error) {
	if err := checkKernels(opts.Kernels); err != nil {
		return nil, err
	}
	limits := ad.Limits()
	dev, err := ad.RequestDevice(&wgpu.DeviceDescriptor{
		Label:          "hubel",
		RequiredLimits: limits,
	})
	if err != nil {
		return nil, fmt.Errorf("gpu: request device on %q: %w", ad.Info().Name, err)
	}
	d := &Device{
		instance: inst,
		adapter:  ad,
		dev:      dev,
		queue:    dev.Queue(),
		limits:   limits,
		kernels:  map[string]*Kernel{},
		variants: map[string]string{},
		tuning:   map[string][]Measurement{},
		pickedBy: map[string]string{},
		picks:    opts.Picks,
		retune:   opts.Retune,

		timeCompiles: opts.TimeCompiles,
	}
	for fam, v := range opts.Kernels {
		d.variants[fam], d.pickedBy[fam] = v, "pinned"
	}
	return d, nil
}

func describeAdapter(info gputypes.AdapterInfo) string {
	name := strings.TrimSpace(info.Name)
	if name == "" {
		name = "unknown adapter"
	}
	return fmt.Sprintf("%s [%s]", name, info.Backend)
}

// checkErr records and returns a device-level error (for example a lost
// device) so that later calls fail fast with the same cause.
func (d *Device) checkErr(err error) error {
	if err == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lost == nil && errors.Is(err, wgpu.ErrDeviceLost) {
		d.lost = fmt.Errorf("gpu: device lost on %s: %w", d.Adapter, err)
	}
	return err
}

// Err reports whether the device has been lost.
func (d *Device) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lost
}
