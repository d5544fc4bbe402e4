package gpu

import (
	"fmt"
	"math"
)

// Launchers for shaders/random.wgsl: counter-based random numbers
// (Philox-4x32-10), reproducible bit for bit from (seed, counter) on every
// adapter, for random initialisation and for Langevin noise.

const randomWG = 64

// RandKind is the distribution of a random fill.
type RandKind int

const (
	// RandUniform draws from [0, 1): (x >> 8)·2⁻²⁴ of each 32-bit draw x.
	RandUniform RandKind = iota
	// RandNormal draws standard normal values (Box–Muller on pairs of
	// draws; see shaders/random.wgsl).
	RandNormal
	// RandBits stores the raw 32-bit draws, bit for bit, in the f32 buffer
	// (math.Float32bits recovers them): for checking the generator.
	RandBits
)

// RandSpec says what a random fill draws.
//
// Element i of a fill with seed s and counter c is derived from lane i%4 of
// Philox4x32-10 with key (s mod 2³², s >> 32) applied to the counter block
// (i/4, 0, c mod 2³², c >> 32); ref.RandomBits is the same generator in Go.
type RandSpec struct {
	Kind RandKind
	Seed uint64
	// Scale and Shift map each draw r to Shift + Scale·r: a normal of mean
	// Shift and standard deviation Scale, or a uniform on
	// [Shift, Shift+Scale). Plain draws need Scale 1. Ignored for RandBits.
	Scale, Shift float64
	// Add adds the values into the buffer instead of overwriting it
	// (noise for a Langevin step). Not for RandBits.
	Add bool
}

// Random is a prepared random fill. The counter selects the stream: set a
// new one (SetCounter, e.g. the step number) before each recording that
// should draw fresh numbers; the same (seed, counter) repeats them exactly.
type Random struct {
	*Dispatch
	words Params
}

// Random prepares a fill of y as spec says, with counter 0.
func (d *Device) Random(spec RandSpec, y *Buffer) (*Random, error) {
	op := "random"
	if spec.Kind < RandUniform || spec.Kind > RandBits {
		return nil, fmt.Errorf("gpu: %s: unknown kind %d", op, spec.Kind)
	}
	if spec.Kind == RandBits && spec.Add {
		return nil, fmt.Errorf("gpu: %s: raw bits cannot be added", op)
	}
	if !finite(spec.Scale, spec.Shift) {
		return nil, fmt.Errorf("gpu: %s: scale %v, shift %v", op, spec.Scale, spec.Shift)
	}
	if y == nil {
		return nil, fmt.Errorf("gpu: %s: output buffer is nil", op)
	}
	if y.Len >= math.MaxUint32 {
		return nil, fmt.Errorf("gpu: %s: buffer of more than 2³² floats", op)
	}
	blocks := Ceil(y.Len, 4)
	k, err := d.Kernel(KernelSpec{
		File: "random.wgsl", Entry: "fill", Bufs: Bindings(ReadWrite),
		Consts: map[string]string{
			"WG":   fmt.Sprintf("%du", randomWG),
			"KIND": fmt.Sprintf("%du", map[RandKind]int{RandBits: 0, RandUniform: 1, RandNormal: 2}[spec.Kind]),
			"ADD":  fmt.Sprint(spec.Add),
		},
	})
	if err != nil {
		return nil, err
	}
	r := &Random{words: Params{
		U(y.Len), U(blocks), uint32(spec.Seed), uint32(spec.Seed >> 32), 0, 0, F(spec.Scale), F(spec.Shift),
	}}
	r.Dispatch, err = d.Dispatch(k, r.words, Groups1D(blocks, randomWG), y)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// SetCounter selects the counter of the next recordings, without
// allocating GPU objects. The uniforms are written when the next command
// buffer is submitted, so every recording of r in one submission uses the
// counter last set before it.
func (r *Random) SetCounter(c uint64) error {
	r.words[4], r.words[5] = uint32(c), uint32(c>>32)
	return r.SetParams(r.words)
}

// SetSeed changes the seed (the Philox key) of the next recordings.
func (r *Random) SetSeed(seed uint64) error {
	r.words[2], r.words[3] = uint32(seed), uint32(seed>>32)
	return r.SetParams(r.words)
}
