package gpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/hubelviz/hubel/gpu"
	"github.com/hubelviz/hubel/gpu/ref"
)

type randomCase struct {
	n             int
	seed, counter uint64
}

func randomCases() []randomCase {
	rng := newRand(49)
	cs := []randomCase{{1, 0, 0}, {2, 1, 1}, {3, 0xffffffffffffffff, 0xffffffffffffffff}, {4, 1 << 32, 1 << 32}, {70001, 12345, 678}}
	for len(cs) < 24 {
		cs = append(cs, randomCase{1 + rng.IntN(3000), rng.Uint64(), rng.Uint64() >> rng.IntN(64)})
	}
	return cs
}

// randomFill prepares and runs one fill with the counter set.
func randomFill(t *testing.T, d *gpu.Device, spec gpu.RandSpec, counter uint64, y *gpu.Buffer) *gpu.Random {
	t.Helper()
	r, err := d.Random(spec, y)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Release)
	if err := r.SetCounter(counter); err != nil {
		t.Fatal(err)
	}
	run(t, d, r, nil)
	return r
}

func TestRandomExact(t *testing.T) {
	d := device(t)
	for _, c := range randomCases() {
		t.Run(fmt.Sprintf("%d/%x/%x", c.n, c.seed, c.counter), func(t *testing.T) {
			y := zeros(t, d, c.n)
			randomFill(t, d, gpu.RandSpec{Kind: gpu.RandBits, Seed: c.seed}, c.counter, y)
			want := ref.RandomBits(c.seed, c.counter, c.n)
			for i, v := range read(t, d, y) {
				if math.Float32bits(v) != want[i] {
					t.Fatalf("bits: draw %d = %08x, want %08x", i, math.Float32bits(v), want[i])
				}
			}
			randomFill(t, d, gpu.RandSpec{Kind: gpu.RandUniform, Seed: c.seed, Scale: 1}, c.counter, y)
			wantU := ref.RandomUniform(c.seed, c.counter, c.n)
			for i, v := range read(t, d, y) {
				if float64(v) != wantU[i] {
					t.Fatalf("uniform: draw %d = %v, want %v exactly", i, v, wantU[i])
				}
			}
		})
	}
}

func TestRandomNormal(t *testing.T) {
	d := device(t)
	rng := newRand(50)
	worst := imgopsMaxErr{}
	for _, c := range randomCases() {
		t.Run(fmt.Sprintf("%d/%x/%x", c.n, c.seed, c.counter), func(t *testing.T) {
			scale, shift := math.Exp(rng.NormFloat64()), rng.NormFloat64()
			y := zeros(t, d, c.n)
			randomFill(t, d, gpu.RandSpec{Kind: gpu.RandNormal, Seed: c.seed, Scale: 1}, c.counter, y)
			z := ref.RandomNormal(c.seed, c.counter, c.n)
			worst.check(t, "normal", read(t, d, y), z)

			// scaled and added into an existing buffer (Langevin noise)
			y032, y0 := randVec(rng, c.n)
			ya := upload(t, d, y032)
			randomFill(t, d, gpu.RandSpec{Kind: gpu.RandNormal, Seed: c.seed, Scale: scale, Shift: shift, Add: true}, c.counter, ya)
			want := make([]float64, c.n)
			for i := range want {
				want[i] = y0[i] + float64(float32(shift)) + float64(float32(scale))*z[i]
			}
			worst.check(t, "normal added", read(t, d, ya), want)

			u := ref.RandomUniform(c.seed, c.counter, c.n)
			for i := range want {
				want[i] = float64(float32(shift)) + float64(float32(scale))*u[i]
			}
			randomFill(t, d, gpu.RandSpec{Kind: gpu.RandUniform, Seed: c.seed, Scale: scale, Shift: shift}, c.counter, y)
			worst.check(t, "uniform scaled", read(t, d, y), want)
		})
	}
	worst.log(t)
}

// TestRandomStatistics checks the GPU's normal draws' moments and that
// counters and seeds select different, reproducible streams.
func TestRandomStatistics(t *testing.T) {
	d := device(t)
	const n = 1 << 18
	y := zeros(t, d, n)
	r := randomFill(t, d, gpu.RandSpec{Kind: gpu.RandNormal, Seed: 99, Scale: 2, Shift: 0.5}, 3, y)
	first := read(t, d, y)
	mean, m2, m4 := 0.0, 0.0, 0.0
	for _, v := range first {
		mean += float64(v)
	}
	mean /= n
	for _, v := range first {
		e := float64(v) - mean
		m2 += e * e
		m4 += e * e * e * e
	}
	m2 /= n
	m4 /= n
	se := 1 / math.Sqrt(n)
	if math.Abs(mean-0.5) > 5*2*se || math.Abs(m2-4) > 5*4*math.Sqrt(2)*se || math.Abs(m4/(m2*m2)-3) > 0.1 {
		t.Errorf("N(0.5, 2²): mean %v, variance %v, kurtosis %v", mean, m2, m4/(m2*m2))
	}
	t.Logf("N(0.5, 2²) over %d draws: mean %.4f, variance %.4f, kurtosis %.3f", n, mean, m2, m4/(m2*m2))

	same := func(a, b []float32) int {
		k := 0
		for i := range a {
			if a[i] == b[i] {
				k++
			}
		}
		return k
	}
	if err := r.SetCounter(4); err != nil {
		t.Fatal(err)
	}
	run(t, d, r, nil)
	if k := same(first, read(t, d, y)); k > 10 {
		t.Errorf("counter 4 repeats %d of counter 3's draws", k)
	}
	if err := r.SetSeed(100); err != nil {
		t.Fatal(err)
	}
	if err := r.SetCounter(3); err != nil {
		t.Fatal(err)
	}
	run(t, d, r, nil)
	if k := same(first, read(t, d, y)); k > 10 {
		t.Errorf("seed 100 repeats %d of seed 99's draws", k)
	}
	if err := r.SetSeed(99); err != nil {
		t.Fatal(err)
	}
	run(t, d, r, nil)
	if k := same(first, read(t, d, y)); k != n {
		t.Errorf("(seed 99, counter 3) again: only %d of %d draws repeat", k, n)
	}
}

func TestRandomErrors(t *testing.T) {
	d := device(t)
	y := zeros(t, d, 8)
	for name, err := range map[string]error{
		"bits added": nnErr(d.Random(gpu.RandSpec{Kind: gpu.RandBits, Add: true}, y)),
		"kind":       nnErr(d.Random(gpu.RandSpec{Kind: 7}, y)),
		"nan":        nnErr(d.Random(gpu.RandSpec{Kind: gpu.RandNormal, Scale: math.NaN()}, y)),
		"nil":        nnErr(d.Random(gpu.RandSpec{Kind: gpu.RandNormal, Scale: 1}, nil)),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
