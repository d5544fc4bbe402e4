package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/hubelviz/hubel/am"
)

// cmdBench measures steps/s of the full AM step (Lucid's defaults: Fourier
// parameter, colour decorrelation, Lucid transforms, a channel objective)
// at several batch sizes, as the median over rounds of timed steps.
func cmdBench(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	size := fs.Int("size", 224, "image size")
	steps := fs.Int("steps", 4, "steps per round")
	rounds := fs.Int("rounds", 3, "timed rounds (the median is reported)")
	layer := fs.String("layer", "conv_pw_7_relu", "layer of the channel objective")
	asJSON := fs.Bool("json", false, "print JSON")
	var batches multiFlag
	fs.Var(&batches, "batch", "batch size (repeat; default 1 and 8)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(batches) == 0 {
		batches = multiFlag{"1", "8"}
	}
	l, err := mf.load()
	if err != nil {
		return err
	}
	defer l.close()
	ctx := context.Background()
	type result struct {
		Batch        int     `json:"batch"`
		StepsPerSec  float64 `json:"steps_per_sec"`
		ImagesPerSec float64 `json:"images_per_sec"`
	}
	var results []result
	for _, bs := range batches {
		var b int
		if _, err := fmt.Sscan(bs, &b); err != nil || b < 1 {
			return fmt.Errorf("-batch %q: want a positive integer", bs)
		}
		objs := make([]am.Objective, b)
		for i := range objs {
			objs[i] = am.Channel(*layer, i)
		}
		cfg := am.Config{Size: *size, Steps: 1 + *steps**rounds, RedirectSteps: 16}
		r, err := am.NewRenderer(l.dev, l.plan, l.desc, objs, cfg)
		if err != nil {
			return fmt.Errorf("%w", err)
		}
		if err := r.Step(); err != nil { // compiles every pipeline
			r.Release()
			return err
		}
		l.dev.Sync(ctx)
		var rates []float64
		for range *rounds {
			t0 := time.Now()
			for range *steps {
				if err := r.Step(); err != nil {
					r.Release()
					return err
				}
			}
			if err := l.dev.Sync(ctx); err != nil {
				r.Release()
				return err
			}
			rates = append(rates, float64(*steps)/time.Since(t0).Seconds())
		}
		r.Release()
		sort.Float64s(rates)
		med := rates[len(rates)/2]
		results = append(results, result{b, med, med * float64(b)})
	}
	kernels := kernelsOf(l.dev)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"adapter": l.dev.Adapter, "kernels": kernels, "size": *size, "results": results})
	}
	fmt.Fprintf(stdout, "full AM step, %s, %d px, FFT + Lucid transforms, channel objective on %s\n", l.model.Name, *size, *layer)
	for _, r := range results {
		fmt.Fprintf(stdout, "batch %2d: %7.3f steps/s  %7.3f images/s\n", r.Batch, r.StepsPerSec, r.ImagesPerSec)
	}
	fmt.Fprintf(stdout, "adapter: %s\nkernels: %s\n", l.dev.Adapter, kernels)
	return nil
}
