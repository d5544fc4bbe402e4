package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hubelviz/hubel/models"
	"github.com/hubelviz/hubel/train"
)

// cmdTrainGenerator trains, for a classifier trained on MNIST or
// Fashion-MNIST, the generator of DGN-AM and the denoising autoencoder of
// PPGN on its codes, writes them into the model's folder (generator/,
// dae/) and names them in its hubel.json.
func cmdTrainGenerator(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("train-generator", flag.ContinueOnError)
	dir := fs.String("model", "", "the classifier's folder (required); generator/ and dae/ are written inside it")
	dataset := fs.String("dataset", "mnist", "mnist or fashion")
	dataDir := fs.String("data", "", "folder of the dataset's idx .gz files")
	code := fs.String("code", "fc1", "the classifier layer whose activations are the codes")
	feature := fs.String("feature", "conv2", "classifier layer of the generator's feature loss")
	featureW := fs.Float64("feature-weight", 1, "weight of the feature loss (0: pixels only)")
	adversarial := fs.Float64("adversarial", 0, "weight of the generator's adversarial (GAN) term, with a discriminator trained beside it (0: none)")
	images := fs.Int("images", 20000, "training images whose codes are used")
	seed := fs.Uint64("seed", 1, "seed of the initial weights and the batches")
	genArch := fs.String("gen-arch", "small", "the generator's architecture: "+strings.Join(slices.Sorted(maps.Keys(train.GeneratorArchs)), " or "))
	genSteps := fs.Int("gen-steps", 600, "generator steps")
	daeSteps := fs.Int("dae-steps", 2000, "autoencoder steps")
	batch := fs.Int("batch", 32, "codes per step")
	lr := fs.Float64("lr", 2e-3, "Adam's learning rate (halved at 1/2 and 3/4 of the steps)")
	priorOnly := fs.Bool("prior-only", false, "train the denoising autoencoder alone and keep the generator already in -model's generator/ (to try another -noise or -dae-steps)")
	noise := fs.Float64("noise", 0.5, "the autoencoder's corruption, in units of each code unit's std")
	var df deviceFlags
	df.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("-model DIR is required")
	}
	if _, err := train.GeneratorArch(*genArch); err != nil {
		return fmt.Errorf("-gen-arch %w", err)
	}
	if *priorOnly {
		// The generator's settings would be silently ignored.
		var set []string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "gen-arch", "gen-steps", "feature", "feature-weight", "adversarial":
				set = append(set, "-"+f.Name)
			}
		})
		if len(set) > 0 {
			return fmt.Errorf("-prior-only keeps the generator, so %s would have no effect", strings.Join(set, ", "))
		}
	}
	if *adversarial < 0 {
		return fmt.Errorf("-adversarial %g: want ≥ 0", *adversarial)
	}
	if *genSteps < 1 || *daeSteps < 1 || *images < 1 || *batch < 1 {
		return fmt.Errorf("-gen-steps, -dae-steps, -images and -batch must be positive")
	}
	m, err := models.LoadDir(*dir)
	if err != nil {
		return err
	}
	if *priorOnly {
		if _, err := os.Stat(filepath.Join(*dir, "generator", "model.json")); err != nil {
			return fmt.Errorf("-prior-only: %s has no generator to keep: %w", *dir, err)
		}
	}
	p, err := models.Lower(m)
	if err != nil {
		return err
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
	command := "hubel train-generator " + strings.Join(args, " ")
	idx := make([]int, min(*images, ds.Train.N))
	for i := range idx {
		idx[i] = i
	}
	t0 := time.Now()
	codes, st, err := train.Codes(ctx, d, p, *code, &ds.Train, idx)
	if err != nil {
		return err
	}
	st.Command = command
	cfg := train.GenConfig{Arch: *genArch, Seed: *seed, Steps: *genSteps, Batch: *batch, LR: *lr, Feature: *feature, FeatureWeight: *featureW, Adversarial: *adversarial, Log: os.Stderr}
	var g *models.Model
	if !*priorOnly {
		if g, err = train.Generator(ctx, d, p, &ds.Train, idx, codes, cfg); err != nil {
			return err
		}
	}
	genTime := time.Since(t0)
	t1 := time.Now()
	cfg.Steps, cfg.Noise = *daeSteps, *noise
	r, err := train.DAE(ctx, d, codes, st, cfg)
	if err != nil {
		return err
	}
	daeTime := time.Since(t1)
	raw, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	kernels := kernelsOf(d)
	notes := func(what string, took time.Duration) string {
		return fmt.Sprintf("%s for the classifier in `..` (codes: its layer %s, %d training images of %s), seed %d, trained in %s on %s, %s.\n",
			what, *code, len(idx), ds.Name, *seed, took.Round(time.Second), d.Adapter, kernelsNote(kernels))
	}
	if g != nil {
		if err := train.WriteNet(filepath.Join(*dir, "generator"), g, command,
			notes("DGN-AM's generator G (code → image; "+genLoss(*feature, *featureW, *adversarial)+")", genTime),
			map[string][]byte{"code.json": append(raw, '\n')}); err != nil {
			return err
		}
	}
	if err := train.WriteNet(filepath.Join(*dir, "dae"), r, command,
		notes(fmt.Sprintf("PPGN's prior: a denoising autoencoder on codes (noise %g·std)", *noise), daeTime), nil); err != nil {
		return err
	}
	if err := setDescriptorFields(filepath.Join(*dir, "hubel.json"), map[string]any{"generator": "generator/", "prior": "dae/"}); err != nil {
		return err
	}
	report := map[string]any{"dae_seconds": daeTime.Seconds(), "adapter": d.Adapter, "kernels": kernels}
	if g != nil {
		report["generator_seconds"] = genTime.Seconds()
	}
	return json.NewEncoder(stdout).Encode(report)
}

// genLoss names the generator's loss terms for its TRAINING.md.
func genLoss(feature string, featureW, adversarial float64) string {
	s := "pixel loss"
	if featureW > 0 {
		s += fmt.Sprintf(" + %g × feature loss on %s", featureW, feature)
	}
	if adversarial > 0 {
		s += fmt.Sprintf(" + %g × adversarial loss against a discriminator trained beside it", adversarial)
	}
	return s
}

// setDescriptorFields sets top-level fields of a hubel.json, keeping the
// others as they are.
func setDescriptorFields(path string, fields map[string]any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for k, v := range fields {
		doc[k] = v
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}
