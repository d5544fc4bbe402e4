package models

import (
	"image/color"
	"math"
	"slices"
	"testing"
)

// TestChannels checks the RGB → grey conversion against image/color's Gray
// model on 8-bit colours (it rounds to 8 bits, hence the 1/255 tolerance),
// and that three channels pass through unchanged.
func TestChannels(t *testing.T) {
	cols := []color.RGBA{{0, 0, 0, 255}, {255, 255, 255, 255}, {200, 10, 30, 255}, {17, 240, 99, 255}, {128, 128, 128, 255}}
	var rgb []float32
	for _, c := range cols {
		rgb = append(rgb, Scale8(uint32(c.R), 0, 1), Scale8(uint32(c.G), 0, 1), Scale8(uint32(c.B), 0, 1))
	}
	if got := Channels(rgb, 3); !slices.Equal(got, rgb) {
		t.Errorf("3 channels: %v, want the input %v", got, rgb)
	}
	grey := Channels(rgb, 1)
	if len(grey) != len(cols) {
		t.Fatalf("1 channel: %d values for %d pixels", len(grey), len(cols))
	}
	for i, c := range cols {
		want := float64(color.GrayModel.Convert(c).(color.Gray).Y) / 255
		if math.Abs(float64(grey[i])-want) > 1.0/255 {
			t.Errorf("pixel %v: grey %g, want %g (image/color)", c, grey[i], want)
		}
	}
}
