//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"syscall/js"
	"time"

	"github.com/hubelviz/hubel/am"
	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
	"github.com/hubelviz/hubel/wasm/app"
)

// cmd is one request from the page to the runner.
type cmd struct {
	kind  string // start, pause, resume, reset, export, files
	hash  string // start: the state as hash keys
	merge bool   // start: apply hash over the current state, not the defaults
	id    int    // start: the promise to settle when the run ends (0: none)
	files models.Files
	which string // export: "image" or "grid"
}

// loaded is a model ready to render.
type loaded struct {
	key   string // how it was found: a site path, a URL or "dropped:NAME"
	plan  *models.Plan
	desc  *models.Descriptor
	where string // for the page: "this site", a URL, "dropped files"
	base  string // the folder's URL, "" for dropped files
	src   models.Source
	model *models.Model
	gen   *models.Generative // the generator and prior, once loaded (methods view)
}

// runner owns the GPU device, the loaded models and the current run. It is
// the only goroutine that blocks on the GPU or the network.
type runner struct {
	cmds   chan cmd
	view   *view
	disp   *display // starts the page's display
	dev    *gpu.Device
	devErr error
	devJS  js.Value // the page's record of dev (window.hubelDevices[i]), for its lost state
	// opening is closed once the first device open (started by init
	// on its own goroutine, so that it overlaps the first model's load)
	// has set dev, devErr and devJS, and openedAt (performance.now()).
	opening  chan struct{}
	openedAt float64
	cache    map[string]*loaded
	dropped  map[string]models.Files
	local    map[string]bool // models copied into the site at build time
	zoo      []models.ZooEntry
	base     *url.URL // the page's URL, for relative model paths

	state   app.State
	model   *loaded
	cpu     bool // rendering on the CPU fallback (no WebGPU)
	pending *cmd // a command that ended the current run
	notice  string

	// what state() reports
	running, paused bool
	step, steps     int
	curve           []float64
	rate            float64
	errMsg, errKey  string
	firstFrameMs    float64
	// marks: milliseconds after navigation at which the program started
	// (go), read the zoo and the site's model index (zoo), opened the GPU
	// (device), loaded its first model (model) and
	// prepared its first renderer (renderer): the page-ready breakdown,
	// with firstFrameMs.
	marks      map[string]any
	cellsDone  int
	cellsTotal int
	// methods view: each method's objective curve (pixel, dgn, ppgn)
	methodCurves [][]float64
}

var errAborted = errors.New("run replaced")

func newRunner(v *view) *runner {
	r := &runner{cmds: make(chan cmd, 16), view: v, cache: map[string]*loaded{}, dropped: map[string]models.Files{}, local: map[string]bool{}}
	r.state = app.Defaults()
	href := js.Global().Get("location").Get("href").String()
	r.base, _ = url.Parse(href)
	if r.base == nil {
		r.base = &url.URL{Scheme: "http", Host: "localhost", Path: "/"}
	}
	r.base.Fragment = ""
	return r
}

// send hands a command to the runner without blocking the caller (a JS
// callback).
func (r *runner) send(c cmd) {
	select {
	case r.cmds <- c:
	default:
		go func() { r.cmds <- c }()
	}
}

func (r *runner) loop() {
	r.init()
	for {
		var c cmd
		if r.pending != nil {
			c, r.pending = *r.pending, nil
		} else {
			c = <-r.cmds
		}
		r.handle(c)
		r.disp.start()
	}
}

// init reads the zoo and the site's model index, opens the GPU and
// publishes what the page needs to build its controls.
// mark records the first time the program reached the named point.
func (r *runner) mark(name string) {
	if r.marks == nil {
		r.marks = map[string]any{} // js.ValueOf takes map[string]any
	}
	if _, ok := r.marks[name]; !ok {
		r.marks[name] = js.Global().Get("performance").Call("now").Float()
	}
}

