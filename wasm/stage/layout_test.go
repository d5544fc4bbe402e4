package stage

import "testing"

func TestGrid(t *testing.T) {
	for _, tc := range []struct {
		n          int
		w, h, gap  float64
		cols, side float64
	}{
		{1, 600, 400, 4, 1, 400},
		{8, 800, 400, 0, 4, 200},
		{16, 400, 400, 0, 4, 100},
		{3, 300, 900, 0, 1, 300},
	} {
		g := Grid(tc.n, tc.w, tc.h, tc.gap)
		if len(g) != tc.n || g[0].W != tc.side {
			t.Errorf("Grid(%d, %g, %g): side %g, want %g", tc.n, tc.w, tc.h, g[0].W, tc.side)
		}
		for _, r := range g {
			if r.X < -1e-9 || r.Y < -1e-9 || r.X+r.W > tc.w+1e-9 || r.Y+r.H > tc.h+1e-9 {
				t.Errorf("Grid(%d, %g, %g): cell %+v outside", tc.n, tc.w, tc.h, r)
			}
		}
		cols := 0
		for _, r := range g {
			if r.Y == g[0].Y {
				cols++
			}
		}
		if float64(cols) != tc.cols {
			t.Errorf("Grid(%d, %g, %g): %d columns, want %g", tc.n, tc.w, tc.h, cols, tc.cols)
		}
	}
}

func TestRow(t *testing.T) {
	for _, tc := range []struct {
		n         int
		w, h, gap float64
		side      float64
	}{
		{3, 606, 600, 3, 200},
		{3, 900, 100, 6, 100},
	} {
		g := Row(tc.n, tc.w, tc.h, tc.gap)
		if len(g) != tc.n || g[0].W != tc.side {
			t.Fatalf("Row(%d, %g, %g): %+v, want side %g", tc.n, tc.w, tc.h, g, tc.side)
		}
		for i, r := range g {
			if r.Y != g[0].Y || r.X < 0 || r.X+r.W > tc.w+1e-9 || i > 0 && r.X < g[i-1].X+g[i-1].W+tc.gap-1e-9 {
				t.Errorf("Row(%d, %g, %g): cell %d %+v not in one row inside the area", tc.n, tc.w, tc.h, i, r)
			}
		}
	}
}

func TestCells(t *testing.T) {
	for _, tc := range []struct {
		mode string
		n    int
		want []Rect
	}{
		{"image", 1, Grid(1, 900, 600, 0)},
		{"gallery", 4, Grid(4, 900, 600, 6)},
		{"methods", 3, Row(3, 900, 600, 16)},
	} {
		got := Cells(tc.mode, tc.n, 900, 600)
		if len(got) != len(tc.want) {
			t.Fatalf("Cells(%q, %d): %d cells, want %d", tc.mode, tc.n, len(got), len(tc.want))
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("Cells(%q, %d): cell %d %+v, want %+v", tc.mode, tc.n, i, got[i], tc.want[i])
			}
		}
	}
	// One image fills the stage's shorter side; a grid leaves gaps.
	if c := Cells("image", 1, 900, 600); c[0].W != 600 {
		t.Errorf("one image: side %g, want 600", c[0].W)
	}
	if c := Cells("gallery", 2, 900, 600); c[1].X-c[0].X-c[0].W != 6 {
		t.Errorf("two images: gap %g, want 6", c[1].X-c[0].X-c[0].W)
	}
}
