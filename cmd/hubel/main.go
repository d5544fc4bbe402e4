// Command hubel is hubel's native command-line tool.
//
//	hubel <command> [flags]
//
// Each command is one entry in the commands table below; `hubel help` lists
// them and `hubel <command> -h` shows a command's flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// command is one subcommand: run gets the arguments after its name and
// writes its normal output to stdout. A returned error is printed and makes
// hubel exit with status 1.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout io.Writer) error
}

// commands lists the subcommands in the order usage shows them. Adding a
// command is one line here and a function in its own file.
var commands = []command{
	{"layers", "print each layer of a model: name, class, output shape", cmdLayers},
	{"predict", "classify an image: logits and top-5 as JSON", cmdPredict},
	{"grad", "gradient of an objective with respect to the input image", cmdGrad},
	{"render", "synthesise images that excite units (activation maximisation)", cmdRender},
	{"objective", "value of objectives on an image (any size, or grey), without transforms", cmdObjective},
	{"montage", "lay PNG images out as one grid PNG", cmdMontage},
	{"bench", "steps/s of the full AM step at batch 1 and 8", cmdBench},
	{"train", "train a classifier on MNIST or Fashion-MNIST, write it as TF.js layers", cmdTrain},
	{"eval", "accuracy of a model on the MNIST or Fashion-MNIST test set", cmdEval},
	{"topk", "the 9 test images that excite each unit most (dataset examples)", cmdTopK},
	{"train-generator", "train DGN-AM's generator and PPGN's prior for a trained MNIST/Fashion-MNIST classifier", cmdTrainGenerator},
	{"measure-dgn", "measure DGN-AM and PPGN on a classifier with a generator: judge agreement, diversity, a comparison PNG", cmdMeasureDGN},
	{"reshard", "copy a model folder with its weights regrouped into fewer, larger files", cmdReshard},
	{"serve", "serve the built site/ folder over HTTP (gzip-aware, for the browser version)", cmdServe},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args to a command and returns the process exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(args[1:], stdout)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		default:
			fmt.Fprintf(stderr, "hubel %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "hubel: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: hubel <command> [flags]\n\nCommands:\n")
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'hubel <command> -h' for a command's flags.\n")
}
