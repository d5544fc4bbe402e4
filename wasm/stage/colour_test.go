package stage

import (
	"fmt"
	"image/color"
	"os"
	"regexp"
	"testing"
)

// The display draws in these colours and the page's CSS paints around them
// (the page's background, the curves' key): the two must agree.
func TestColoursMatchCSS(t *testing.T) {
	css, err := os.ReadFile("../../site/app.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z0-9-]+):\s*([^;]+);`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	ref := regexp.MustCompile(`^var\(--([a-z0-9-]+)\)$`)
	resolve := func(name string) string {
		v := vars[name]
		for i := 0; i < 4; i++ {
			if m := ref.FindStringSubmatch(v); m != nil {
				v = vars[m[1]]
			}
		}
		return v
	}
	hex := func(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }
	want := map[string]color.RGBA{"bg": ColBG, "cell": ColCell, "line": ColLine, "accent": ColAccent}
	for i, c := range ColSeries {
		want[fmt.Sprintf("series%d", i)] = c
	}
	for name, c := range want {
		if got := resolve(name); got != hex(c) {
			t.Errorf("site/app.css --%s is %q, the display's colour is %s", name, got, hex(c))
		}
	}
}
