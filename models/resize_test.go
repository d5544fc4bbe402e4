package models

import (
	"slices"
	"strings"
	"testing"
)

// TestResize lays the fully convolutional branchy model out at sizes other
// than model.json's: shapes follow the convolution arithmetic, and the GPU
// and CPU backends agree at the new size. A model with a Flatten cannot be
// resized.
func TestResize(t *testing.T) {
	p := branchyPlan(t, true)
	if q, err := p.Resize(9, 8); err != nil || q != p {
		t.Errorf("Resize to the model's own size: %p, %v; want the plan itself", q, err)
	}
	q, err := p.Resize(13, 11)
	if err != nil {
		t.Fatal(err)
	}
	// c1: stride 2 same → 7×6; pad (1,0),(0,1) → 8×7; maxpool 2 valid → 4×3.
	want := map[string][]int{"in": {13, 11, 3}, "c1": {7, 6, 6}, "cat": {7, 6, 12}, "pad": {8, 7, 12}, "mp": {4, 3, 12}, "flat": {12}, "dense/preact": {5}}
	for name, s := range want {
		n, err := q.Node(name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(n.Shape, s) {
			t.Errorf("%s: shape %v at 13×11, want %v", name, n.Shape, s)
		}
		if o, _ := p.Node(name); o == n {
			t.Errorf("%s: the resized plan shares the node with the original", name)
		}
	}
	if n, _ := p.Node("c1"); !slices.Equal(n.Shape, []int{5, 4, 6}) {
		t.Errorf("Resize changed the original plan: c1 %v", n.Shape)
	}
	// (Not the softmax "dense": its saturated float32 gradient cancels.)
	compareBackends(t, q, 13, 11, [][]string{{"dense/preact"}, {"add", "lr"}, {"cat"}})

	if _, err := branchyPlan(t, false).Resize(13, 11); err == nil || !strings.Contains(err.Error(), `"flat"`) {
		t.Errorf("resizing a model with a Flatten: error %v, want one naming the layer", err)
	}
	if _, err := p.Resize(0, 5); err == nil || !strings.Contains(err.Error(), "0×5") {
		t.Errorf("resizing to 0×5: error %v, want one naming the size", err)
	}
}
