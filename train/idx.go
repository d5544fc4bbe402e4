// Package train trains hubel's bundled classifiers on MNIST and
// Fashion-MNIST with the GPU engine, evaluates them, and finds the dataset
// examples that excite each unit most; it also trains what DGN-AM and PPGN
// add to a classifier: the generator (optionally against a discriminator)
// and the denoising autoencoder on its codes. The datasets are read from
// their idx files with the standard library.
package train

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
)

// idx magic numbers: unsigned bytes, 3 or 1 dimensions.
const (
	magicImages = 0x00000803
	magicLabels = 0x00000801
)

// openIDX opens an idx file, gunzipping it when its name ends in .gz.
func openIDX(path string) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return bufio.NewReader(f), f.Close, nil
	}
	z, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("train: %s: not a gzip file: %w", path, err)
	}
	return z, f.Close, nil
}

// header reads the magic number and dims 32-bit big-endian dimensions.
func header(r io.Reader, path string, magic uint32, dims int) ([]int, error) {
	var h [4]uint32
	for i := 0; i <= dims; i++ {
		if err := binary.Read(r, binary.BigEndian, &h[i]); err != nil {
			field := "magic"
			if i > 0 {
				field = fmt.Sprintf("dimension %d", i)
			}
			return nil, fmt.Errorf("train: %s: truncated header: %s: %v", path, field, err)
		}
		if i == 0 && h[0] != magic {
			return nil, fmt.Errorf("train: %s: bad magic 0x%08x, want 0x%08x (an idx file of %d dimensions of unsigned bytes)", path, h[0], magic, dims)
		}
	}
	out := make([]int, dims)
	for i := range out {
		out[i] = int(h[i+1])
		if out[i] < 1 || out[i] > 1<<24 {
			return nil, fmt.Errorf("train: %s: dimension %d is %d, out of range", path, i+1, out[i])
		}
	}
	return out, nil
}

// body reads exactly n bytes of data.
func body(r io.Reader, path string, n int, what string) ([]uint8, error) {
	buf := make([]uint8, n)
	if got, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("train: %s: truncated: %d of %d bytes of %s: %v", path, got, n, what, err)
	}
	return buf, nil
}

// ReadImages reads an idx3 image file (optionally gzipped): count images of
// rows×cols unsigned bytes, row-major.
func ReadImages(path string) (count, rows, cols int, pix []uint8, err error) {
	r, closer, err := openIDX(path)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	defer closer()
	dims, err := header(r, path, magicImages, 3)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	pix, err = body(r, path, dims[0]*dims[1]*dims[2], "pixels")
	if err != nil {
		return 0, 0, 0, nil, err
	}
	return dims[0], dims[1], dims[2], pix, nil
}

// ReadLabels reads an idx1 label file (optionally gzipped).
func ReadLabels(path string) ([]uint8, error) {
	r, closer, err := openIDX(path)
	if err != nil {
		return nil, err
	}
	defer closer()
	dims, err := header(r, path, magicLabels, 1)
	if err != nil {
		return nil, err
	}
	return body(r, path, dims[0], "labels")
}
