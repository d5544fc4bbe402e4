package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/hubelviz/hubel/am"
	"github.com/hubelviz/hubel/models"
)

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

const renderUsage = `Usage: hubel render -model DIR -objective SPEC [-objective SPEC ...] [flags]

Synthesises one image per -objective (a batch, optimised together) that
maximises it: Lucid's optvis, with the survey's additions.

SPEC (Lucid-like; weighted sums and differences of terms):
  conv_pw_7_relu:12            channel 12 (mean over positions)
  conv_pw_7_relu:12@3,4        the neuron at x=3, y=4 of that channel
  deepdream:conv_pw_9_relu     mean of squared activations of a layer
  logit:249  softmax:249  logsoftmax:249   a class (the survey's Table, a-c)
  dir:conv_pw_9_relu:FILE.f32  a direction in channel space (float32 LE)
  diversity:conv_pw_9_relu     Lucid's diversity across the batch: minus the
                               mean cosine of Gram matrices with the others
  l1  l2  tv                   image penalties (means over the image; L1/L2
                               pull towards grey, tv = squared differences)
  0.5*conv_pw_7_relu:12-conv_pw_7_relu:3-0.1*l2

Langevin sampling (the survey's Eq. 11, in pixel space):
  hubel render -model DIR -objective logsoftmax:249 -param pixel -transforms none \
    -sampler langevin -eps1 0.1 -eps2 1000 -eps3 0.01 -steps 200 -sample-every 20 -out-dir frames
  ε1 weighs a Gaussian smoothness prior (log p(x) = −TV²(x)), ε2 the
  objective's gradient, ε3 the noise; -sample-every K writes frame K, 2K, …

Flags:
`

