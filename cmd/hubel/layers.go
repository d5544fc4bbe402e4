package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hubelviz/hubel/models"
)

// cmdLayers prints each layer of a model: name, class, output shape.
func cmdLayers(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("layers", flag.ContinueOnError)
	dir := fs.String("model", "", "model folder (model.json + shards)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("-model DIR is required")
	}
	m, err := models.LoadDir(*dir)
	if err != nil {
		return err
	}
	for _, l := range m.Layers {
		dims := make([]string, len(l.Shape))
		for i, d := range l.Shape {
			dims[i] = fmt.Sprint(d)
		}
		fmt.Fprintf(stdout, "%-28s %-24s [%s]\n", l.Name, l.Class, strings.Join(dims, ", "))
	}
	return nil
}