func (r *runner) init() {
	r.mark("go")
	var err error
	if r.zoo, err = models.Zoo(); err != nil {
		r.fail("", err)
	}
	if raw, err := r.source("models/").ReadFile(context.Background(), "index.json"); err == nil {
		var names []string
		if err := jsonUnmarshal(raw, &names); err == nil {
			for _, n := range names {
				r.local[n] = true
			}
		}
	}
	r.publishZoo()
	r.mark("zoo")
	// The adapter opens while the first model loads (waitDevice).
	r.opening = make(chan struct{})
	go func() {
		r.openDevice()
		r.openedAt = js.Global().Get("performance").Call("now").Float()
		close(r.opening)
	}()
	r.publish()
}

// deviceOpened says whether init's device open has finished (without
// waiting for it).
func (r *runner) deviceOpened() bool {
	select {
	case <-r.opening:
		return true
	default:
		return r.opening == nil
	}
}

// waitDevice waits for init's device open and marks when it was done.
func (r *runner) waitDevice() {
	if r.opening == nil {
		return
	}
	<-r.opening
	if _, ok := r.marks["device"]; !ok {
		r.marks["device"] = r.openedAt
	}
}

func (r *runner) openDevice() {
	if r.dev != nil {
		return
	}
	js.Global().Set("hubelDeviceLost", js.Null())
	// The tuner's picks come from the adapter's preset or localStorage
	// where they exist: trials compile many pipelines at start.
	r.dev, r.devErr = gpu.Open(gpu.Options{Picks: gpu.LocalStorage("hubel.pick.")})
	if r.devErr != nil {
		r.dev = nil
		fmt.Println("hubel: no GPU:", r.devErr)
		return
	}
	// gpu.Open asked the adapter for one device: the page's hook recorded
	// it last.
	r.devJS = js.Undefined()
	if ds := js.Global().Get("hubelDevices"); ds.Truthy() && ds.Length() > 0 {
		r.devJS = ds.Index(ds.Length() - 1)
	}
	fmt.Println("hubel: adapter:", r.dev.Adapter)
}

func (r *runner) handle(c cmd) {
	switch c.kind {
	case "start":
		r.start(c)
	case "reset":
		r.step, r.curve, r.running, r.paused = 0, nil, false, false
		r.view.clear()
		r.publish()
	case "export":
		r.export(c.which)
	case "files":
		r.addFiles(c)
	case "pause", "resume":
		// nothing is running
	}
}

// source is where models under the site or at a URL are read from.
func (r *runner) source(rel string) models.Source {
	u, err := r.base.Parse(rel)
	if err != nil {
		return models.Fetch(rel)
	}
	return models.Fetch(u.String())
}