func cmdRender(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), renderUsage)
		fs.PrintDefaults()
	}
	var mf modelFlags
	mf.register(fs)
	var specs multiFlag
	fs.Var(&specs, "objective", "objective SPEC, one image each (repeat the flag)")
	def := am.Defaults()
	cfg := def
	dc, dl := am.DefaultCode("dgn")
	fs.IntVar(&cfg.Steps, "steps", def.Steps, "optimisation (or sampling) steps")
	fs.IntVar(&cfg.Size, "size", def.Size, "image size in pixels")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "random seed")
	fs.StringVar(&cfg.Param, "param", def.Param, "fft (Lucid's spectrum), pixel, dgn (DGN-AM) or ppgn (need a model that ships a generator and prior)")
	fs.StringVar(&cfg.Transforms, "transforms", def.Transforms, "lucid, none, or jitter:N (a random crop N pixels smaller)")
	fs.Float64Var(&cfg.LR, "lr", def.LR, "learning rate")
	fs.IntVar(&cfg.RedirectSteps, "redirect", def.RedirectSteps, "steps with Lucid's redirected ReLU gradient")
	fs.StringVar(&cfg.Optimizer, "optimizer", def.Optimizer, "adam or sgd")
	fs.Float64Var(&cfg.Momentum, "momentum", 0, "SGD momentum")
	fs.StringVar(&cfg.Init, "init", def.Init, "start: random, grey or mean (pixel: the dataset's mean colour; dgn, ppgn: random (N(mean, std²) per unit), normal (N(0, 1) per unit, as DGN-AM's own code) or mean code; default for ppgn: mean)")
	fs.IntVar(&cfg.BlurEvery, "blur-every", 0, "blur the image every K steps (pixel parameter; 0: never)")
	fs.Float64Var(&cfg.BlurSigma, "blur-sigma", 0.5, "σ in pixels of -blur-every's Gaussian")
	fs.Float64Var(&cfg.GradBlur, "grad-blur", 0, "σ in pixels of a Gaussian blur of the gradient (0: none)")
	fs.Float64Var(&cfg.CenterBias, "center-bias", 0, "weight the gradient by a centred Gaussian of σ = this × size (0: none)")
	fs.Float64Var(&cfg.ClipPercentile, "clip-percentile", 0, "after each step zero the pixels whose norm is below this percentile (pixel parameter)")
	fs.StringVar(&cfg.Sampler, "sampler", "", "langevin: the survey's sampler instead of the optimiser (pixel parameter)")
	fs.Float64Var(&cfg.Eps1, "eps1", dl.Eps1, "Langevin ε1: step on the prior (ppgn: towards the DAE's reconstruction; -sampler langevin: the smoothness prior, default 0)")
	fs.Float64Var(&cfg.Eps2, "eps2", dl.Eps2, "Langevin ε2: step along the objective's gradient (use logsoftmax:C)")
	fs.Float64Var(&cfg.Eps3, "eps3", dl.Eps3, "Langevin ε3: standard deviation of the noise (-sampler langevin: default 0)")
	decay := fs.Float64("decay", dc.Decay, "dgn: L2 weight on the code h")
	codeJitter := fs.Int("code-jitter", -1, "dgn, ppgn: shift G(h) by up to N whole pixels at random each step before the classifier (0: never; default: 0 for dgn, 2 for ppgn)")
	refine := fs.Int("refine", -1, "ppgn: draw each written image after N steps of the class term alone (ε2 only) from a copy of the chain's codes (default 30; 0: the chain's own state)")
	refineShifts := fs.Int("refine-shifts", -1, "ppgn: average each refinement step's class term over K random shifts within ±code-jitter (default 1: one shift)")
	refineTemp := fs.Float64("refine-temp", -1, "ppgn: the temperature T of the refinement's class term, T·log softmax(logits/T) (default: am.DefaultCode's; 0, 1: log p, the chain's)")
	refineStep := fs.Float64("refine-step", -1, "ppgn: the refinement's step size in place of ε2 (default: am.DefaultCode's; 0: ε2)")
	refineUnshifted := fs.Int("refine-unshifted", -1, "ppgn: the last N refinement steps take the class term of G(h) unshifted, as the sample is judged (0: every step shifted as the chain's)")
	classStepMax := fs.Float64("class-step-max", -1, "ppgn: cap the norm of the class term's step on each code, in the chain and the refinement, at this multiple of the real codes' spread (the norm of code.json's std); 0: no cap (default: am.DefaultCode's)")
	sampleEvery := fs.Int("sample-every", 0, "write the images every K steps into -out-dir as STEP_I.png (0: only at the end)")
	out := fs.String("out", "", "write all images as one grid PNG")
	outDir := fs.String("out-dir", "", "write one PNG per image (0.png, 1.png, …)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(specs) == 0 {
		return fmt.Errorf("at least one -objective SPEC is required")
	}
	if cfg.Steps < 1 {
		return fmt.Errorf("-steps %d must be positive", cfg.Steps)
	}
	if cfg.Sampler == "langevin" { // pixel space: no prior, no noise unless asked
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["eps1"] {
			cfg.Eps1 = 0
		}
		if !set["eps3"] {
			cfg.Eps3 = 0
		}
	}
	if *sampleEvery < 0 || *sampleEvery > 0 && *outDir == "" {
		return fmt.Errorf("-sample-every %d needs -out-dir and K ≥ 1", *sampleEvery)
	}
	var objs []am.Objective
	for _, s := range specs {
		o, err := am.ParseObjective(s, readF32File)
		if err != nil {
			return fmt.Errorf("%w", err)
		}
		objs = append(objs, o)
	}
	l, err := mf.load()
	if err != nil {
		return err
	}
	defer l.close()
	if cfg.Param == "dgn" || cfg.Param == "ppgn" {
		gen, err := models.LoadGenerative(context.Background(), models.Dir(mf.dir), l.desc, l.model)
		if err != nil {
			return fmt.Errorf("-param %s: %w", cfg.Param, err)
		}
		code, _ := am.DefaultCode(cfg.Param)
		code.Generator, code.Decay = gen, *decay
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if set["init"] {
			code.Init = cfg.Init
		}
		override(&code.Jitter, *codeJitter)
		override(&code.Refine, *refine)
		override(&code.RefineShifts, *refineShifts)
		override(&code.RefineTemperature, *refineTemp)
		override(&code.RefineStep, *refineStep)
		override(&code.RefineUnshifted, *refineUnshifted)
		override(&code.ClassStepMax, *classStepMax)
		cfg.Code = code
		cfg.Init = def.Init
	}
	desc := *l.desc
	desc.Input.Range = [2]float64{l.lo, l.hi}
	job := renderJob{specs: specs, sampleEvery: *sampleEvery, out: *out, outDir: *outDir, asJSON: *asJSON, stdout: stdout,
		code: cfg.Param == "dgn" || cfg.Param == "ppgn"}
	if cfg.Param == "ppgn" {
		job.refine = cfg.Code.Refine
	}
	if l.dev == nil {
		r, err := am.NewCPURenderer(l.plan, &desc, objs, cfg)
		if err != nil {
			return fmt.Errorf("%w", err)
		}
		return renderRun(r, job)
	}
	r, err := am.NewRenderer(l.dev, l.plan, &desc, objs, cfg)
	if err != nil {
		return fmt.Errorf("%w", err)
	}
	return renderRun(r, job)
}

// renderJob is what to do with a render's results.
type renderJob struct {
	specs       []string
	sampleEvery int
	out, outDir string
	asJSON      bool
	stdout      io.Writer
	code        bool // dgn or ppgn: images come from Sample
	refine      int  // ppgn: Sample's refinement steps
}

