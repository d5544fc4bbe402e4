package models

import (
	"fmt"
	"image"
	_ "image/jpeg" // decoders for Image
	_ "image/png"
	"os"
)

// Image reads an image file as an NHWC float32 tensor of one image, with
// each 8-bit channel value p mapped to lo + p/255·(hi−lo). The image must
// already be h×w: hubel never resizes silently.
func Image(path string, h, w int, lo, hi float64) ([]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", path, err)
	}
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		return nil, fmt.Errorf("models: %s: image is %dx%d, the model takes %dx%d (width x height); crop or resize it first", path, b.Dx(), b.Dy(), w, h)
	}
	return Pixels(img, lo, hi), nil
}

// Pixels converts an image to NHWC RGB float32 in [lo, hi].
func Pixels(img image.Image, lo, hi float64) []float32 {
	b := img.Bounds()
	out := make([]float32, 0, b.Dx()*b.Dy()*3)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			for _, c := range []uint32{r >> 8, g >> 8, bl >> 8} {
				out = append(out, Scale8(c, lo, hi))
			}
		}
	}
	return out
}

// Channels returns rgb (NHWC RGB values, three per pixel) with c channels
// per pixel: itself for c = 3, and for c = 1 the luma 0.299·R + 0.587·G +
// 0.114·B (ITU-R BT.601, as image/color's Gray model), so that a grey
// model reads a PNG saved as RGB (for example one `hubel render` wrote) as
// the grey image it shows.
func Channels(rgb []float32, c int) []float32 {
	if c != 1 {
		return rgb
	}
	out := make([]float32, len(rgb)/3)
	for i := range out {
		out[i] = float32(0.299*float64(rgb[3*i]) + 0.587*float64(rgb[3*i+1]) + 0.114*float64(rgb[3*i+2]))
	}
	return out
}

// Scale8 maps an 8-bit value to [lo, hi]. For MobileNet's [−1, 1] it is
// p/127.5 − 1 in float32, exactly what the TF.js reference harness computes.
func Scale8(p uint32, lo, hi float64) float32 {
	if lo == -1 && hi == 1 {
		return float32(p)/127.5 - 1
	}
	return float32(lo + float64(p)/255*(hi-lo))
}