// start parses the state, loads the model and runs, then settles the
// promise c.id.
func (r *runner) start(c cmd) {
	base := app.Defaults()
	if c.merge {
		base = r.state
	}
	s, err := app.Parse(c.hash, base)
	if err == nil && s.Model == "" && s.URL == "" {
		s.Model = r.defaultModel()
	}
	r.errMsg, r.errKey, r.notice = "", "", ""
	r.step, r.steps, r.curve, r.rate, r.cellsDone, r.cellsTotal, r.methodCurves = 0, 0, nil, 0, 0, 0, nil
	// The last run's curve, progress and step count go, or a link that
	// fails to parse would show them beside its error.
	r.view.setCurves(nil, 0)
	r.view.setProgress(0)
	if err != nil {
		r.settle(c.id, r.fail("", err))
		return
	}
	r.state = s
	if !js.Global().Get("navigator").Get("gpu").Truthy() {
		r.waitDevice() // it fails at once
	}
	if r.deviceOpened() && r.dev == nil && r.devErr != nil && !r.maybeSmall(s) {
		// No WebGPU and a model too large for the CPU fallback: say so
		// before loading it.
		r.settle(c.id, r.fail("gpu", noGPU(r.devErr)))
		return
	}
	r.running = true
	r.publish()
	r.model, err = r.load(s)
	if err != nil {
		r.running = false
		r.settle(c.id, r.fail("model", err))
		return
	}
	r.publish()
	if len(s.Objectives) == 0 && s.View == "gallery" && s.Layer != "" {
		s.Objectives = []string{s.Layer + ":0"}
	}
	if len(s.Objectives) == 0 && s.View == "methods" {
		s.Objectives = []string{"logsoftmax:0"}
	}
	if len(s.Objectives) == 0 {
		s.Objectives = []string{defaultObjective(r.model.desc)}
	}
	if s.View == "gallery" && s.Layer == "" {
		s.Layer = s.GalleryLayer()
	}
	r.state = s
	r.writeHash()
	r.publishModel()
	if err := s.CheckModel(r.model.plan, r.model.desc); err != nil {
		r.running = false
		r.settle(c.id, r.fail("", err))
		return
	}
	r.preview(s)
	r.waitDevice()
	for attempt := 0; ; attempt++ {
		r.openDevice()
		r.cpu = false
		if r.dev == nil {
			if n := weights(r.model.plan); n > maxCPUWeights {
				r.running = false
				r.settle(c.id, r.fail("gpu", fmt.Errorf("%w; the CPU fallback runs only small models (up to %d weights; %s has %d), such as the bundled ones",
					noGPU(r.devErr), maxCPUWeights, r.model.plan.Model.Name, n)))
				return
			}
			r.cpu = true
			r.notice = "No WebGPU here: rendering on the CPU (slower)."
		}
		if s.View == "gallery" {
			err = r.runGallery(s)
		} else if s.View == "methods" {
			err = r.runMethods(s)
		} else {
			err = r.runImage(s)
		}
		if err != nil && !errors.Is(err, errAborted) && !r.cpu {
			// The device's lost promise may settle after the failed
			// call that revealed it: give it time to.
			for t0 := time.Now(); !r.lost() && time.Since(t0) < 3*time.Second; {
				time.Sleep(50 * time.Millisecond)
			}
		}
		if err != nil && !errors.Is(err, errAborted) && r.lost() && attempt < 2 {
			// A lost device: open a new one and start the run again.
			fmt.Println("hubel: GPU device lost, reopening:", err)
			r.dev.Close()
			r.dev = nil
			r.notice = "The GPU device was lost; hubel opened a new one and restarted the run."
			continue
		}
		break
	}
	r.running, r.paused = false, false
	if errors.Is(err, errAborted) {
		r.publish()
		r.settle(c.id, nil)
		return
	}
	if err != nil {
		r.settle(c.id, r.fail("", err))
		return
	}
	r.publish()
	r.settle(c.id, nil)
}

// lost reports whether the GPU device was lost (by the engine's record or
// by the page's device.lost watcher in app.js, for this very device).
func (r *runner) lost() bool {
	if r.dev != nil && r.dev.Err() != nil {
		return true
	}
	return r.devJS.Truthy() && r.devJS.Get("hubelLost").Truthy()
}

// lostReason is the page's message for the lost device.
func (r *runner) lostReason() string {
	if r.devJS.Truthy() {
		if v := r.devJS.Get("hubelLost"); v.Truthy() {
			return v.String()
		}
	}
	if r.dev != nil && r.dev.Err() != nil {
		return r.dev.Err().Error()
	}
	return "lost"
}

// maxCPUWeights bounds the models the CPU fallback renders: its steps run
// on the page's only thread.
const maxCPUWeights = 1 << 20

// weights counts a plan's parameters.
func weights(p *models.Plan) int {
	n := 0
	for _, nd := range p.Nodes {
		n += len(nd.W) + len(nd.B) + len(nd.Scale) + len(nd.Shift)
	}
	return n
}

// maybeSmall reports whether the state's model might be small enough for
// the CPU fallback, before loading it: zoo models are judged by their
// input size.
func (r *runner) maybeSmall(s app.State) bool {
	if s.URL != "" || r.dropped[s.Model] != nil {
		return true
	}
	e, err := models.FindZoo(s.Model)
	return err != nil || e.Input.Height*e.Input.Width <= 64*64
}

func noGPU(err error) error {
	return fmt.Errorf("WebGPU is not available in this browser, so hubel cannot run the network on your GPU "+
		"(%v). Use a recent Chrome, Edge or Safari with WebGPU turned on; on Linux Chrome, enable "+
		"chrome://flags/#enable-unsafe-webgpu", err)
}

