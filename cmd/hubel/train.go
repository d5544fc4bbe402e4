package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
	"github.com/hubelviz/hubel/train"
)

// cmdTrain trains a classifier on MNIST or Fashion-MNIST and writes it as a
// TF.js layers model with its descriptor.
func cmdTrain(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	dataset := fs.String("dataset", "mnist", "mnist or fashion")
	dataDir := fs.String("data", "", "folder of the dataset's idx .gz files (default: the GoMNIST module / Debian's dataset-fashion-mnist)")
	arch := fs.String("arch", "cnn", "architecture: "+strings.Join(train.ArchNames(), ", "))
	seed := fs.Uint64("seed", 1, "seed of the initial weights and the shuffling")
	epochs := fs.Int("epochs", 3, "passes over the training set")
	batch := fs.Int("batch", 64, "images per step")
	lr := fs.Float64("lr", 1e-3, "Adam's learning rate (multiplied by -decay after each epoch)")
	decay := fs.Float64("decay", 0.6, "learning-rate factor per epoch")
	out := fs.String("out", "", "output folder (required)")
	name := fs.String("name", "", "model name (default: the output folder's name)")
	title := fs.String("title", "", "title for the descriptor")
	maxSteps := fs.Int("max-steps", 0, "stop after this many steps (smoke tests)")
	topk := fs.Bool("topk", false, "also write the dataset examples of every visualised unit (see hubel topk)")
	var df deviceFlags
	df.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("-out DIR is required")
	}
	if *name == "" {
		*name = baseName(*out)
	}
	ds, err := train.Load(*dataset, *dataDir)
	if err != nil {
		return err
	}
	d, err := df.open()
	if err != nil {
		return err
	}
	defer d.Close()
	ctx := context.Background()
	start := time.Now()
	m, err := train.Classifier(ctx, d, train.Config{Data: ds, Arch: *arch, Name: *name, Seed: *seed, Epochs: *epochs,
		Batch: *batch, LR: *lr, Decay: *decay, Log: os.Stderr, MaxSteps: *maxSteps})
	if err != nil {
		return err
	}
	took := time.Since(start)
	p, err := models.Lower(m)
	if err != nil {
		return err
	}
	acc, err := train.Accuracy(ctx, "gpu", d, p, &ds.Test)
	if err != nil {
		return err
	}
	if *title == "" {
		*title = fmt.Sprintf("%s classifier (%s, seed %d)", map[string]string{"mnist": "MNIST digit", "fashion": "Fashion-MNIST"}[*dataset], *arch, *seed)
	}
	desc, err := train.Descriptor(m, ds, *title)
	if err != nil {
		return err
	}
	kernels := kernelsOf(d)
	command := "hubel train " + strings.Join(args, " ")
	notes := fmt.Sprintf("Architecture `%s`, seed %d, %d epochs of Adam (lr %g, ×%g per epoch), batch %d, on %s.\n\n"+
		"Trained in %s on %s (one command buffer per step), %s.\n\nTest accuracy (10,000 images): %.4f\n\n"+
		"Check it with:\n\n    hubel eval -model %s -dataset %s -json\n",
		*arch, *seed, *epochs, *lr, *decay, *batch, ds.Name, took.Round(time.Second), d.Adapter, kernelsNote(kernels), acc, *out, ds.Name)
	if err := train.Write(*out, m, desc, command, notes); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "test accuracy %.4f, trained in %s\n", acc, took.Round(time.Second))
	if *topk {
		// Examples come from the saved (float16) weights, as the site runs them.
		saved, err := models.LoadDir(*out)
		if err != nil {
			return err
		}
		if err := writeTopK(ctx, d, saved, ds, *out); err != nil {
			return err
		}
	}
	return json.NewEncoder(stdout).Encode(map[string]any{"accuracy": acc, "seconds": took.Seconds(), "out": *out, "adapter": d.Adapter, "kernels": kernels})
}

func baseName(dir string) string {
	dir = strings.TrimRight(dir, "/")
	if i := strings.LastIndexByte(dir, '/'); i >= 0 {
		return dir[i+1:]
	}
	return dir
}

// cmdEval prints a model's accuracy on a dataset's test set.
func cmdEval(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	dataset := fs.String("dataset", "mnist", "mnist or fashion")
	dataDir := fs.String("data", "", "folder of the dataset's idx .gz files")
	asJSON := fs.Bool("json", false, "print {\"accuracy\": x}")
	if err := fs.Parse(args); err != nil {
		return err
	}
	l, err := mf.load()
	if err != nil {
		return err
	}
	defer l.close()
	if l.desc.Input.Height != 28 || l.desc.Input.Width != 28 || l.desc.Input.Channels != 1 {
		return fmt.Errorf("%s: the model takes %dx%dx%d images, the dataset has 28x28x1", mf.dir, l.desc.Input.Height, l.desc.Input.Width, l.desc.Input.Channels)
	}
	if l.lo != 0 || l.hi != 1 {
		return fmt.Errorf("%s: input range [%g, %g]: hubel eval feeds pixels in [0, 1]", mf.dir, l.lo, l.hi)
	}
	ds, err := train.Load(*dataset, *dataDir)
	if err != nil {
		return err
	}
	acc, err := train.Accuracy(context.Background(), mf.backend, l.dev, l.plan, &ds.Test)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]float64{"accuracy": acc})
	}
	_, err = fmt.Fprintf(stdout, "%s on the %s test set (%d images): accuracy %.4f\n", mf.dir, ds.Name, ds.Test.N, acc)
	return err
}

// writeTopK writes the dataset examples of m's visualised layers into dir.
func writeTopK(ctx context.Context, d *gpu.Device, m *models.Model, ds *train.Dataset, dir string) error {
	p, err := models.Lower(m)
	if err != nil {
		return err
	}
	ex, err := train.TopK(ctx, "gpu", d, p, &ds.Test, train.Visualised, 9)
	if err != nil {
		return err
	}
	ex.Dataset = ds.Name
	return ex.Write(dir, &ds.Test)
}

// cmdTopK writes the 9 test images that excite each unit of a model's
// visualised layers most, beside the model.
func cmdTopK(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("topk", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	dataset := fs.String("dataset", "mnist", "mnist or fashion")
	dataDir := fs.String("data", "", "folder of the dataset's idx .gz files")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if mf.backend != "gpu" {
		return fmt.Errorf("-backend %q: hubel topk runs on the gpu", mf.backend)
	}
	l, err := mf.load()
	if err != nil {
		return err
	}
	defer l.close()
	ds, err := train.Load(*dataset, *dataDir)
	if err != nil {
		return err
	}
	if err := writeTopK(context.Background(), l.dev, l.model, ds, mf.dir); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote %s/%s\n", mf.dir, train.ExamplesFile)
	return err
}
