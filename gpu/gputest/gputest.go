// Package gputest gives tests and benchmarks of other packages the one GPU
// device of the test binary.
package gputest

import (
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/hubelviz/hubel/gpu"
)

var (
	once sync.Once
	dev  *gpu.Device
	err  error
)

// Device returns the test binary's device, opened once so that every test
// shares its compiled pipelines. Without an adapter it skips the test,
// unless CI=true, where a missing adapter fails it; any other error to open
// fails it.
func Device(tb testing.TB) *gpu.Device {
	tb.Helper()
	once.Do(func() { dev, err = gpu.Open(gpu.Options{}) })
	if err != nil {
		if os.Getenv("CI") == "true" || !errors.Is(err, gpu.ErrNoAdapter) {
			tb.Fatal(err)
		}
		tb.Skip(err)
	}
	return dev
}