// defaultModel is the model of a page opened without one: the zoo's
// default (the bundled MNIST classifier) when this site holds it, else the
// first bundled or local model, else the zoo's first.
func (r *runner) defaultModel() string {
	here := func(e models.ZooEntry) bool { return e.Bundled || r.local[e.Name] }
	for _, e := range r.zoo {
		if e.Default && here(e) {
			return e.Name
		}
	}
	for _, e := range r.zoo {
		if here(e) {
			return e.Name
		}
	}
	if len(r.zoo) > 0 {
		return r.zoo[0].Name
	}
	return ""
}

// defaultObjective picks a channel two thirds of the way through the
// model's visualisable layers: deep enough to be interesting.
func defaultObjective(d *models.Descriptor) string {
	if len(d.Layers) == 0 {
		return "logit:0"
	}
	l := d.Layers[len(d.Layers)*2/3]
	return fmt.Sprintf("%s:%d", l.Name, min(5, l.Channels-1))
}

// load finds and loads the model the state names: dropped files, a URL, a
// copy on this site, or the zoo's web address, in that order.
func (r *runner) load(s app.State) (*loaded, error) {
	var src models.Source
	var key, where string
	switch {
	case s.URL != "":
		key, where = "url:"+s.URL, s.URL
		src = r.source(strings.TrimSuffix(s.URL, "/") + "/")
	case r.dropped[s.Model] != nil:
		key, where = "dropped:"+s.Model, "dropped files"
		src = r.dropped[s.Model]
	default:
		e, err := models.FindZoo(s.Model)
		switch {
		case r.local[s.Model]:
			key, where = "site:"+s.Model, "this site"
			src = r.source("models/" + s.Model + "/")
		case err != nil:
			return nil, &app.KeyError{Key: "model", Value: s.Model, Msg: r.unknownModel()}
		case e.URL != "":
			key, where = "url:"+e.URL, e.URL
			src = r.source(strings.TrimSuffix(e.URL, "/") + "/")
		default:
			return nil, &app.KeyError{Key: "model", Value: s.Model, Msg: "this site has no copy of it and the zoo has no URL for it"}
		}
	}
	if m := r.cache[key]; m != nil {
		return m, nil
	}
	if e, err := models.FindZoo(s.Model); err == nil && e.LabelsFile != "" && s.URL == "" {
		// A zoo model's labels are read after its weights: they travel
		// beside them instead.
		if f, ok := src.(models.Fetch); ok {
			f.Prefetch(e.LabelsFile)
		}
	}
	r.status("Loading the model from " + where + " …")
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	m, err := models.Load(ctx, src)
	if err != nil {
		return nil, err
	}
	desc, err := models.LoadDescriptor(ctx, optionalLabels{src}, m)
	if err != nil {
		return nil, err
	}
	p, err := models.Lower(m)
	if err != nil {
		return nil, err
	}
	l := &loaded{key: key, plan: p, desc: desc, where: where, src: src, model: m}
	if f, ok := src.(models.Fetch); ok {
		l.base = f.Where("")
	}
	r.cache[key] = l
	r.mark("model")
	fmt.Printf("hubel: loaded %s from %s in %.2f s\n", m.Name, where, time.Since(t0).Seconds())
	return l, nil
}

func (r *runner) unknownModel() string {
	var names []string
	for _, e := range r.zoo {
		names = append(names, e.Name)
	}
	for n := range r.dropped {
		names = append(names, n)
	}
	return "no such model (known: " + strings.Join(names, ", ") + "); give url=… for a model elsewhere"
}

// optionalLabels lets a model load without its labels file (Google's
// tfjs-models folders have none): the classes are then numbered.
type optionalLabels struct{ models.Source }

func (o optionalLabels) ReadFile(ctx context.Context, name string) ([]byte, error) {
	b, err := o.Source.ReadFile(ctx, name)
	if err != nil && name != "hubel.json" && name != "model.json" {
		return []byte("[]"), nil
	}
	return b, err
}

func (r *runner) addFiles(c cmd) {
	m, err := models.Load(context.Background(), c.files)
	if err != nil {
		r.fail("files", err)
		return
	}
	r.dropped[m.Name] = c.files
	delete(r.cache, "dropped:"+m.Name)
	r.start(cmd{kind: "start", hash: "model=" + m.Name, merge: false, id: c.id})
}

