//go:build js && wasm

// Command bench is the WebAssembly half of hubel's benchmark page
// (site/bench.html), built by build.sh to site/bench.wasm and kept apart
// from the main app. It exposes hubel's AM step to the page's script, which
// runs it alternately with the same step written in TensorFlow.js:
//
//	window.hubelBench = {
//	  open(modelURL, {tune, timeCompiles}) → Promise<{adapter, ms, adapterMs, loadMs, lowerMs}>
//	                        (the device opens first, then the model loads: loadMs,
//	                        from the call, includes adapterMs)
//	  setup(config)       → Promise<{allocated, rendererMs, cost, tuning, variants, and spectrum()'s fields}>
//	  spectrum()          → Promise<{params, wf, scale, ay, bx, color, paramsMs}>
//	  sync()              → Promise<undefined> (once the GPU has done all work so far)
//	  cost()              → Promise<{kernels, compileMs, tuneMs, trials, compiles}> (the device's so far;
//	                        compiles: [[kernel, ms]] with timeCompiles)
//	  step(n)             → Promise<{ms, offsets: [[x, y] per image] per step}>
//	  net(n)              → Promise<{ms}>
//	  profile(rounds)     → Promise<{overheadMs, kernels: [{kernel, groups, ms}], byKernel: [{kernel, ms}]}>
//	  objectives()        → Promise<[[value per step] per image]>
//	  image()             → Promise<Float32Array> (NHWC in [0, 1], the first image)
//	  preview(config, {tune, timeCompiles, on})
//	                      → Promise<Float32Array> (the first image setup(config)'s
//	                        renderer starts from, drawn on the CPU (on: "gpu": on the
//	                        GPU) without the model:
//	                        the page's first frame while open loads it; it waits for
//	                        the device, which it opens if open has not begun to)
//	  release()           → Promise<undefined>
//	}
//
// config: {batch, size, jitter, steps, layer, channels: [per image], seed,
// lr, net: bool, spectral: "gemm" or "direct", spectrum: bool (default
// true; false leaves the spectrum's read-back to spectrum())}. setup prepares an am.Renderer (Fourier parameter, Lucid's
// colour decorrelation and sigmoid, transforms "jitter:N", the network to
// layer, channel objectives, Adam) and, with net, a forward+backward of the
// network alone on a fixed input with the same objective. step and net wait
// for the GPU to finish before they resolve. window.hubelBenchReady is set
// to true once the object exists.
package main

import (
	"context"
	"fmt"
	"sync"
	"syscall/js"
	"time"
	"unsafe"

	"github.com/hubelviz/hubel/am"
	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

type bench struct {
	d    *gpu.Device
	plan *models.Plan
	desc *models.Descriptor
	r    *am.Renderer
	net  *network
	cfg  config

	// The device opens once, on its own goroutine (startDevice). d,
	// devErr and devAt are set before devDone closes.
	devOnce sync.Once
	devDone chan struct{}
	devErr  error
	devAt   time.Time
}

// network is forward + channel objective + backward of the network alone,
// on a fixed input, as one command buffer.
type network struct {
	be   *models.GPU
	step gpu.Op
	own  []interface{ Release() }
}

func (n *network) release() {
	if n == nil {
		return
	}
	for i := len(n.own) - 1; i >= 0; i-- {
		n.own[i].Release()
	}
	n.be.Release()
}

func main() {
	b := &bench{}
	api := js.Global().Get("Object").New()
	api.Set("open", promise(b.open))
	api.Set("setup", promise(b.setup))
	api.Set("step", promise(b.step))
	api.Set("net", promise(b.netRun))
	api.Set("spectrum", promise(b.spectrum))
	api.Set("sync", promise(func([]js.Value) (any, error) { return js.Undefined(), b.d.Sync(context.Background()) }))
	api.Set("cost", promise(func([]js.Value) (any, error) { return setupCost(b.d), nil }))
	api.Set("profile", promise(b.profile))
	api.Set("objectives", promise(b.objectives))
	api.Set("image", promise(b.image))
	api.Set("preview", promise(b.preview))
	api.Set("release", promise(func([]js.Value) (any, error) { b.release(); return js.Undefined(), nil }))
	js.Global().Set("hubelBench", api)
	js.Global().Set("hubelBenchReady", true)
	js.Global().Call("dispatchEvent", js.Global().Get("Event").New("hubelbenchready"))
	select {}
}

// promise wraps f as a JS function returning a Promise; f runs on its own
// goroutine, so it may block on the GPU (never inside the callback itself).
func promise(f func(args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		args = append([]js.Value(nil), args...)
		var executor js.Func
		executor = js.FuncOf(func(_ js.Value, pr []js.Value) any {
			resolve, reject := pr[0], pr[1]
			go func() {
				defer executor.Release()
				v, err := f(args)
				if err != nil {
					reject.Invoke(js.Global().Get("Error").New("hubel bench: " + err.Error()))
					return
				}
				resolve.Invoke(v)
			}()
			return nil
		})
		return js.Global().Get("Promise").New(executor)
	})
}