// renderRun runs every step of r (on either backend), writing frames and
// results as job says.
func renderRun[Buf, Op any](r *am.Engine[Buf, Op], job renderJob) error {
	defer r.Release()
	ctx := context.Background()
	n := len(job.specs)
	images := r.Images
	if job.code {
		images = r.Sample
	}
	if err := r.Sync(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	var paused time.Duration
	for r.StepsDone() < r.Steps() {
		if err := r.Step(); err != nil {
			return fmt.Errorf("%w", err)
		}
		if k := r.StepsDone(); job.sampleEvery > 0 && k%job.sampleEvery == 0 {
			p0 := time.Now()
			imgs, err := images(ctx)
			if err != nil {
				return err
			}
			if err := writeFrames(imgs, n, r.Size(), r.Channels(), job.outDir, k); err != nil {
				return err
			}
			paused += time.Since(p0)
		}
	}
	if err := r.Sync(ctx); err != nil {
		return err
	}
	rate := float64(r.Steps()) / (time.Since(t0) - paused).Seconds()
	curves, err := r.Objectives(ctx)
	if err != nil {
		return err
	}
	imgs, err := images(ctx)
	if err != nil {
		return err
	}
	if err := writeImages(imgs, n, r.Size(), r.Channels(), job.out, job.outDir); err != nil {
		return fmt.Errorf("%w", err)
	}
	if job.asJSON {
		return json.NewEncoder(job.stdout).Encode(map[string]any{"objective": curves, "steps_per_sec": rate, "adapter": r.Backend()})
	}
	for i, c := range curves {
		fmt.Fprintf(job.stdout, "%-40s %10.4g -> %10.4g\n", job.specs[i], c[0], c[len(c)-1])
	}
	if job.refine > 0 {
		fmt.Fprintf(job.stdout, "(the objective is the chain's; each image is its sample, %d steps of the class term on from the chain's last state: -refine)\n", job.refine)
	}
	fmt.Fprintf(job.stdout, "%.2f steps/s on %s\n", rate, r.Backend())
	return nil
}

// writeFrames writes step k's images as DIR/K_I.png (grey PNGs for a
// one-channel model).
func writeFrames(px []float32, n, size, channels int, dir string, k int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	one := size * size * 3
	for i := range n {
		if err := savePNG(filepath.Join(dir, fmt.Sprintf("%d_%d.png", k, i)), toImage(px[i*one:(i+1)*one], size, channels)); err != nil {
			return err
		}
	}
	return nil
}

func readF32File(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of float32s", path, len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// toImage makes an image of size×size RGB values in [0, 1]: an 8-bit grey
// image (of the first channel) when channels is 1, else RGBA.
func toImage(px []float32, size, channels int) image.Image {
	if channels == 1 {
		return toGrey(toRGBA(px, size))
	}
	return toRGBA(px, size)
}

// toGrey converts an image whose channels are equal to 8-bit grey.
func toGrey(im image.Image) *image.Gray {
	g := image.NewGray(im.Bounds())
	draw.Draw(g, g.Bounds(), im, im.Bounds().Min, draw.Src)
	return g
}

func toRGBA(px []float32, size int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for i := 0; i < size*size; i++ {
		q := func(v float32) uint8 { return uint8(math.Round(float64(min(max(v, 0), 1)) * 255)) }
		img.Set(i%size, i/size, color.RGBA{q(px[3*i]), q(px[3*i+1]), q(px[3*i+2]), 255})
	}
	return img
}

func savePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeImages writes n NHWC images as a grid and/or one PNG each (grey
// PNGs for a one-channel model).
func writeImages(px []float32, n, size, channels int, grid, dir string) error {
	one := size * size * 3
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for i := range n {
			if err := savePNG(filepath.Join(dir, fmt.Sprintf("%d.png", i)), toImage(px[i*one:(i+1)*one], size, channels)); err != nil {
				return err
			}
		}
	}
	if grid != "" {
		ims := make([]image.Image, n)
		for i := range n {
			ims[i] = toRGBA(px[i*one:(i+1)*one], size)
		}
		g := gridImage(ims, int(math.Ceil(math.Sqrt(float64(n)))))
		if channels == 1 {
			return savePNG(grid, toGrey(g))
		}
		return savePNG(grid, g)
	}
	return nil
}

// gridImage lays images out in rows of cols, on white with a 4-pixel gap;
// each cell is as large as the largest image.
func gridImage(ims []image.Image, cols int) *image.RGBA {
	cw, ch := 0, 0
	for _, im := range ims {
		cw, ch = max(cw, im.Bounds().Dx()), max(ch, im.Bounds().Dy())
	}
	rows := (len(ims) + cols - 1) / cols
	const gap = 4
	g := image.NewRGBA(image.Rect(0, 0, cols*(cw+gap)-gap, rows*(ch+gap)-gap))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	for i, im := range ims {
		x0, y0 := (i%cols)*(cw+gap), (i/cols)*(ch+gap)
		b := im.Bounds()
		draw.Draw(g, image.Rect(x0, y0, x0+b.Dx(), y0+b.Dy()), im, b.Min, draw.Src)
	}
	return g
}

// override sets *dst to v where the flag gave one (v ≥ 0); the flags'
// default −1 keeps am.DefaultCode's value.
func override[T int | float64](dst *T, v T) {
	if v >= 0 {
		*dst = v
	}
}