// poll handles commands between steps: pause waits here until resume; a
// new start or a reset ends the run (errAborted).
func (r *runner) poll() error {
	for {
		var c cmd
		if r.paused {
			c = <-r.cmds
		} else {
			select {
			case c = <-r.cmds:
			default:
				return nil
			}
		}
		switch c.kind {
		case "pause":
			if !r.paused {
				r.paused = true
				r.publish()
			}
		case "resume":
			if r.paused {
				r.paused = false
				r.publish()
			}
		case "export":
			r.export(c.which)
		default:
			r.pending = &c
			return errAborted
		}
		if !r.paused {
			return nil
		}
	}
}

func (r *runner) config(s app.State) am.Config {
	return am.Config{Size: s.Size, Steps: s.Steps, LR: s.LR, Seed: s.Seed, Param: s.Param, Transforms: s.Transforms, RedirectSteps: 16}
}

// engine is what a render needs of am's GPU and CPU renderers.
type engine interface {
	Step() error
	Size() int
	Images(ctx context.Context) ([]float32, error)
	Objectives(ctx context.Context) ([][]float64, error)
	Release()
	// Param and Sample: the last frame of a PPGN chain shows its sample
	// (am's Sample, the chain's state refined by the class term), the
	// frames before it the chain itself.
	Param() string
	Sample(ctx context.Context) ([]float32, error)
}

// runImage renders the state's batch, showing frames as it goes.
func (r *runner) runImage(s app.State) error {
	objs, labels, err := imageCells(s)
	if err != nil {
		return err
	}
	r.view.reset("image", s.Size, labels, nil)
	r.cellsTotal = len(objs)
	return r.render(s, objs, 0, 1)
}

// imageCells returns the image view's objectives and their cells' labels.
func imageCells(s app.State) ([]am.Objective, []string, error) {
	objs, err := s.Images()
	if err != nil {
		return nil, nil, err
	}
	labels := make([]string, len(objs))
	for i := range labels {
		labels[i] = s.Objectives[min(i, len(s.Objectives)-1)]
	}
	return objs, labels, nil
}

// preview shows the page's first frame before the GPU is ready: the image
// view's initial images, computed on the CPU (am.Preview draws the images
// a renderer with the same config starts from, without the model's
// weights) while the device opens and the renderer's pipelines compile
// (on SwiftShader, a second or more). The renderer's own first frame then
// replaces them with the same pixels. Code parameterisations draw with
// the generator, so they have no preview.
func (r *runner) preview(s app.State) {
	cfg := r.config(s)
	if r.firstFrameMs != 0 || s.View != "image" || cfg.Param == "dgn" || cfg.Param == "ppgn" {
		return
	}
	objs, labels, err := imageCells(s)
	if err != nil {
		return // runImage reports it
	}
	// The CPU's Fourier transform costs about n·S²·1.5·S per channel: up
	// to bench.html's 232 px image (~0.3 s in wasm) the preview is worth
	// it; a larger batch or size waits for the GPU instead.
	if S := s.Size; len(objs)*S*S*(S+S/2) > 232*232*348 {
		return
	}
	imgs, err := am.PreviewModel(context.Background(), am.Backend[[]float64, func()](am.CPUBackend{}), r.model.desc, cfg, len(objs))
	if err != nil {
		fmt.Println("hubel: no preview:", err)
		return
	}
	r.view.reset("image", s.Size, labels, nil)
	r.view.setImages(0, imgs)
	r.firstFrameMs = js.Global().Get("performance").Call("now").Float()
	r.view.presentFirst()
	r.publish()
	r.disp.start()
}

// runGallery renders a layer's channels in batches, each cell filling in
// as its batch runs.
func (r *runner) runGallery(s app.State) error {
	layer := s.GalleryLayer()
	n, err := r.model.plan.Node(layer)
	if err != nil {
		return err
	}
	chans, err := app.ParseChannels(s.Channels, n.Shape[len(n.Shape)-1])
	if err != nil {
		return &app.KeyError{Key: "channels", Value: s.Channels, Msg: err.Error()}
	}
	labels := make([]string, len(chans))
	for i, c := range chans {
		labels[i] = fmt.Sprintf("%s:%d", layer, c)
	}
	r.view.reset("gallery", s.Size, labels, chans)
	r.cellsTotal = len(chans)
	B := s.Batch
	if B <= 1 {
		B = 4
	}
	nb := (len(chans) + B - 1) / B
	for b := 0; b < nb; b++ {
		lo, hi := b*B, min((b+1)*B, len(chans))
		objs := make([]am.Objective, 0, hi-lo)
		for _, c := range chans[lo:hi] {
			objs = append(objs, am.Channel(layer, c))
		}
		if err := r.render(s, objs, lo, nb); err != nil {
			return err
		}
	}
	return nil
}

