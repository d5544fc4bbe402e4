package models

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

const mobilenetDir = "../../shared/models/mobilenet_v1_0.75_224"

// needShared returns the path of a folder in ../shared, skipping the test
// when it is absent outside CI.
func needShared(t testing.TB, dir string) string {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %s is missing: %v", dir, err)
		}
		t.Skipf("%s is missing: %v", dir, err)
	}
	return dir
}

func TestLoadMobileNet(t *testing.T) {
	m, err := LoadDir(needShared(t, mobilenetDir))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(m.Input.Shape); got != "[224 224 3]" {
		t.Errorf("input shape %s", got)
	}
	want := map[string]string{
		"conv1":           "[112 112 24]",
		"conv_dw_1":       "[112 112 24]",
		"conv_pw_1":       "[112 112 48]",
		"conv_pw_7_relu":  "[14 14 384]",
		"conv_pw_13_relu": "[7 7 768]",
		"conv_preds":      "[1 1 1000]",
		"reshape_2":       "[1000]",
	}
	for name, shape := range want {
		l, err := m.Layer(name)
		if err != nil {
			t.Error(err)
			continue
		}
		if got := fmt.Sprint(l.Shape); got != shape {
			t.Errorf("%s: shape %s, want %s", name, got, shape)
		}
	}
	if len(m.Layers) != 88 || m.Output.Name != "reshape_2" {
		t.Errorf("%d layers, output %s", len(m.Layers), m.Output.Name)
	}
}

func TestLowerMobileNet(t *testing.T) {
	m, err := LoadDir(needShared(t, mobilenetDir))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Lower(m)
	if err != nil {
		t.Fatal(err)
	}
	// 27 conv/depthwise layers each absorb their batch norm.
	folded := 0
	for _, n := range p.Nodes {
		folded += len(n.Folded)
	}
	if folded != 27 {
		t.Errorf("%d batch norms folded, want 27\n%s", folded, p.Describe())
	}
	if _, err := p.Node("conv1"); err == nil || !strings.Contains(err.Error(), "folded into \"conv1_bn\"") {
		t.Errorf("conv1: %v", err)
	}
	lg, err := p.Logits()
	if err != nil || lg.Name != "conv_preds" {
		t.Fatalf("logits: %v %v", lg, err)
	}
}

func TestDescriptorMobileNet(t *testing.T) {
	dir := needShared(t, mobilenetDir)
	m, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := LoadDescriptor(context.Background(), Dir(dir), m)
	if err != nil {
		t.Fatal(err)
	}
	if d.Input.Range != [2]float64{-1, 1} || len(d.Labels) != 1000 || !strings.HasPrefix(d.Labels[1], "goldfish") {
		t.Errorf("descriptor: range %v, %d labels", d.Input.Range, len(d.Labels))
	}
	found := false
	for _, l := range d.Layers {
		if l.Name == "conv_pw_7_relu" && l.Channels == 384 {
			found = true
		}
	}
	if !found || len(d.Layers) != 27 {
		t.Errorf("%d visualisable layers, conv_pw_7_relu found: %v", len(d.Layers), found)
	}
}

func TestImageWrongSize(t *testing.T) {
	_, err := Image(needShared(t, "../../shared/images/dog.jpg"), 224, 224, -1, 1)
	if err == nil || !strings.Contains(err.Error(), "dog.jpg") || !strings.Contains(err.Error(), "takes 224x224") {
		t.Fatalf("want a size error naming the file, got %v", err)
	}
	x, err := Image("../../shared/images/dog_224.png", 224, 224, -1, 1)
	if err != nil || len(x) != 224*224*3 {
		t.Fatalf("%d values, %v", len(x), err)
	}
}
