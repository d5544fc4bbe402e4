package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/hubelviz/hubel/gpu"
)

// deviceFlags are the flags of every command that opens the GPU.
type deviceFlags struct {
	kernels string
}

func (f *deviceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.kernels, "kernels", "", "pin the tuned kernels' variants, as family=variant,… (the \"kernels\" a report of an earlier run names), to reproduce its numbers; default: the picks kept in $HUBEL_KERNEL_PICKS, else measured")
}

// open opens the GPU with the pinned variants, keeping the tuner's other
// picks in the file $HUBEL_KERNEL_PICKS names (default: the user's cache
// folder, gpu.DefaultPicksPath; "off": keep none, measure every run).
func (f *deviceFlags) open() (*gpu.Device, error) {
	pinned, err := gpu.ParseKernels(f.kernels)
	if err != nil {
		return nil, fmt.Errorf("-kernels: %w", err)
	}
	opts := gpu.Options{Kernels: pinned}
	switch path := os.Getenv("HUBEL_KERNEL_PICKS"); path {
	case "off":
	case "":
		if p, err := gpu.DefaultPicksPath(); err == nil {
			opts.Picks = gpu.FilePicks(p)
		}
	default:
		opts.Picks = gpu.FilePicks(path)
	}
	return gpu.Open(opts)
}

// kernelsOf names the kernel variants d ran, for a report ("" for the CPU
// backend).
func kernelsOf(d *gpu.Device) string {
	if d == nil {
		return ""
	}
	return gpu.FormatKernels(d.Kernels())
}

// kernelsNote says, for a TRAINING.md, which kernel variants ran and how to
// run them again.
func kernelsNote(kernels string) string {
	return fmt.Sprintf("kernels `%s` (`-kernels %s` runs the same variants)", kernels, kernels)
}