// startDevice starts opening the device, once, with the options {tune,
// timeCompiles}, and returns a channel closed when it is open (or has
// failed: devErr).
func (b *bench) startDevice(o js.Value) <-chan struct{} {
	b.devOnce.Do(func() {
		b.devDone = make(chan struct{})
		// The tuner's picks: this adapter's preset or the pick kept in
		// localStorage, unless the page asks for trials (tune=1).
		opts := gpu.Options{Picks: gpu.LocalStorage("hubel.pick.")}
		if o.Type() == js.TypeObject {
			opts.Retune = o.Get("tune").Truthy()
			opts.TimeCompiles = o.Get("timeCompiles").Truthy()
		}
		go func() {
			b.d, b.devErr = gpu.Open(opts)
			b.devAt = time.Now()
			close(b.devDone)
		}()
	})
	return b.devDone
}

func (b *bench) open(args []js.Value) (any, error) {
	if len(args) < 1 || args[0].Type() != js.TypeString {
		return nil, fmt.Errorf("open: want the model's URL")
	}
	t0 := time.Now()
	// The device opens first: it takes milliseconds, but its promises
	// wait for the wasm to yield, which the model's decoding delays (the
	// model's files are on their way meanwhile: the page prefetches them).
	<-b.startDevice(arg(args, 1))
	if b.devErr != nil {
		return nil, b.devErr
	}
	tAdapter := b.devAt
	if tAdapter.Before(t0) {
		tAdapter = t0 // opened by an earlier call
	}
	ctx := context.Background()
	src := models.Fetch(args[0].String())
	m, err := models.Load(ctx, src)
	if err == nil {
		b.desc, err = models.LoadDescriptor(ctx, src, m)
	}
	tLoaded := time.Now()
	if err != nil {
		return nil, err
	}
	tPlan := time.Now()
	if b.plan, err = models.Lower(m); err != nil {
		return nil, err
	}
	tLower := time.Now()
	return map[string]any{"adapter": b.d.Adapter, "ms": ms(time.Since(t0)),
		"adapterMs": ms(tAdapter.Sub(t0)), "loadMs": ms(tLoaded.Sub(t0)), "lowerMs": ms(tLower.Sub(tPlan))}, nil
}

