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

func cmdRender(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	var specs multiFlag
	fs.Var(&specs, "objective", "objective SPEC, one image each (repeat the flag)")
	def := am.Defaults()
	steps := fs.Int("steps", def.Steps, "optimisation steps")
	size := fs.Int("size", def.Size, "image size in pixels")
	seed := fs.Uint64("seed", 0, "random seed")
	param := fs.String("param", def.Param, "fft, pixel, dgn (DGN-AM) or ppgn (needs a model that ships a generator and prior)")
	dc, dl := am.DefaultCode()
	eps1 := fs.Float64("eps1", dl.Eps1, "ppgn: step towards the prior's reconstruction R(h)")
	eps2 := fs.Float64("eps2", dl.Eps2, "ppgn: step along the objective's gradient")
	eps3 := fs.Float64("eps3", dl.Eps3, "ppgn: standard deviation of the noise added to h")
	decay := fs.Float64("decay", dc.Decay, "dgn: L2 weight on the code h")
	initCode := fs.String("init", dc.Init, "dgn, ppgn: first code: random or mean")
	transforms := fs.String("transforms", def.Transforms, "lucid, none, or jitter:N (a random crop N pixels smaller)")
	lr := fs.Float64("lr", def.LR, "Adam learning rate")
	out := fs.String("out", "", "write all images as one grid PNG")
	outDir := fs.String("out-dir", "", "write one PNG per image (0.png, 1.png, …)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(specs) == 0 {
		return fmt.Errorf("at least one -objective SPEC is required")
	}
	if mf.backend != "gpu" {
		return fmt.Errorf("-backend %s: rendering runs on the gpu backend only", mf.backend)
	}
	if *steps < 1 {
		return fmt.Errorf("-steps %d must be positive", *steps)
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
	cfg := am.Config{Size: *size, Steps: *steps, Seed: *seed, Param: *param, Transforms: *transforms, LR: *lr, RedirectSteps: 16}
	if *param == "dgn" || *param == "ppgn" {
		gen, err := models.LoadGenerative(context.Background(), models.Dir(mf.dir), l.desc, l.model)
		if err != nil {
			return fmt.Errorf("-param %s: %w", *param, err)
		}
		cfg.Code = am.CodeConfig{Generator: gen, Decay: *decay, Init: *initCode}
		cfg.Langevin = am.Langevin{Eps1: *eps1, Eps2: *eps2, Eps3: *eps3}
	}
	r, err := am.NewRenderer(l.dev, l.plan, l.desc, objs, cfg)
	if err != nil {
		return fmt.Errorf("%w", err)
	}
	defer r.Release()
	ctx := context.Background()
	if err := l.dev.Sync(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	for range *steps {
		if err := r.Step(); err != nil {
			return fmt.Errorf("%w", err)
		}
	}
	if err := l.dev.Sync(ctx); err != nil {
		return err
	}
	rate := float64(*steps) / time.Since(t0).Seconds()
	curves, err := r.Objectives(ctx)
	if err != nil {
		return err
	}
	imgs, err := r.Images(ctx)
	if err != nil {
		return err
	}
	if err := writeImages(imgs, len(objs), r.Size(), *out, *outDir); err != nil {
		return fmt.Errorf("%w", err)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"objective": curves, "steps_per_sec": rate, "adapter": l.dev.Adapter})
	}
	for i, c := range curves {
		fmt.Fprintf(stdout, "%-40s %10.4g -> %10.4g\n", specs[i], c[0], c[len(c)-1])
	}
	fmt.Fprintf(stdout, "%.2f steps/s on %s\n", rate, l.dev.Adapter)
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

// writeImages writes n NHWC images as a grid and/or one PNG each.
func writeImages(px []float32, n, size int, grid, dir string) error {
	one := size * size * 3
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for i := range n {
			if err := savePNG(filepath.Join(dir, fmt.Sprintf("%d.png", i)), toRGBA(px[i*one:(i+1)*one], size)); err != nil {
				return err
			}
		}
	}
	if grid != "" {
		ims := make([]image.Image, n)
		for i := range n {
			ims[i] = toRGBA(px[i*one:(i+1)*one], size)
		}
		return savePNG(grid, gridImage(ims, int(math.Ceil(math.Sqrt(float64(n))))))
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
