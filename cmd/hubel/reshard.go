package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/hubelviz/hubel/models"
)

// cmdReshard copies a model folder with its weights in fewer, larger files
// (build.sh uses it for the site's copies of models: one request instead
// of one per layer).
func cmdReshard(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("reshard", flag.ContinueOnError)
	src := fs.String("model", "", "model folder (model.json + shards) to copy")
	dst := fs.String("out", "", "new folder to write (must not exist)")
	maxBytes := fs.Int("max-bytes", 4<<20, "merge consecutive weight groups while a group's file stays within this many bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *src == "" || *dst == "" {
		return fmt.Errorf("-model DIR and -out DIR are required")
	}
	if *maxBytes < 1 {
		return fmt.Errorf("-max-bytes %d: want at least 1", *maxBytes)
	}
	return models.Reshard(*src, *dst, *maxBytes)
}