// render runs one am.Renderer over objs, whose images are cells first..
// (see drive). batches is how many renders the run has in all, for the
// progress bar.
func (r *runner) render(s app.State, objs []am.Objective, first, batches int) error {
	rd, err := r.newEngine(objs, r.config(s))
	if err != nil {
		return err
	}
	defer rd.Release()
	return r.drive(s, []engine{rd}, first, first/max(len(objs), 1), batches)
}

// newEngine prepares a render on the GPU, or on the CPU fallback.
func (r *runner) newEngine(objs []am.Objective, cfg am.Config) (engine, error) {
	t0 := time.Now()
	var rd engine
	var err error
	if r.cpu {
		rd, err = am.NewCPURenderer(r.model.plan, r.model.desc, objs, cfg)
	} else {
		rd, err = am.NewRenderer(r.dev, r.model.plan, r.model.desc, objs, cfg)
	}
	if err != nil {
		return nil, err
	}
	r.mark("renderer")
	fmt.Printf("hubel: %s renderer for %d image(s) ready in %.2f s\n", cfg.Param, len(objs), time.Since(t0).Seconds())
	return rd, nil
}

// drive steps the engines together (each step of each, in turn), their
// images being cells first.. in order, reading back a frame every K steps
// (K chosen so that frames come about every 200 ms) and publishing
// progress. The page's curve is the first image's (one per engine in the
// methods view); batchIndex of batches
// places the run on the progress bar.
func (r *runner) drive(s app.State, engines []engine, first, batchIndex, batches int) error {
	ctx := context.Background()
	r.steps = s.Steps
	r.step = 0
	r.publish()
	start := time.Now()
	var paused time.Duration
	// The first frame is the initial image, shown at once: in the browser
	// it waits only for its own few pipelines, not for the network's.
	n, err := r.frame(ctx, s, engines, first, false)
	if err != nil {
		return err
	}
	r.publish()
	lastFrame, lastSync := time.Now(), time.Now()
	for i := 1; i <= s.Steps; i++ {
		p0 := time.Now()
		if err := r.poll(); err != nil {
			return err
		}
		paused += time.Since(p0)
		for _, rd := range engines {
			if err := rd.Step(); err != nil {
				return err
			}
		}
		// Waiting for the GPU at least every 100 ms keeps the queue short,
		// the progress bar honest and the page responsive (the GPU works
		// while this goroutine waits); fast steps are not waited on one by
		// one.
		if !r.cpu && time.Since(lastSync) >= 100*time.Millisecond {
			if err := r.dev.Sync(ctx); err != nil {
				return err
			}
			lastSync = time.Now()
		}
		if !r.cpu && r.lost() {
			// WebGPU drops the work of a lost device silently; the
			// page's device.lost watcher tells.
			return fmt.Errorf("gpu: the device was lost (%s)", r.lostReason())
		}
		r.step = i
		if time.Since(lastFrame) >= 200*time.Millisecond || i == s.Steps {
			lastFrame = time.Now()
			var err error
			if n, err = r.frame(ctx, s, engines, first, i == s.Steps); err != nil {
				return err
			}
			r.rate = float64(i) / (time.Since(start) - paused).Seconds()
			r.view.setProgress((float64(batchIndex) + float64(i)/float64(s.Steps)) / float64(batches))
			r.publish()
		}
	}
	r.cellsDone = first + n
	r.view.markDone(first, n)
	r.publish()
	return nil
}

