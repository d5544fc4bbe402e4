package selftest

import (
	"context"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/hubelviz/hubel/gpu"
)

// TestRunNative runs the browser's self-test on the native adapter, so that
// the check itself is known to be right before a browser runs it.
func TestRunNative(t *testing.T) {
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		if errors.Is(err, gpu.ErrNoAdapter) && os.Getenv("CI") != "true" {
			t.Skipf("no GPU adapter: %v", err)
		}
		t.Fatal(err)
	}
	defer d.Close()
	t.Logf("adapter: %s", d.Adapter)
	n := 0
	res := Run(context.Background(), d, func(Result) { n++ })
	if len(res) != Count() || n != len(res) || len(res) == 0 {
		t.Fatalf("%d results, %d progress calls, want %d of each", len(res), n, Count())
	}
	for _, r := range res {
		t.Logf("%-20s %-22s n=%-6d rel err %.3g", r.Kernel, r.Shape, r.N, r.RelErr)
		if !r.OK {
			t.Errorf("%s (n=%d): rel err %.3g, err %q", r.Kernel, r.N, r.RelErr, r.Err)
		}
	}
}

func TestRelErr(t *testing.T) {
	for _, c := range []struct {
		got  []float32
		want []float64
		e    float64
	}{
		{[]float32{1, 2}, []float64{1, 2}, 0},
		{[]float32{1, 3}, []float64{1, 2}, 0.5},
		{[]float32{float32(math.NaN()), 2}, []float64{1, 2}, math.Inf(1)},
		{[]float32{0, 0}, []float64{0, 0}, 0},
	} {
		if e := RelErr(c.got, c.want); e != c.e {
			t.Errorf("RelErr(%v, %v) = %g, want %g", c.got, c.want, e, c.e)
		}
	}
}
