package main

import (
	"flag"
	"fmt"
	"image"
	"io"
	"os"
)

func cmdMontage(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("montage", flag.ContinueOnError)
	cols := fs.Int("cols", 0, "images per row (default: a square grid)")
	out := fs.String("out", "", "the grid PNG to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files := fs.Args()
	if *out == "" || len(files) == 0 {
		return fmt.Errorf("usage: hubel montage [-cols N] -out GRID.png IMAGE...")
	}
	if *cols < 0 {
		return fmt.Errorf("-cols %d must be positive", *cols)
	}
	if *cols == 0 {
		for *cols*(*cols) < len(files) {
			*cols++
		}
	}
	ims := make([]image.Image, len(files))
	for i, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		ims[i], _, err = image.Decode(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := savePNG(*out, gridImage(ims, *cols)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d images, %d per row\n", *out, len(files), *cols)
	return nil
}
