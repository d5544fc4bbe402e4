package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hubelviz/hubel/am"
	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/models"
	"github.com/hubelviz/hubel/train"
)

// cmdMeasureDGN measures DGN-AM and PPGN on a bundled classifier (issue
// #5): per class, whether the images are classified as the class with
// p ≥ 0.9 by the model and by an independent judge, and how diverse PPGN's
// samples are compared with DGN-AM's restarts; it draws pixel AM, DGN-AM
// and PPGN side by side for all classes.
func cmdMeasureDGN(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("measure-dgn", flag.ContinueOnError)
	dir := fs.String("model", "", "classifier folder with generator/ and dae/ (required)")
	judgeDir := fs.String("judge", "", "an independent classifier's folder (required)")
	seed := fs.Uint64("seed", 1, "seed")
	classes := fs.Int("classes", 10, "classes 0..N-1")
	restarts := fs.Int("restarts", 10, "DGN-AM restarts per class (random codes)")
	dgnSteps := fs.Int("dgn-steps", 300, "DGN-AM steps (300: converged on the bundled models, the objective within 0.5 % of its value at 600)")
	objective := fs.String("objective", "logit", "DGN-AM and pixel AM class objective: logit, softmax or logsoftmax")
	lr := fs.Float64("lr", 0.1, "DGN-AM and pixel AM Adam learning rate")
	decay := fs.Float64("decay", 0.3, "DGN-AM L2 weight on h")
	samples := fs.Int("samples", 10, "PPGN samples per class")
	chains := fs.Int("chains", 1, "PPGN chains per class, each from the mean code with noise of its own, each drawing samples/chains of the class's samples (1: one chain draws them all)")
	ppgnDef, eps := am.DefaultCode("ppgn")
	burn := fs.Int("burn", 300, "PPGN steps before the first sample")
	every := fs.Int("every", 120, "PPGN steps between samples")
	eps1 := fs.Float64("eps1", eps.Eps1, "PPGN ε1")
	eps2 := fs.Float64("eps2", eps.Eps2, "PPGN ε2")
	eps3 := fs.Float64("eps3", eps.Eps3, "PPGN ε3")
	dgnInit := fs.String("dgn-init", "random", "DGN-AM restarts' start: random (per unit N(mean, std²) of the real codes), normal (per unit N(0, 1), as DGN-AM's own code) or mean; each clipped")
	dgnJitter := fs.Int("dgn-jitter", 0, "DGN-AM: shift G(h) by up to N whole pixels at random each step before the classifier")
	ppgnJitter := fs.Int("ppgn-jitter", ppgnDef.Jitter, "PPGN: shift G(h) by up to N whole pixels at random each step before the classifier")
	ppgnInit := fs.String("ppgn-init", ppgnDef.Init, "PPGN chains' start: mean (the mean code) or random")
	refine := fs.Int("refine", ppgnDef.Refine, "PPGN: draw each sample after this many steps of the class term alone (no prior, no noise) from a copy of the chain's state; the chain goes on from its own state (0: the chain's state itself)")
	refineShifts := fs.Int("refine-shifts", ppgnDef.RefineShifts, "PPGN: average each refinement step's class term over this many random shifts within ±ppgn-jitter (0, 1: one shift)")
	refineTemp := fs.Float64("refine-temp", ppgnDef.RefineTemperature, "PPGN: the refinement's class term is T·log softmax(logits/T) at this temperature T (> 1: it pushes on until the class's logit leads by a margin of several T); 0, 1: log p, the chain's")
	refineStep := fs.Float64("refine-step", ppgnDef.RefineStep, "PPGN: the refinement's step size in place of ε2 (0: ε2)")
	refineUnshifted := fs.Int("refine-unshifted", ppgnDef.RefineUnshifted, "PPGN: the last N refinement steps take the class term of G(h) unshifted, as the sample is judged (0: every step shifted as the chain's)")
	classStepMax := fs.Float64("class-step-max", ppgnDef.ClassStepMax, "PPGN: cap the norm of the class term's step on each code, in the chain and the refinement, at this multiple of the real codes' spread (the norm of code.json's std); 0: no cap")
	ppgnPixelNoise := fs.Float64("ppgn-pixel-noise", ppgnDef.PixelNoise, "PPGN: add N(0, σ²) to each pixel the classifier sees, a fresh draw each step of the chain and of the refinement but its unshifted last steps (0: none)")
	pixelSteps := fs.Int("pixel-steps", 200, "pixel AM steps")
	pixelDecay := fs.Float64("pixel-decay", 1e-2, "pixel AM L2 weight")
	out := fs.String("png", "", "write the comparison PNG here: per class (columns) pixel AM, two DGN-AM restarts, three PPGN samples and, with -dataset, a real test image and G's reconstruction of it from its code")
	dataset := fs.String("dataset", "", "mnist or fashion: also measure the same on real test images (the first 10 of each class per group, 20 groups) and on G's reconstructions of them from their codes, as the references")
	cache := fs.String("cache", "", "folder keeping DGN-AM's and pixel AM's images and PPGN's samples between runs (for sweeps over PPGN's settings, or another judge on the same images): reused when their settings and the weights match")
	var df deviceFlags
	df.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *judgeDir == "" {
		return fmt.Errorf("-model DIR and -judge DIR are required")
	}
	if *chains < 1 || *samples < 1 || *samples%*chains != 0 {
		return fmt.Errorf("-chains %d, -samples %d: want at least one of each, and the samples a multiple of the chains", *chains, *samples)
	}
	ctx := context.Background()
	type net struct {
		m    *models.Model
		p    *models.Plan
		desc *models.Descriptor
	}
	load := func(dir string) (net, error) {
		m, err := models.LoadDir(dir)
		if err != nil {
			return net{}, err
		}
		desc, err := models.LoadDescriptor(ctx, models.Dir(dir), m)
		if err != nil {
			return net{}, err
		}
		p, err := models.Lower(m)
		return net{m, p, desc}, err
	}
	main, err := load(*dir)
	if err != nil {
		return err
	}
	judge, err := load(*judgeDir)
	if err != nil {
		return err
	}
	gen, err := models.LoadGenerative(ctx, models.Dir(*dir), main.desc, main.m)
	if err != nil {
		return err
	}
	d, err := df.open()
	if err != nil {
		return err
	}
	defer d.Close()
	C := *classes
	obj := func(c int, kind string) (am.Objective, error) {
		switch kind {
		case "logit":
			return am.Logit(c), nil
		case "softmax":
			return am.Softmax(c), nil
		case "logsoftmax":
			return am.LogSoftmax(c), nil
		}
		return am.Objective{}, fmt.Errorf("-objective %q: want logit, softmax or logsoftmax", kind)
	}
	objs := func(per int, kind string) ([]am.Objective, error) {
		var o []am.Objective
		for c := range C {
			for range per {
				x, err := obj(c, kind)
				if err != nil {
					return nil, err
				}
				o = append(o, x)
			}
		}
		return o, nil
	}
	// run renders and returns the images (grey, one value per pixel).
	run := func(p *models.Plan, o []am.Objective, cfg am.Config, sample func(r *am.Renderer, step int) error) (*am.Renderer, error) {
		r, err := am.NewRenderer(d, p, main.desc, o, cfg)
		if err != nil {
			return nil, err
		}
		for s := range cfg.Steps {
			if err := r.Step(); err != nil {
				r.Release()
				return nil, err
			}
			if sample != nil {
				if err := sample(r, s+1); err != nil {
					r.Release()
					return nil, err
				}
			}
		}
		return r, nil
	}
	grey := func(rgb []float32) []float32 {
		g := make([]float32, len(rgb)/3)
		for i := range g {
			g[i] = rgb[3*i]
		}
		return g
	}
	t0 := time.Now()
	// DGN-AM: restarts per class, random codes.
	o, err := objs(*restarts, *objective)
	if err != nil {
		return err
	}
	code := am.CodeConfig{Generator: gen, Decay: *decay, Init: *dgnInit, Jitter: *dgnJitter}
	dgnKey := fmt.Sprintf("dgn_c%d_r%d_s%d_lr%g_d%g_seed%d_%s", C, *restarts, *dgnSteps, *lr, *decay, *seed, *objective)
	if *dgnInit != "random" {
		dgnKey += "_" + *dgnInit
	}
	if *dgnJitter > 0 {
		dgnKey += fmt.Sprintf("_j%d", *dgnJitter)
	}
	dgn, err := cached(*cache, *dir, dgnKey, func() ([]float32, error) {
		r, err := run(main.p, o, am.Config{Param: "dgn", Steps: *dgnSteps, LR: *lr, Seed: *seed, Code: code}, nil)
		if err != nil {
			return nil, err
		}
		defer r.Release()
		px, err := r.Images(ctx)
		if err != nil {
			return nil, err
		}
		return grey(px), nil
	})
	if err != nil {
		return err
	}
	dgnTime := time.Since(t0)
	// PPGN: -chains chains per class (one by default), a sample from each every `every` steps after burn-in.
	K := *chains
	o, err = objs(K, "logsoftmax")
	if err != nil {
		return err
	}
	code = am.CodeConfig{Generator: gen, Init: *ppgnInit, Jitter: *ppgnJitter, PixelNoise: *ppgnPixelNoise}
	t1 := time.Now()
	steps := *burn + (*samples/K-1)*(*every)
	code.Refine, code.RefineShifts, code.RefineTemperature, code.RefineStep, code.RefineUnshifted, code.ClassStepMax =
		*refine, *refineShifts, *refineTemp, *refineStep, *refineUnshifted, *classStepMax
	ppgnCfg := am.Config{Param: "ppgn", Steps: steps, Seed: *seed, Code: code, Langevin: am.Langevin{Eps1: *eps1, Eps2: *eps2, Eps3: *eps3}}
	ppgnSettings := map[string]any{"chains": K, "eps1": *eps1, "eps2": *eps2, "eps3": *eps3, "burn": *burn, "every": *every,
		"jitter": *ppgnJitter, "init": *ppgnInit, "refine": *refine, "refine_shifts": *refineShifts, "refine_temp": *refineTemp, "refine_step": *refineStep, "refine_unshifted": *refineUnshifted, "class_step_max": *classStepMax, "seed": *seed}
	if *ppgnPixelNoise > 0 {
		ppgnSettings["pixel_noise"] = *ppgnPixelNoise // only when set, so that earlier caches keep their keys
	}
	// The samples are kept like DGN-AM's restarts, keyed by every setting
	// and the prior's weights too, so that another judge can be tried on
	// the same samples.
	settingsJSON, err := json.Marshal(ppgnSettings)
	if err != nil {
		return err
	}
	daeStamp, err := filesStamp(*dir, "dae/*.bin")
	if err != nil {
		return err
	}
	h := fnv.New64a()
	h.Write(settingsJSON)
	ppgnKey := fmt.Sprintf("ppgn_c%d_n%d_%016x_%s", C, *samples, h.Sum64(), daeStamp)
	flat, err := cached(*cache, *dir, ppgnKey, func() ([]float32, error) {
		perClass := make([][]float32, C) // per class, samples one after another
		r, err := run(main.p, o, ppgnCfg, func(r *am.Renderer, s int) error {
			if s < *burn || (s-*burn)%*every != 0 {
				return nil
			}
			px, err := r.Sample(ctx)
			if err != nil {
				return err
			}
			g := grey(px)
			n := len(g) / (C * K)
			for c := range C {
				perClass[c] = append(perClass[c], g[c*K*n:(c+1)*K*n]...) // the class's chains are next to each other
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		r.Release()
		return slices.Concat(perClass...), nil
	})
	if err != nil {
		return err
	}
	ppgnSamples := make([][]float32, C) // per class, samples one after another
	perClass := len(flat) / C
	for c := range C {
		ppgnSamples[c] = flat[c*perClass : (c+1)*perClass]
	}
	ppgnTime := time.Since(t1)
	// Pixel AM: DGN-AM with the identity generator, pixels clipped to [0, 1].
	pixelKey := fmt.Sprintf("pixel_c%d_s%d_lr%g_d%g_seed%d_%s", C, *pixelSteps, *lr, *pixelDecay, *seed, *objective)
	pixel, err := cached(*cache, *dir, pixelKey, func() ([]float32, error) {
		return pixelAM(ctx, d, main.p, main.desc, C, func(c int) (am.Objective, error) { return obj(c, *objective) },
			am.Config{Steps: *pixelSteps, LR: *lr, Seed: *seed}, *pixelDecay)
	})
	if err != nil {
		return err
	}
	// Classify everything with both networks.
	P := len(dgn) / (C * *restarts)
	prob := func(p *models.Plan, imgs []float32, c int) ([]float64, error) {
		s, err := models.NewSession(p, "gpu", d, []*models.Node{p.Nodes[len(p.Nodes)-1]}, false)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		var out []float64
		for i := 0; i < len(imgs); i += P {
			o, err := s.Forward(imgs[i : i+P])
			if err != nil {
				return nil, err
			}
			out = append(out, float64(o[0][c]))
		}
		return out, nil
	}
	var real []map[string]any
	var realImgs [][2][]float32 // per class, the first real test image and its reconstruction
	if *dataset != "" {
		ds, err := train.Load(*dataset, "")
		if err != nil {
			return err
		}
		probs := func(imgs []float32, c int) ([]float64, []float64, error) {
			pm, err := prob(main.p, imgs, c)
			if err != nil {
				return nil, nil, err
			}
			pj, err := prob(judge.p, imgs, c)
			return pm, pj, err
		}
		gOut, err := gen.G.Node(gen.G.Model.Output.Name)
		if err != nil {
			return err
		}
		recon, err := models.NewSession(gen.G, "gpu", d, []*models.Node{gOut}, false)
		if err != nil {
			return err
		}
		defer recon.Close()
		reconstruct := func(idx []int) ([]float32, error) {
			codes, _, err := train.Codes(ctx, d, main.p, gen.Code.Layer, &ds.Test, idx)
			if err != nil {
				return nil, err
			}
			var out []float32
			D := len(codes) / len(idx)
			for i := range idx {
				o, err := recon.Forward(codes[i*D : (i+1)*D])
				if err != nil {
					return nil, err
				}
				out = append(out, o[0]...)
			}
			return out, nil
		}
		if real, realImgs, err = realReference(&ds.Test, C, probs, reconstruct); err != nil {
			return err
		}
	}
	var res []map[string]any
	var allDGN, allPPGN, ratios []float64
	okDGN, okPPGN, okPixel := 0, 0, 0
	okPPGNMain, okPPGNJudge := 0, 0
	for c := range C {
		dg := dgn[c**restarts*P : (c+1)**restarts*P]
		pp := ppgnSamples[c]
		dm, err := prob(main.p, dg, c)
		if err != nil {
			return err
		}
		dj, err := prob(judge.p, dg, c)
		if err != nil {
			return err
		}
		pm, err := prob(main.p, pp, c)
		if err != nil {
			return err
		}
		pj, err := prob(judge.p, pp, c)
		if err != nil {
			return err
		}
		xm, err := prob(main.p, pixel[c*P:(c+1)*P], c)
		if err != nil {
			return err
		}
		xj, err := prob(judge.p, pixel[c*P:(c+1)*P], c)
		if err != nil {
			return err
		}
		both := func(a, b []float64) int {
			n := 0
			for i := range a {
				if a[i] >= 0.9 && b[i] >= 0.9 {
					n++
				}
			}
			return n
		}
		nd, np := both(dm, dj), both(pm, pj)
		okDGN += nd
		okPPGN += np
		okPPGNMain += both(pm, pm)
		okPPGNJudge += both(pj, pj)
		if xm[0] >= 0.9 && xj[0] >= 0.9 {
			okPixel++
		}
		ddist, pdist := meanPairDist(dg, P), meanPairDist(pp, P)
		allDGN = append(allDGN, ddist)
		allPPGN = append(allPPGN, pdist)
		ratios = append(ratios, pdist/ddist)
		label := fmt.Sprint(c)
		if c < len(main.desc.Labels) {
			label = main.desc.Labels[c]
		}
		if real != nil {
			real[c]["ppgn_ratio_to_real_dist"] = pdist / real[c]["mean_pair_dist"].(float64)
			real[c]["real_ratio_to_dgn_dist"] = real[c]["mean_pair_dist"].(float64) / ddist
			real[c]["recon_ratio_to_dgn_dist"] = real[c]["recon_mean_pair_dist"].(float64) / ddist
		}
		res = append(res, map[string]any{"class": c, "label": label,
			"dgn_main_p": dm, "dgn_judge_p": dj, "dgn_both_ge_0.9": nd,
			"ppgn_main_p": pm, "ppgn_judge_p": pj, "ppgn_both_ge_0.9": np,
			"pixel_main_p": xm[0], "pixel_judge_p": xj[0],
			"dgn_mean_pair_dist": ddist, "ppgn_mean_pair_dist": pdist, "diversity_ratio": pdist / ddist})
	}
	if *out != "" {
		cell := func(imgs []float32, i int) []float32 { return imgs[i*P : (i+1)*P] }
		var pixRow, d1, d2, p1, p2, p3 []float32
		for c := range C {
			pixRow = append(pixRow, cell(pixel, c)...)
			d1 = append(d1, cell(dgn, c**restarts)...)
			d2 = append(d2, cell(dgn, c**restarts+1)...)
			p1 = append(p1, cell(ppgnSamples[c], 0)...)
			p2 = append(p2, cell(ppgnSamples[c], *samples/2)...)
			p3 = append(p3, cell(ppgnSamples[c], *samples-1)...)
		}
		rows, breaks := [][]float32{pixRow, d1, d2, p1, p2, p3}, []int{1, 3}
		if realImgs != nil {
			var x, gx []float32
			for c := range C {
				x, gx = append(x, realImgs[c][0]...), append(gx, realImgs[c][1]...)
			}
			rows, breaks = append(rows, x, gx), append(breaks, 6)
		}
		if err := savePNG(*out, greyGrid(rows, C, int(math.Sqrt(float64(P))), 3, breaks)); err != nil {
			return err
		}
	}
	kernels := kernelsOf(d)
	report := map[string]any{
		"model": *dir, "judge": *judgeDir, "adapter": d.Adapter, "kernels": kernels,
		"dgn_both_ge_0.9":    fmt.Sprintf("%d/%d", okDGN, C**restarts),
		"ppgn_both_ge_0.9":   fmt.Sprintf("%d/%d", okPPGN, C**samples),
		"pixel_both_ge_0.9":  fmt.Sprintf("%d/%d", okPixel, C),
		"ppgn_main_ge_0.9":   fmt.Sprintf("%d/%d", okPPGNMain, C**samples),
		"ppgn_judge_ge_0.9":  fmt.Sprintf("%d/%d", okPPGNJudge, C**samples),
		"ppgn_settings":      ppgnSettings,
		"mean_dgn_pair_dist": mean(allDGN), "mean_ppgn_pair_dist": mean(allPPGN),
		"min_diversity_ratio": minOf(ratios), "mean_diversity_ratio": mean(ratios),
		// The ratio of the mean distances is not carried by one class whose
		// restarts are nearly one image, as the mean of the ratios can be.
		"ratio_of_mean_dists": mean(allPPGN) / mean(allDGN),
		"classes_ratio_ge_2":  countAtLeast(ratios, 2),
		"dgn_seconds":         dgnTime.Seconds(), "ppgn_seconds": ppgnTime.Seconds(),
		"classes": res,
	}
	if real != nil {
		report["real"] = real
		// What a sampler that drew the real images, or G's drawings of
		// their codes, would score as PPGN's ratio of the mean distances.
		var rd, gd []float64
		for _, r := range real {
			rd, gd = append(rd, r["mean_pair_dist"].(float64)), append(gd, r["recon_mean_pair_dist"].(float64))
		}
		report["real_ratio_of_mean_dists"] = mean(rd) / mean(allDGN)
		report["recon_ratio_of_mean_dists"] = mean(gd) / mean(allDGN)
	}
	return json.NewEncoder(stdout).Encode(report)
}

// realReference measures real test images as measure-dgn measures the
// synthesised ones: per class, in groups of realGroup images (the first
// realGroups groups of the class in the test set), the fraction that both
// classifiers give p ≥ 0.9 and the mean pairwise pixel distance within a
// group, so that the methods' figures can be read against the data's own.
// It measures the same of the generator's reconstructions G(h(x)) of those
// images (reconstruct maps test indices to images): what G can draw at
// best, the ceiling for samples drawn through it. It also returns, per
// class, the first image and its reconstruction, for the figure.
func realReference(s *train.Split, C int, probs func(imgs []float32, c int) (main, judge []float64, err error), reconstruct func(idx []int) ([]float32, error)) ([]map[string]any, [][2][]float32, error) {
	const realGroup, realGroups = 10, 20
	n := s.H * s.W
	out := make([]map[string]any, C)
	firsts := make([][2][]float32, C)
	// measure is the fraction of imgs both classifiers give p(c) ≥ 0.9 and
	// their mean pair distance within the groups.
	measure := func(imgs []float32, c int) (float64, float64, error) {
		pm, pj, err := probs(imgs, c)
		if err != nil {
			return 0, 0, err
		}
		both := 0
		for i := range pm {
			if pm[i] >= 0.9 && pj[i] >= 0.9 {
				both++
			}
		}
		dist := 0.0
		for g := range realGroups {
			dist += meanPairDist(imgs[g*realGroup*n:(g+1)*realGroup*n], n)
		}
		return float64(both) / float64(len(pm)), dist / realGroups, nil
	}
	for c := range C {
		var idx []int
		for i := 0; i < s.N && len(idx) < realGroup*realGroups; i++ {
			if int(s.Labels[i]) == c {
				idx = append(idx, i)
			}
		}
		if len(idx) < realGroup*realGroups {
			return nil, nil, fmt.Errorf("measure-dgn: class %d has %d test images, want %d", c, len(idx), realGroup*realGroups)
		}
		imgs := make([]float32, len(idx)*n)
		s.Batch(idx, imgs)
		both, dist, err := measure(imgs, c)
		if err != nil {
			return nil, nil, err
		}
		rec, err := reconstruct(idx)
		if err != nil {
			return nil, nil, err
		}
		rboth, rdist, err := measure(rec, c)
		if err != nil {
			return nil, nil, err
		}
		out[c] = map[string]any{"class": c, "images": len(idx), "both_ge_0.9": both, "mean_pair_dist": dist,
			"recon_both_ge_0.9": rboth, "recon_mean_pair_dist": rdist}
		firsts[c] = [2][]float32{imgs[:n], rec[:n]}
	}
	return out, firsts, nil
}

// pixelAM is pixel-space AM of one image per class for a grey model: DGN-AM
// with the identity "generator" (a Reshape), so the pixels are the code,
// clipped to [0, 1], with L2 decay towards 0, starting from uniform noise
// around 0.5.
func pixelAM(ctx context.Context, d *gpu.Device, p *models.Plan, desc *models.Descriptor, C int, obj func(int) (am.Objective, error), cfg am.Config, decay float64) ([]float32, error) {
	in := p.Nodes[0].Shape
	n := in[0] * in[1] * in[2]
	m, err := models.NewNet("identity", n).Layer("Reshape", "image", map[string]any{"target_shape": in}).Init(0)
	if err != nil {
		return nil, err
	}
	ip, err := models.Lower(m)
	if err != nil {
		return nil, err
	}
	st := models.CodeStats{Layer: "", Low: make([]float32, n), High: make([]float32, n), Mean: make([]float32, n), Std: make([]float32, n)}
	for i := range n {
		st.High[i], st.Mean[i], st.Std[i] = 1, 0.5, 0.1
	}
	var objs []am.Objective
	for c := range C {
		o, err := obj(c)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	cfg.Param = "dgn"
	cfg.Code = am.CodeConfig{Generator: &models.Generative{G: ip, Code: st}, Decay: decay, Init: "random"}
	r, err := am.NewRenderer(d, p, desc, objs, cfg)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	for range cfg.Steps {
		if err := r.Step(); err != nil {
			return nil, err
		}
	}
	return r.Codes(ctx)
}

// cached returns the images render makes, kept in folder dir (when not
// empty) as key.f32 together with the modification time and size of the
// model's weights (modelDir/*.bin and its generator's), so that a retrained
// model is never matched with another model's images.
func cached(dir, modelDir, key string, render func() ([]float32, error)) ([]float32, error) {
	if dir == "" {
		return render()
	}
	stamp, err := weightsStamp(modelDir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, key+"_"+stamp+".f32")
	if b, err := os.ReadFile(path); err == nil && len(b)%4 == 0 && len(b) > 0 {
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return v, nil
	}
	v, err := render()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("measure-dgn: cache: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return nil, fmt.Errorf("measure-dgn: cache: %w", err)
	}
	return v, nil
}

// weightsStamp identifies the weights in modelDir and modelDir/generator by
// their files' sizes and modification times.
func weightsStamp(modelDir string) (string, error) {
	return filesStamp(modelDir, "*.bin", "generator/*.bin")
}

// filesStamp identifies the files matching patterns (relative to dir) by
// their names, sizes and modification times.
func filesStamp(dir string, patterns ...string) (string, error) {
	h := fnv.New64a()
	for _, pat := range patterns {
		files, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return "", err
		}
		for _, f := range files {
			st, err := os.Stat(f)
			if err != nil {
				return "", fmt.Errorf("measure-dgn: %w", err)
			}
			fmt.Fprintf(h, "%s %d %d;", filepath.Base(f), st.Size(), st.ModTime().UnixNano())
		}
	}
	return fmt.Sprintf("%016x", h.Sum64()), nil
}

// meanPairDist is the mean over pairs of the images (each n floats, one
// after another) of their Euclidean distance.
func meanPairDist(imgs []float32, n int) float64 {
	k := len(imgs) / n
	sum, pairs := 0.0, 0
	for i := range k {
		for j := i + 1; j < k; j++ {
			s := 0.0
			for q := range n {
				e := float64(imgs[i*n+q]) - float64(imgs[j*n+q])
				s += e * e
			}
			sum += math.Sqrt(s)
			pairs++
		}
	}
	return sum / float64(pairs)
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// countAtLeast counts the values of v that are at least t.
func countAtLeast(v []float64, t float64) int {
	n := 0
	for _, x := range v {
		if x >= t {
			n++
		}
	}
	return n
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

// greyGrid draws rows of cols grey size×size images (each row one slice,
// images one after another), each pixel scale×scale, with a gap between
// cells and a wider one before the rows listed in breaks.
func greyGrid(rows [][]float32, cols, size, scale int, breaks []int) *image.RGBA {
	const gap, wide = 2, 8
	cell := size * scale
	y0s := make([]int, len(rows))
	h := 0
	for r := range rows {
		for _, b := range breaks {
			if b == r {
				h += wide - gap
			}
		}
		y0s[r] = h
		h += cell + gap
	}
	img := image.NewRGBA(image.Rect(0, 0, cols*(cell+gap)-gap, h-gap))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for r, row := range rows {
		for c := range cols {
			for y := range cell {
				for x := range cell {
					v := row[c*size*size+(y/scale)*size+x/scale]
					q := uint8(math.Round(float64(min(max(v, 0), 1)) * 255))
					img.Set(c*(cell+gap)+x, y0s[r]+y, color.RGBA{q, q, q, 255})
				}
			}
		}
	}
	return img
}