// runMethods renders the state's class with pixel AM (the state's
// parameterisation, transforms and size), DGN-AM and PPGN side by side;
// the generator's images are shown enlarged to the same size, pixel for
// pixel.
func (r *runner) runMethods(s app.State) error {
	if r.model.desc.Generator == "" {
		return &app.KeyError{Key: "view", Value: "methods", Msg: fmt.Sprintf("%s ships no generator, which DGN-AM and PPGN need (the bundled mnist and fashion models do)", r.model.plan.Model.Name)}
	}
	if r.model.gen == nil {
		r.status("Loading the generator and the prior …")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		gen, err := models.LoadGenerative(ctx, r.model.src, r.model.desc, r.model.model)
		cancel()
		if err != nil {
			return err
		}
		r.model.gen = gen
	}
	objs, err := s.Images()
	if err != nil {
		return err
	}
	code, _ := am.DefaultCode("dgn")
	code.Generator = r.model.gen
	ppgnCode, _ := am.DefaultCode("ppgn")
	ppgnCode.Generator = r.model.gen
	out, err := code.Generator.G.Node(code.Generator.G.Model.Output.Name)
	if err != nil {
		return err
	}
	if out.Shape[0] > s.Size {
		return &app.KeyError{Key: "size", Value: fmt.Sprint(s.Size), Msg: fmt.Sprintf("the generator's images are %d px: the methods view needs size ≥ %d", out.Shape[0], out.Shape[0])}
	}
	pixel := r.config(s)
	dgn := pixel
	dgn.Param, dgn.Code = "dgn", code
	ppgn := dgn
	ppgn.Param, ppgn.Code, ppgn.Langevin = "ppgn", ppgnCode, am.Langevin{Eps1: s.Eps1, Eps2: s.Eps2, Eps3: s.Eps3}
	names := []string{"Pixel AM", "DGN-AM", "PPGN"}
	r.view.reset("methods", s.Size, names, nil)
	r.cellsTotal = len(names)
	var engines []engine
	defer func() {
		for _, e := range engines {
			e.Release()
		}
	}()
	for _, cfg := range []am.Config{pixel, dgn, ppgn} {
		e, err := r.newEngine(objs[:1], cfg)
		if err != nil {
			return err
		}
		engines = append(engines, e)
	}
	return r.drive(s, engines, 0, 0, 1)
}

// frame reads back the images and the objective curves of the engines,
// whose images are cells first.. in order; it returns how many images
// they hold. The last frame shows PPGN's samples.
func (r *runner) frame(ctx context.Context, s app.State, engines []engine, first int, last bool) (int, error) {
	off := first
	var curves [][]float64
	for _, rd := range engines {
		images := rd.Images
		if last && rd.Param() == "ppgn" {
			images = rd.Sample
		}
		imgs, err := images(ctx)
		if err != nil {
			return 0, err
		}
		c, err := rd.Objectives(ctx)
		if err != nil {
			return 0, err
		}
		if n := rd.Size(); n != s.Size {
			imgs = app.Enlarge(imgs, len(c), n, s.Size)
		}
		r.view.setImages(off, imgs)
		off += len(c)
		if len(c) > 0 {
			curves = append(curves, c[0])
		}
	}
	if len(curves) > 0 {
		r.curve = curves[0]
		r.view.setCurves(curves, r.steps)
	}
	if len(engines) > 1 {
		r.methodCurves = curves
	}
	if r.firstFrameMs == 0 {
		r.firstFrameMs = js.Global().Get("performance").Call("now").Float()
		r.view.presentFirst()
	}
	r.disp.start()
	return off - first, nil
}

// fail records err as the page's error (naming its key where it has one)
// and returns it.
func (r *runner) fail(key string, err error) error {
	var ke *app.KeyError
	if errors.As(err, &ke) {
		key = ke.Key
	}
	r.errKey, r.errMsg = key, err.Error()
	r.running, r.paused = false, false
	fmt.Println("hubel: error:", r.errMsg)
	r.publish()
	r.disp.start()
	return err
}

// writeHash puts the state in the address bar without adding a history
// entry or firing hashchange.
func (r *runner) writeHash() {
	h := "#" + r.state.Encode(app.Defaults())
	if js.Global().Get("location").Get("hash").String() != h {
		js.Global().Get("history").Call("replaceState", js.Null(), "", h)
	}
}
