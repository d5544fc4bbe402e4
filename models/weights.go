package models

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"
	"unsafe"

	"github.com/x448/float16"
)

// tensor is one decoded weight.
type tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// maxElements bounds any one tensor: far above any model hubel runs, far
// below where products of dimensions could overflow.
const maxElements = 1 << 30

// numel is the product of the dimensions, or -1 if any is negative or the
// product exceeds maxElements.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > maxElements/d) {
			return -1
		}
		n *= d
	}
	return n
}

// bytesPerElement returns the stored width of a manifest entry.
func storedDtype(s manifestSpec) (string, error) {
	if s.Quantization != nil {
		switch s.Quantization.Dtype {
		case "uint8", "uint16", "float16":
			return s.Quantization.Dtype, nil
		default:
			return "", fmt.Errorf("weight %q: quantization.dtype %q is not one of uint8, uint16, float16", s.Name, s.Quantization.Dtype)
		}
	}
	switch s.Dtype {
	case "float32", "int32":
		return s.Dtype, nil
	case "":
		return "float32", nil
	default:
		return "", fmt.Errorf("weight %q: dtype %q is not supported (want float32 or int32, or a quantization entry)", s.Name, s.Dtype)
	}
}

func dtypeSize(dt string) int {
	switch dt {
	case "uint8":
		return 1
	case "uint16", "float16":
		return 2
	default:
		return 4
	}
}

// littleEndian says whether the host stores a float32 as TF.js's weight
// files do.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// f16 returns a lookup table from half bits to float32: x448/float16
// converts one value at a time, and models have millions. It is made on
// first use: building it at start-up took 30 ms of a page's start in
// wasm, for float32 models that never use it.
var f16 = sync.OnceValue(func() *[65536]float32 {
	var t [65536]float32
	for i := range t {
		t[i] = float16.Frombits(uint16(i)).Float32()
	}
	return &t
})

// checkGroupSize checks that n bytes, the group's files together (named by
// file for errors), are what its weights' dtypes and shapes need.
func checkGroupSize(g manifestGroup, n int, file string) error {
	need := 0
	for _, s := range g.Weights {
		dt, err := storedDtype(s)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		k := numel(s.Shape)
		if k < 0 || k > 1<<28 {
			return fmt.Errorf("%s: weight %q: shape %v has a negative or implausibly large size", file, s.Name, s.Shape)
		}
		need += k * dtypeSize(dt)
	}
	if n != need {
		return fmt.Errorf("%s: %d bytes, but the manifest's %d weights need %d bytes", file, n, len(g.Weights), need)
	}
	return nil
}

// decodeGroup splits the concatenated bytes of one manifest group into
// tensors. file names the group's shards for errors. float32 tensors share
// data's memory where they can (data must not change afterwards).
func decodeGroup(g manifestGroup, data []byte, file string) ([]tensor, error) {
	if err := checkGroupSize(g, len(data), file); err != nil {
		return nil, err
	}
	out := make([]tensor, 0, len(g.Weights))
	off := 0
	for _, s := range g.Weights {
		dt, _ := storedDtype(s)
		n := numel(s.Shape)
		b := data[off : off+n*dtypeSize(dt)]
		off += len(b)
		if dt == "float32" && littleEndian && n > 0 && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
			// TF.js stores little-endian IEEE floats, the host's own
			// layout (wasm's too): the weight is the file's bytes
			// themselves, no copy (copying MobileNet's 10 MB into fresh
			// memory took 0.3 s of a first load in wasm).
			out = append(out, tensor{Name: s.Name, Shape: append([]int(nil), s.Shape...), Data: unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)})
			continue
		}
		v := make([]float32, n)
		switch dt {
		case "float32":
			for i := range v {
				v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		case "int32":
			for i := range v {
				v[i] = float32(int32(binary.LittleEndian.Uint32(b[4*i:])))
			}
		case "float16":
			f16 := f16()
			for i := range v {
				v[i] = f16[binary.LittleEndian.Uint16(b[2*i:])]
			}
		case "uint8", "uint16":
			q := s.Quantization
			if q.Scale == nil || q.Min == nil {
				return nil, fmt.Errorf("%s: weight %q: %s quantization needs scale and min", file, s.Name, dt)
			}
			scale, min := *q.Scale, *q.Min
			for i := range v {
				var x uint32
				if dt == "uint8" {
					x = uint32(b[i])
				} else {
					x = uint32(binary.LittleEndian.Uint16(b[2*i:]))
				}
				v[i] = float32(float64(x)*scale + min)
			}
		}
		out = append(out, tensor{Name: s.Name, Shape: append([]int(nil), s.Shape...), Data: v})
	}
	return out, nil
}

// splitWeightName maps "model/conv1/kernel:0" to ("conv1", "kernel").
func splitWeightName(name string) (layer, param string) {
	name = strings.TrimSuffix(name, ":0")
	parts := strings.Split(name, "/")
	if len(parts) < 2 {
		return "", name
	}
	return parts[len(parts)-2], parts[len(parts)-1]
}

// EncodeFloat16 converts float32 weights to IEEE half bits (round to
// nearest even), as TF.js's converter does for --quantize_float16.
func EncodeFloat16(v []float32) []uint16 {
	out := make([]uint16, len(v))
	for i, x := range v {
		out[i] = float16.Fromfloat32(x).Bits()
	}
	return out
}