// setupCost reports a device's setup cost for the page, with each
// pipeline's compile time where the device times them.
func setupCost(d *gpu.Device) map[string]any {
	c := d.SetupCost()
	var each []any
	for _, k := range d.CompileTimes() {
		each = append(each, []any{k.Kernel, ms(k.Time)})
	}
	return map[string]any{"kernels": c.Kernels, "compileMs": ms(c.Compile), "tuneMs": ms(c.Tune), "trials": c.Trials, "compiles": each}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// config reads setup's argument.
type config struct {
	batch, size, jitter, steps int
	layer                      string
	channels                   []int
	seed                       uint64
	lr                         float64
	net                        bool
	spectrum                   bool   // setup also returns spectrum()'s fields
	spectral                   string // the Fourier parameter's variant ("" = default)
}

func readConfig(v js.Value) (config, error) {
	c := config{batch: 1, size: 232, jitter: 8, steps: 64, layer: "conv_pw_13_relu", seed: 1, lr: 0.05}
	if v.Type() != js.TypeObject {
		return c, fmt.Errorf("setup: want a config object")
	}
	num := func(k string, dst *int) {
		if x := v.Get(k); x.Type() == js.TypeNumber {
			*dst = x.Int()
		}
	}
	num("batch", &c.batch)
	num("size", &c.size)
	num("jitter", &c.jitter)
	num("steps", &c.steps)
	if x := v.Get("layer"); x.Type() == js.TypeString {
		c.layer = x.String()
	}
	if x := v.Get("seed"); x.Type() == js.TypeNumber {
		c.seed = uint64(x.Int())
	}
	if x := v.Get("lr"); x.Type() == js.TypeNumber {
		c.lr = x.Float()
	}
	c.net = v.Get("net").Truthy()
	c.spectrum = v.Get("spectrum").IsUndefined() || v.Get("spectrum").Truthy()
	if x := v.Get("spectral"); x.Type() == js.TypeString {
		c.spectral = x.String()
	}
	if c.batch < 1 || c.batch > 64 {
		return c, fmt.Errorf("setup: batch %d: want 1..64", c.batch)
	}
	chs := v.Get("channels")
	for i := range c.batch {
		ch := i
		if chs.Type() == js.TypeObject && i < chs.Length() {
			ch = chs.Index(i).Int()
		}
		c.channels = append(c.channels, ch)
	}
	return c, nil
}

// am is the renderer's configuration.
func (c config) am() am.Config {
	return am.Config{Size: c.size, Steps: c.steps, LR: c.lr, Seed: c.seed, Param: "fft",
		Transforms: fmt.Sprintf("jitter:%d", c.jitter), RedirectSteps: 0}
}

// setVariants selects the Fourier parameter's kernels on d.
func (c config) setVariants(d *gpu.Device) error {
	if c.spectral != "" && c.spectral != gpu.SpectralGEMM && c.spectral != gpu.SpectralDirect {
		return fmt.Errorf("setup: spectral %q: want %s or %s", c.spectral, gpu.SpectralGEMM, gpu.SpectralDirect)
	}
	d.SetVariant("spectral", c.spectral)
	return nil
}

// preview renders the initial image that setup's renderer with the same
// config starts from (am.Preview), without the model, on the CPU backend:
// the page's first frame, drawn while the model loads. On SwiftShader the
// GPU would first have to compile the image's pipelines (seconds); the CPU
// reference draws it in a fraction of a second, and the renderer's own
// first image matches it to float rounding.
func (b *bench) preview(args []js.Value) (any, error) {
	c, err := readConfig(arg(args, 0))
	if err != nil {
		return nil, err
	}
	// The device first: its promises would wait for this computation to
	// yield.
	o := arg(args, 1)
	<-b.startDevice(o)
	var img []float32
	if o.Type() == js.TypeObject && o.Get("on").String() == "gpu" {
		if b.devErr != nil {
			return nil, b.devErr
		}
		if err := c.setVariants(b.d); err != nil {
			return nil, err
		}
		img, err = am.Preview(context.Background(), am.Backend[*gpu.Buffer, gpu.Op](am.NewGPUBackend(b.d)), c.am(), c.batch, 3)
	} else {
		img, err = am.Preview(context.Background(), am.Backend[[]float64, func()](am.CPUBackend{}), c.am(), c.batch, 3)
	}
	if err != nil {
		return nil, err
	}
	return f32JS(img), nil
}

// arg is args[i], or undefined.
func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

func (b *bench) setup(args []js.Value) (any, error) {
	if b.plan == nil {
		return nil, fmt.Errorf("setup: open a model first")
	}
	if len(args) < 1 {
		return nil, fmt.Errorf("setup: want a config object")
	}
	c, err := readConfig(args[0])
	if err != nil {
		return nil, err
	}
	b.release()
	b.cfg = c
	if err := c.setVariants(b.d); err != nil {
		return nil, err
	}
	base := b.d.Allocated()
	t0 := time.Now()
	cost0 := b.d.SetupCost()
	objs := make([]am.Objective, c.batch)
	for i, ch := range c.channels {
		objs[i] = am.Channel(c.layer, ch)
	}
	if b.r, err = am.NewRenderer(b.d, b.plan, b.desc, objs, c.am()); err != nil {
		return nil, err
	}
	allocated := b.d.Allocated() - base
	renderMs := ms(time.Since(t0))
	cost := b.d.SetupCost()
	cost.Kernels -= cost0.Kernels
	cost.Compile -= cost0.Compile
	cost.Tune -= cost0.Tune
	cost.Trials -= cost0.Trials
	if c.net {
		if b.net, err = b.newNetwork(c); err != nil {
			return nil, err
		}
	}
	out := map[string]any{"allocated": float64(allocated), "rendererMs": renderMs,
		"tuning": b.d.TuningReport(), "cost": map[string]any{"kernels": cost.Kernels, "compileMs": ms(cost.Compile), "tuneMs": ms(cost.Tune), "trials": cost.Trials}, "variants": js.ValueOf(variants(b.d))}
	if c.spectrum {
		sp, err := b.spectrum(nil)
		if err != nil {
			return nil, err
		}
		for k, v := range sp.(map[string]any) {
			out[k] = v
		}
	}
	return out, nil
}

// spectrum reads back the renderer's initial spectrum, with the matrices
// and constants the TF.js side needs to compute the same image from it.
func (b *bench) spectrum([]js.Value) (any, error) {
	if b.r == nil {
		return nil, fmt.Errorf("spectrum: call setup first")
	}
	t0 := time.Now()
	params, err := b.r.Params(context.Background())
	if err != nil {
		return nil, err
	}
	c := b.cfg
	// The renderer's Fourier parameter: decay 1, then Lucid's 1/4.
	sh := gpu.SpectralShape{B: c.batch, C: 3, H: c.size, W: c.size, Decay: 1, OutScale: 0.25}
	color := make([]any, 9)
	for i, v := range gpu.LucidColor() {
		color[i] = v
	}
	ay, bx := sh.DFTMatrices(sh.WF())
	return map[string]any{"params": f32JS(params), "wf": sh.WF(), "scale": f32JS(sh.FrequencyScale()),
		"ay": f32JS(ay), "bx": f32JS(bx), "color": color, "paramsMs": ms(time.Since(t0))}, nil
}

// newNetwork lays out the network alone for c.batch images to c.layer with
// the channel objective of each image, on a fixed input (a mid-grey
// image with a gradient across it).
func (b *bench) newNetwork(c config) (*network, error) {
	n := &network{be: models.NewGPU(b.d)}
	ok := false
	defer func() {
		if !ok {
			n.release()
		}
	}()
	target, err := b.plan.Node(c.layer)
	if err != nil {
		return nil, err
	}
	g, err := models.Build[*gpu.Buffer, gpu.Op](n.be, b.plan, c.batch, []*models.Node{target}, true)
	if err != nil {
		return nil, err
	}
	x := make([]float32, g.Input.Len)
	for i := range x {
		x[i] = float32(i%997)/997 - 0.5
	}
	if err := g.Input.Write(x); err != nil {
		return nil, err
	}
	idx := make([]float32, c.batch)
	dy := make([]float32, c.batch)
	for i, ch := range c.channels {
		idx[i], dy[i] = float32(ch), -1
	}
	keep := func(v []float32, label string) (*gpu.Buffer, error) {
		buf, err := b.d.Upload(label, v)
		if err == nil {
			n.own = append(n.own, buf)
		}
		return buf, err
	}
	idxBuf, err := keep(idx, "net.index")
	if err != nil {
		return nil, err
	}
	dyBuf, err := keep(dy, "net.dy")
	if err != nil {
		return nil, err
	}
	out, err := keep(make([]float32, c.batch), "net.value")
	if err != nil {
		return nil, err
	}
	h, w, ch := target.Shape[0], target.Shape[1], target.Shape[2]
	s := gpu.NHWC{N: c.batch, H: h, W: w, C: ch}
	value, err := b.d.ChannelMean(s, g.Out[target], idxBuf, out)
	if err != nil {
		return nil, err
	}
	n.own = append(n.own, value)
	grad, err := b.d.ChannelMeanBackward(s, idxBuf, dyBuf, g.Seed[target], 1, false)
	if err != nil {
		return nil, err
	}
	n.own = append(n.own, grad)
	n.step = gpu.Seq{gpu.Seq(g.Forward), value, grad, gpu.Seq(g.Backward)}
	ok = true
	return n, nil
}

func (b *bench) step(args []js.Value) (any, error) {
	if b.r == nil {
		return nil, fmt.Errorf("step: call setup first")
	}
	n := 1
	if len(args) > 0 && args[0].Type() == js.TypeNumber {
		n = args[0].Int()
	}
	offsets := js.Global().Get("Array").New()
	t0 := time.Now()
	for range n {
		if err := b.r.Step(); err != nil {
			return nil, err
		}
		per := js.Global().Get("Array").New()
		for _, m := range b.r.Transforms() {
			per.Call("push", js.ValueOf([]any{m[2], m[5]}))
		}
		offsets.Call("push", per)
	}
	if err := b.d.Sync(context.Background()); err != nil {
		return nil, err
	}
	return map[string]any{"ms": ms(time.Since(t0)), "offsets": offsets}, nil
}

func (b *bench) netRun(args []js.Value) (any, error) {
	if b.net == nil {
		return nil, fmt.Errorf("net: call setup with net: true first")
	}
	n := 1
	if len(args) > 0 && args[0].Type() == js.TypeNumber {
		n = args[0].Int()
	}
	t0 := time.Now()
	for range n {
		if err := b.d.Run(b.net.step); err != nil {
			return nil, err
		}
	}
	if err := b.d.Sync(context.Background()); err != nil {
		return nil, err
	}
	return map[string]any{"ms": ms(time.Since(t0))}, nil
}

// profile times each dispatch of the network's forward+backward, and of
// the Fourier parameter's forward+adjoint, on its own (gpu.Device.Profile).
func (b *bench) profile(args []js.Value) (any, error) {
	if b.net == nil {
		return nil, fmt.Errorf("profile: call setup with net: true first")
	}
	rounds := 1
	if len(args) > 0 && args[0].Type() == js.TypeNumber {
		rounds = args[0].Int()
	}
	ks, overhead, err := b.d.Profile(b.net.step, rounds)
	if err != nil {
		return nil, err
	}
	// The Fourier parameter of the same batch, on scratch buffers: the
	// step's other heavy part.
	sh := gpu.SpectralShape{B: b.cfg.batch, C: 3, H: b.cfg.size, W: b.cfg.size, Decay: 1, OutScale: 0.25}
	var bufs []*gpu.Buffer
	defer func() {
		for _, x := range bufs {
			x.Release()
		}
	}()
	for _, n := range []int{sh.SpectrumLen(), sh.B * sh.H * sh.W * 3, sh.B * sh.H * sh.W * 3, sh.SpectrumLen()} {
		x, err := b.d.NewBuffer("profile.scratch", n)
		if err != nil {
			return nil, err
		}
		bufs = append(bufs, x)
	}
	sp, err := b.d.Spectral(sh, bufs[0], bufs[1], bufs[2], bufs[3])
	if err != nil {
		return nil, err
	}
	defer sp.Release()
	more, _, err := b.d.Profile(gpu.Seq{sp.Forward, sp.Backward}, rounds)
	if err != nil {
		return nil, err
	}
	ks = append(ks, more...)
	list := func(ks []gpu.KernelTime) []any {
		out := make([]any, len(ks))
		for i, k := range ks {
			out[i] = map[string]any{"kernel": k.Kernel, "groups": []any{k.Groups[0], k.Groups[1], k.Groups[2]}, "ms": ms(k.Time)}
		}
		return out
	}
	return map[string]any{"overheadMs": ms(overhead), "kernels": list(ks), "byKernel": list(gpu.ByKernel(ks, overhead)),
		"variants": js.ValueOf(variants(b.d))}, nil
}

func variants(d *gpu.Device) map[string]any {
	out := map[string]any{}
	for k, v := range d.Variants() {
		out[k] = v
	}
	return out
}

func (b *bench) objectives([]js.Value) (any, error) {
	if b.r == nil {
		return nil, fmt.Errorf("objectives: call setup first")
	}
	obj, err := b.r.Objectives(context.Background())
	if err != nil {
		return nil, err
	}
	out := make([]any, len(obj))
	for i, curve := range obj {
		c := make([]any, len(curve))
		for k, v := range curve {
			c[k] = v
		}
		out[i] = c
	}
	return js.ValueOf(out), nil
}

func (b *bench) image([]js.Value) (any, error) {
	if b.r == nil {
		return nil, fmt.Errorf("image: call setup first")
	}
	img, err := b.r.Images(context.Background())
	if err != nil {
		return nil, err
	}
	return f32JS(img), nil
}

func (b *bench) release() {
	if b.r != nil {
		b.r.Release()
		b.r = nil
	}
	b.net.release()
	b.net = nil
}

// f32JS copies v into a new Float32Array. wasm is little-endian, as
// Float32Array is here: v's own bytes are copied, no conversion loop (the
// first frame's 161 000 floats, one by one in V8's baseline code, cost
// tens of ms).
func f32JS(v []float32) js.Value {
	u8 := js.Global().Get("Uint8Array").New(4 * len(v))
	if len(v) > 0 {
		js.CopyBytesToJS(u8, unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v)))
	}
	return js.Global().Get("Float32Array").New(u8.Get("buffer"))
}
