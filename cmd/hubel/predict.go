package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
)

// modelFlags are the flags every model command shares.
type modelFlags struct {
	dir, rng, backend string
	device            deviceFlags
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.dir, "model", "", "model folder (model.json + shards)")
	fs.StringVar(&m.rng, "range", "", "input range lo,hi of the model (default: its descriptor's, MobileNet -1,1)")
	fs.StringVar(&m.backend, "backend", "gpu", "gpu or cpu")
	m.device.register(fs)
}

// loaded is a model ready to run.
type loaded struct {
	model  *models.Model
	plan   *models.Plan
	desc   *models.Descriptor
	lo, hi float64
	dev    *gpu.Device
	device *deviceFlags // how open opens dev
}

// load loads the model and, for the gpu backend, opens the device.
func (m *modelFlags) load() (*loaded, error) {
	l, err := m.loadModel()
	if err == nil && m.backend == "gpu" {
		err = l.open()
	}
	return l, err
}

// loadModel loads the model without opening a device: call open before
// running it on the gpu backend.
func (m *modelFlags) loadModel() (*loaded, error) {
	if m.dir == "" {
		return nil, fmt.Errorf("-model DIR is required")
	}
	if m.backend != "gpu" && m.backend != "cpu" {
		return nil, fmt.Errorf("-backend %q: want gpu or cpu", m.backend)
	}
	mod, err := models.LoadDir(m.dir)
	if err != nil {
		return nil, err
	}
	desc, err := models.LoadDescriptor(context.Background(), models.Dir(m.dir), mod)
	if err != nil {
		return nil, err
	}
	plan, err := models.Lower(mod)
	if err != nil {
		return nil, err
	}
	l := &loaded{model: mod, plan: plan, desc: desc, lo: desc.Input.Range[0], hi: desc.Input.Range[1], device: &m.device}
	if m.rng != "" {
		parts := strings.Split(m.rng, ",")
		var err1, err2 error
		if len(parts) == 2 {
			l.lo, err1 = strconv.ParseFloat(strings.TrimSpace(parts[0]), 64)
			l.hi, err2 = strconv.ParseFloat(strings.TrimSpace(parts[1]), 64)
		}
		if len(parts) != 2 || err1 != nil || err2 != nil || !(l.lo < l.hi) {
			return nil, fmt.Errorf("-range %q: want lo,hi with lo < hi", m.rng)
		}
	}
	return l, nil
}

// open opens the GPU device.
func (l *loaded) open() (err error) {
	if l.dev, err = l.device.open(); errors.Is(err, gpu.ErrNoAdapter) {
		return fmt.Errorf("%w (or use -backend cpu)", err)
	}
	return err
}

func (l *loaded) close() {
	if l.dev != nil {
		l.dev.Close()
	}
}

func (l *loaded) image(path string) ([]float32, error) {
	s := l.model.Input.Shape
	px, err := models.Image(path, s[0], s[1], l.lo, l.hi)
	if err != nil || len(s) < 3 {
		return px, err
	}
	return models.Channels(px, s[2]), nil
}

// Prediction is what `hubel predict -json` prints.
type Prediction struct {
	Logits []float32 `json:"logits"`
	Top5   []Class   `json:"top5"`
}

// Class is one entry of a top-k list.
type Class struct {
	Index int     `json:"index"`
	Prob  float64 `json:"prob"`
	Label string  `json:"label,omitempty"`
}

func topK(logits []float32, k int, labels []string) []Class {
	m := math.Inf(-1)
	for _, v := range logits {
		m = math.Max(m, float64(v))
	}
	sum := 0.0
	for _, v := range logits {
		sum += math.Exp(float64(v) - m)
	}
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	var out []Class
	for _, i := range idx[:min(k, len(idx))] {
		c := Class{Index: i, Prob: math.Exp(float64(logits[i])-m) / sum}
		if i < len(labels) {
			c.Label = labels[i]
		}
		out = append(out, c)
	}
	return out
}

func cmdPredict(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	img := fs.String("image", "", "PNG or JPEG of exactly the model's input size")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *img == "" {
		return fmt.Errorf("-image FILE is required")
	}
	l, err := mf.load()
	if err != nil {
		return err
	}
	defer l.close()
	x, err := l.image(*img)
	if err != nil {
		return err
	}
	logits, err := l.plan.Logits()
	if err != nil {
		return err
	}
	s, err := models.NewSession(l.plan, mf.backend, l.dev, []*models.Node{logits}, false)
	if err != nil {
		return err
	}
	defer s.Close()
	out, err := s.Forward(x)
	if err != nil {
		return err
	}
	p := Prediction{Logits: out[0], Top5: topK(out[0], 5, l.desc.Labels)}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(p)
	}
	fmt.Fprintf(stdout, "%s (%s)\n", *img, s.Backend())
	for _, c := range p.Top5 {
		fmt.Fprintf(stdout, "%6.2f%%  %4d  %s\n", 100*c.Prob, c.Index, c.Label)
	}
	return nil
}

func cmdGrad(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("grad", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	img := fs.String("image", "", "PNG or JPEG of exactly the model's input size")
	obj := fs.String("objective", "", "LAYER:CHANNEL (mean of the channel) or logit:CLASS")
	out := fs.String("out", "", "write the gradient here (NHWC float32 little-endian, in the model's input scale)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *img == "" || *obj == "" {
		return fmt.Errorf("-image FILE and -objective SPEC are required")
	}
	l, err := mf.load()
	if err != nil {
		return err
	}
	defer l.close()
	x, err := l.image(*img)
	if err != nil {
		return err
	}
	target, seed, err := l.plan.MeanObjective(*obj)
	if err != nil {
		return fmt.Errorf("%w", err)
	}
	s, err := models.NewSession(l.plan, mf.backend, l.dev, []*models.Node{target}, true)
	if err != nil {
		return err
	}
	defer s.Close()
	acts, err := s.Forward(x)
	if err != nil {
		return err
	}
	value := 0.0
	for i, a := range acts[0] {
		value += float64(a) * float64(seed[i])
	}
	g, err := s.InputGrad([][]float32{seed})
	if err != nil {
		return err
	}
	if *out != "" {
		b := make([]byte, 4*len(g))
		for i, v := range g {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return fmt.Errorf("%w", err)
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]float64{"value": value})
	}
	fmt.Fprintf(stdout, "%s = %g (%s)\n", *obj, value, s.Backend())
	return nil
}
