package train

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeIDX writes an idx file of the given magic and dimensions followed by
// body, gzipped when the name ends in .gz.
func writeIDX(t *testing.T, name string, magic uint32, dims []uint32, body []byte) string {
	t.Helper()
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(body)
	data := b.Bytes()
	if strings.HasSuffix(name, ".gz") {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(data)
		w.Close()
		data = z.Bytes()
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadIDX(t *testing.T) {
	pix := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	path := writeIDX(t, "img.gz", magicImages, []uint32{2, 2, 3}, pix)
	n, h, w, got, err := ReadImages(path)
	if err != nil || n != 2 || h != 2 || w != 3 || !bytes.Equal(got, pix) {
		t.Fatalf("ReadImages = %d %d %d %v, %v", n, h, w, got, err)
	}
	lab := writeIDX(t, "lab", magicLabels, []uint32{3}, []byte{7, 0, 9})
	if l, err := ReadLabels(lab); err != nil || !bytes.Equal(l, []byte{7, 0, 9}) {
		t.Fatalf("ReadLabels = %v, %v", l, err)
	}
	for _, tc := range []struct {
		name string
		path string
		read func(string) error
		want string
	}{
		{"labels read as images", writeIDX(t, "a.gz", magicLabels, []uint32{3}, []byte{1, 2, 3}), images, "bad magic 0x00000801, want 0x00000803"},
		{"truncated pixels", writeIDX(t, "b.gz", magicImages, []uint32{2, 2, 3}, pix[:7]), images, "truncated: 7 of 12 bytes of pixels"},
		{"truncated header", writeIDX(t, "c", magicImages, []uint32{2}, nil), images, "truncated header: dimension 2"},
		{"zero count", writeIDX(t, "d", magicLabels, []uint32{0}, nil), labels, "dimension 1 is 0"},
		{"not gzip", writeIDX(t, "e", magicLabels, []uint32{1}, []byte{1}), func(p string) error {
			os.Rename(p, p+".gz")
			return labels(p + ".gz")
		}, "not a gzip file"},
		{"missing", filepath.Join(t.TempDir(), "none.gz"), labels, "no such file"},
	} {
		err := tc.read(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), filepath.Base(tc.path)) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", tc.name, err, tc.want)
		}
	}
}

func images(p string) error { _, _, _, _, err := ReadImages(p); return err }
func labels(p string) error { _, err := ReadLabels(p); return err }

// TestLoadWrongCount: a dataset folder whose files disagree is refused
// with the file named.
func TestLoadWrongCount(t *testing.T) {
	dir := t.TempDir()
	img := writeIDX(t, "x.gz", magicImages, []uint32{2, 28, 28}, make([]byte, 2*28*28))
	raw, _ := os.ReadFile(img)
	for _, p := range []string{"train", "t10k"} {
		os.WriteFile(filepath.Join(dir, p+"-images-idx3-ubyte.gz"), raw, 0o644)
		os.WriteFile(filepath.Join(dir, p+"-labels-idx1-ubyte.gz"), raw, 0o644)
	}
	_, err := Load("mnist", dir)
	if err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte.gz: 2 images of 28×28, want 60000") {
		t.Errorf("Load: %v", err)
	}
	if _, err := Load("cifar", dir); err == nil || !strings.Contains(err.Error(), `unknown dataset "cifar"`) {
		t.Errorf("Load(cifar): %v", err)
	}
}

// TestDatasets reads both real datasets: sizes, label ranges and pixel
// statistics that identify them.
func TestDatasets(t *testing.T) {
	for _, name := range []string{"mnist", "fashion"} {
		ds, err := Load(name, "")
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal(err)
			}
			t.Skip(err)
		}
		if ds.Train.N != 60000 || ds.Test.N != 10000 {
			t.Fatalf("%s: %d/%d images", name, ds.Train.N, ds.Test.N)
		}
		var count [10]int
		for _, l := range ds.Test.Labels {
			count[l]++
		}
		// MNIST's test set has 980 zeros; Fashion-MNIST's is balanced.
		want := map[string]int{"mnist": 980, "fashion": 1000}[name]
		if count[0] != want {
			t.Errorf("%s: %d test images of class 0, want %d", name, count[0], want)
		}
		x := make([]float32, 28*28)
		ds.Test.Image(0, x)
		mx := float32(0)
		for _, v := range x {
			mx = max(mx, v)
		}
		if mx != 1 {
			t.Errorf("%s: test image 0's brightest pixel is %g, want 1", name, mx)
		}
	}
}
