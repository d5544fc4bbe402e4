package gpu_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/hubelviz/hubel/gpu"
)

// The kernel tests share one device per test binary: opening lavapipe costs
// a second, and the pipeline cache is per device.
var (
	dev     *gpu.Device
	openErr error
)

func TestMain(m *testing.M) {
	dev, openErr = gpu.Open(gpu.Options{})
	if openErr != nil && os.Getenv("CI") == "true" {
		// CI must exercise the kernels: a missing adapter fails the run.
		fmt.Fprintf(os.Stderr, "CI=true and no GPU adapter: %v\n", openErr)
		os.Exit(1)
	}
	if dev != nil {
		fmt.Fprintf(os.Stderr, "gpu tests on adapter: %s\n", dev.Adapter)
	}
	code := m.Run()
	if dev != nil {
		dev.Close()
	}
	os.Exit(code)
}

// device returns the shared device, or skips the test when there is none
// (never under CI=true: TestMain has already failed then).
func device(t testing.TB) *gpu.Device {
	t.Helper()
	if dev == nil {
		if errors.Is(openErr, gpu.ErrNoAdapter) {
			t.Skipf("no GPU adapter: %v", openErr)
		}
		t.Fatalf("open device: %v", openErr)
	}
	return dev
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x68756265)) }

// randVec returns n normal floats, and the same values widened to float64
// (exactly) for the reference.
func randVec(rng *rand.Rand, n int) ([]float32, []float64) {
	f := make([]float32, n)
	d := make([]float64, n)
	for i := range f {
		f[i] = float32(rng.NormFloat64())
		d[i] = float64(f[i])
	}
	return f, d
}

func upload(t testing.TB, d *gpu.Device, data []float32) *gpu.Buffer {
	t.Helper()
	b, err := d.Upload("test", data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Release)
	return b
}

func zeros(t testing.TB, d *gpu.Device, n int) *gpu.Buffer {
	t.Helper()
	b, err := d.NewBuffer("test", n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Release)
	return b
}

func read(t testing.TB, d *gpu.Device, b *gpu.Buffer) []float32 {
	t.Helper()
	out, err := d.Read(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// run prepares with mk (failing the test on error), records the op in one
// command buffer and submits it.
func run(t testing.TB, d *gpu.Device, op gpu.Op, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Run(op); err != nil {
		t.Fatal(err)
	}
	if x, ok := op.(interface{ Release() }); ok {
		t.Cleanup(x.Release)
	}
}

// relErr is the kernels' accuracy measure: max|got-want| / max|want|, the
// error relative to the tensor's scale (elementwise relative error is
// meaningless for entries that cancel to near zero).
func relErr(got []float32, want []float64) float64 {
	num, den := 0.0, 1e-30
	for i := range want {
		num = math.Max(num, math.Abs(float64(got[i])-want[i]))
		den = math.Max(den, math.Abs(want[i]))
	}
	if math.IsNaN(num) {
		return math.Inf(1)
	}
	return num / den
}

// kernelTol is the acceptance bound for every kernel against gpu/ref.
const kernelTol = 1e-4

func assertClose(t testing.TB, name string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", name, len(got), len(want))
	}
	if e := relErr(got, want); !(e <= kernelTol) {
		t.Errorf("%s: rel err %.3g > %g", name, e, kernelTol)
	}
}
