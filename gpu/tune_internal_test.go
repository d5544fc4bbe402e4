package gpu

import (
	"testing"
	"time"
)

func TestTrialReps(t *testing.T) {
	cases := []struct {
		one  time.Duration
		want int
	}{
		{2 * time.Millisecond, 1},    // lavapipe, SwiftShader: as before
		{time.Millisecond, 1},        // at the target
		{300 * time.Microsecond, 4},  // 1.2 ms a submission
		{100 * time.Microsecond, 16}, // 1.6 ms
		{5 * time.Microsecond, 256},  // an H200's trial: capped, 1.28 ms
		{time.Microsecond, 256},      // capped below the target
		{0, 256},                     // a timer too coarse to see it
	}
	for _, c := range cases {
		if got := trialReps(c.one); got != c.want {
			t.Errorf("trialReps(%v) = %d, want %d", c.one, got, c.want)
		}
	}
}
