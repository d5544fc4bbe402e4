package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"runtime"

	"github.com/hubelviz/hubel/am"
	"github.com/hubelviz/hubel/gpu/ref"
	"github.com/hubelviz/hubel/models"
)

// ObjectiveValue is one entry of what `hubel objective -json` prints.
type ObjectiveValue struct {
	Spec  string  `json:"spec"`
	Value float64 `json:"value"`
}

// ObjectiveReport is what `hubel objective -json` prints.
type ObjectiveReport struct {
	Image      string           `json:"image"`
	Backend    string           `json:"backend"`
	Objectives []ObjectiveValue `json:"objectives"`
}

func cmdObjective(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("objective", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	var specs multiFlag
	fs.Var(&specs, "objective", "objective SPEC, as for render (repeat the flag)")
	img := fs.String("image", "", "PNG or JPEG of any size, resized bilinearly (corners aligned) to the network's input; or grey: 0.5 in [0,1] everywhere")
	size := fs.Int("size", 0, "run the network at size×size (a model that takes any size); default: the model's input size")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *img == "" || len(specs) == 0 {
		return fmt.Errorf("-image FILE|grey and at least one -objective SPEC are required")
	}
	var objs []am.Objective
	for _, s := range specs {
		o, err := am.ParseObjective(s, readF32File)
		if err != nil {
			return err
		}
		objs = append(objs, o)
	}
	l, err := mf.loadModel()
	if err != nil {
		return err
	}
	defer l.close()
	if *size < 0 {
		return fmt.Errorf("-size %d must be positive", *size)
	}
	if *size > 0 {
		if l.plan, err = l.plan.Resize(*size, *size); err != nil {
			return fmt.Errorf("-size %d: %w", *size, err)
		}
	}
	targets, err := am.Targets(l.plan, objs)
	if err != nil {
		return err
	}
	x, err := l.anyImage(*img)
	if err != nil {
		return err
	}
	if mf.backend == "gpu" {
		// gogpu v0.34.5's Vulkan backend fails to map memory
		// ("vkMapMemory returned null pointer") when a garbage collection
		// runs between opening the device and the first upload; decoding
		// and resizing a large photo allocates enough to start one. So the
		// image is read first, and the collection finished, before the
		// device opens.
		runtime.GC()
		if err := l.open(); err != nil {
			return err
		}
	}
	s, err := models.NewSession(l.plan, mf.backend, l.dev, targets, false)
	if err != nil {
		return err
	}
	defer s.Close()
	acts, err := s.Forward(x)
	if err != nil {
		return err
	}
	byNode := map[*models.Node][]float32{}
	for i, n := range targets {
		byNode[n] = acts[i]
	}
	rep := ObjectiveReport{Image: *img, Backend: s.Backend()}
	for i, o := range objs {
		v, err := am.Evaluate(l.plan, o, func(n *models.Node) []float32 { return byNode[n] })
		if err != nil {
			return err
		}
		rep.Objectives = append(rep.Objectives, ObjectiveValue{Spec: specs[i], Value: v})
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	fmt.Fprintf(stdout, "%s (%s)\n", *img, rep.Backend)
	for _, v := range rep.Objectives {
		fmt.Fprintf(stdout, "%-40s %12.6g\n", v.Spec, v.Value)
	}
	return nil
}

// anyImage reads an image of any size as the input of l.plan: resized
// bilinearly to the plan's input size, the pixel grids' corners aligned
// (an image of the right size passes unchanged), in the model's range. The
// name "grey" is a mid-grey image, 0.5 in [0, 1].
func (l *loaded) anyImage(path string) ([]float32, error) {
	s := l.plan.Nodes[0].Shape
	oh, ow, c := s[0], s[1], 3
	if len(s) == 3 {
		c = s[2]
	}
	if path == "grey" {
		x := make([]float32, oh*ow*c)
		for i := range x {
			x[i] = float32(l.lo + 0.5*(l.hi-l.lo))
		}
		return x, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	im, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b := im.Bounds()
	h, w := b.Dy(), b.Dx()
	px := models.Pixels(im, l.lo, l.hi)
	if h == oh && w == ow {
		return models.Channels(px, c), nil
	}
	x := make([]float64, len(px))
	for i, v := range px {
		x[i] = float64(v)
	}
	step := func(n, on int) float64 {
		if on == 1 {
			return 0
		}
		return float64(n-1) / float64(on-1)
	}
	m := []float64{step(w, ow), 0, 0, 0, step(h, oh), 0}
	y := ref.Resample(x, 1, h, w, 3, oh, ow, m, 0)
	out := make([]float32, len(y))
	for i, v := range y {
		out[i] = float32(v)
	}
	return models.Channels(out, c), nil
}
