package app

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/hubelviz/hubel/am"
	"github.com/hubelviz/hubel/models"
)

func TestParseExample(t *testing.T) {
	s, err := Parse("#model=mobilenet_v1_0.75_224&objective=conv_pw_9_relu:5&steps=64&seed=1", Defaults())
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.Model, want.Objectives, want.Steps, want.Seed = "mobilenet_v1_0.75_224", []string{"conv_pw_9_relu:5"}, 64, 1
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ hash, want string }{
		{"steps=-3", "steps=-3: want a whole number from 1 to 100000"},
		{"steps=abc", "steps=abc: want a whole number"},
		{"size=4", "size=4: want a whole number from 16 to 1024"},
		{"lr=0", "lr=0: want a learning rate above 0"},
		{"lr=NaN", "lr=NaN: want a learning rate"},
		{"param=dct", "param=dct: want fft"},
		{"transforms=all", "transforms=all: want lucid"},
		{"transforms=jitter:0", "transforms=jitter:0: want lucid"},
		{"objective=conv_pw_9_relu:x", "objective=conv_pw_9_relu:x: objective \"conv_pw_9_relu:x\": at column 16: expected a channel index"},
		{"objective=", "objective: empty objective"},
		{"objective=a:1;b:2&batch=3", "batch=3: the objective lists 2 images; batch must be 2"},
		{"colour=red", "colour: unknown key (known: model, url"},
		{"steps", "steps: needs a value"},
		{"seed=-1", "seed=-1: want a whole number from 0"},
		{"steps=1&steps=2", "steps: given twice"},
		{"channels=9-3", "channels=9-3: \"9-3\" is not a range"},
		{"view=gallery", "layer: the gallery needs a layer"},
		{"url=ftp://x", "url=ftp://x: want an http(s) URL"},
		{"layer=a%20b", "layer=a b: want a layer name"},
		{"embed=yes", "embed=yes: want embed"},
		{"objective=%zz", "objective=%zz: bad percent-encoding"},
		{"eps2=-1", "eps2=-1: want a step size from 0 to 1000"},
		{"eps1=x", "eps1=x: want a step size"},
		{"view=methods&objective=conv1:3", "objective=conv1:3: the methods view compares pixel AM, DGN-AM and PPGN on one class"},
		{"view=methods&objective=logit:1;logit:2", "objective=logit:1;logit:2: the methods view"},
		{"view=methods&objective=2*logit:1", "objective=2*logit:1: the methods view"},
		{"view=list", "view=list: want image, gallery or methods"},
	} {
		_, err := Parse(tc.hash, Defaults())
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error starting %q", tc.hash, err, tc.want)
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	d := Defaults()
	for _, hash := range []string{
		"model=mobilenet_v1_0.75_224&objective=conv_pw_9_relu:5&steps=64&seed=1",
		"model=m&objective=0.5*conv_pw_7_relu:12-conv_pw_7_relu:3;logsoftmax:9&size=64&lr=0.1&param=pixel&transforms=jitter:4",
		"model=m&url=https://example.com/a%20b/&objective=c:1&batch=4&view=gallery&layer=c&channels=0-7,9&embed",
		"model=mnist&objective=softmax:3&steps=32&view=methods&eps1=0.05&eps2=20&eps3=0",
	} {
		s, err := Parse(hash, d)
		if err != nil {
			t.Fatalf("%s: %v", hash, err)
		}
		if got := s.Encode(d); got != hash {
			t.Errorf("Encode(Parse(%q)) = %q", hash, got)
		}
		s2, err := Parse(s.Encode(d), d)
		if err != nil || !reflect.DeepEqual(s, s2) {
			t.Errorf("round trip of %q: %+v, %v", hash, s2, err)
		}
	}
}

func TestParseChannels(t *testing.T) {
	for _, tc := range []struct {
		spec string
		n    int
		want []int
		err  string
	}{
		{"all", 3, []int{0, 1, 2}, ""},
		{"0-3,8", 10, []int{0, 1, 2, 3, 8}, ""},
		{"5", 6, []int{5}, ""},
		{"0-8", 8, nil, "channel 8 is out of range: the layer has 8 channels (0-7)"},
		{"x", 8, nil, "\"x\" is not a channel"},
	} {
		got, err := ParseChannels(tc.spec, tc.n)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err && !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.spec, got, err, tc.want)
		}
	}
}

func TestCheckModel(t *testing.T) {
	dir := "../../../shared/models/mobilenet_v1_0.75_224"
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %s is missing", dir)
		}
		t.Skip(err)
	}
	m, err := models.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := models.Lower(m)
	if err != nil {
		t.Fatal(err)
	}
	desc := models.InferDescriptor(m)
	for _, tc := range []struct{ hash, want string }{
		{"objective=conv_pw_9_relu:5", ""},
		{"objective=conv_pw_99_relu:5", `objective=conv_pw_99_relu:5: no layer "conv_pw_99_relu" in mobilenet_0.75_224; its layers (channels): conv1_relu (24)`},
		{"objective=conv_pw_9_relu:900", "objective=conv_pw_9_relu:900: layer conv_pw_9_relu has 384 channels (0-383); 900 is out of range"},
		{"objective=logit:1000", "objective=logit:1000: the model has 1000 classes (0-999); 1000 is out of range"},
		{"objective=conv_pw_13_relu:1@7,0", "objective=conv_pw_13_relu:1@7,0: layer conv_pw_13_relu is 7×7; the neuron at (7, 0) is outside it"},
		{"view=gallery&layer=conv_pw_1_relu&channels=0-7", ""},
		{"view=gallery&layer=nope", `layer=nope: no layer "nope"`},
		{"view=gallery&layer=conv_pw_1_relu&channels=40-50", "channels=40-50: conv_pw_1_relu: channel 50 is out of range: the layer has 48 channels"},
	} {
		s, err := Parse(tc.hash, Defaults())
		if err != nil {
			t.Fatalf("%s: %v", tc.hash, err)
		}
		err = s.CheckModel(p, &desc)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.hash, err)
			}
		} else if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v\nwant prefix %q", tc.hash, err, tc.want)
		}
	}
}

func TestMethodsClass(t *testing.T) {
	for _, tc := range []struct {
		hash, kind string
		class      int
	}{
		{"view=methods&objective=logsoftmax:3", "logsoftmax", 3},
		{"view=methods&objective=logit:0", "logit", 0},
		{"view=methods&objective=softmax:9", "softmax", 9},
	} {
		s, err := Parse(tc.hash, Defaults())
		if err != nil {
			t.Fatal(err)
		}
		k, c, err := s.MethodsClass()
		if err != nil || k != tc.kind || c != tc.class {
			t.Errorf("%s: %q %d %v, want %q %d", tc.hash, k, c, err, tc.kind, tc.class)
		}
		if _, eps := am.DefaultCode("ppgn"); s.Eps1 != eps.Eps1 || s.Eps2 != eps.Eps2 || s.Eps3 != eps.Eps3 {
			t.Errorf("%s: step sizes %v %v %v, want am.DefaultCode's %v", tc.hash, s.Eps1, s.Eps2, s.Eps3, eps)
		}
	}
}

func TestEnlarge(t *testing.T) {
	// Two 2×2 images, pixel p of image i holding (i, p, 0.5).
	px := make([]float32, 2*2*2*3)
	for i := range 2 {
		for p := range 4 {
			copy(px[(i*4+p)*3:], []float32{float32(i), float32(p), 0.5})
		}
	}
	out := Enlarge(px, 2, 2, 5)
	if len(out) != 2*5*5*3 {
		t.Fatalf("%d values, want %d", len(out), 2*5*5*3)
	}
	for i := range 2 {
		for y := range 5 {
			for x := range 5 {
				want := []float32{float32(i), float32(y*2/5*2 + x*2/5), 0.5}
				got := out[((i*5+y)*5+x)*3:][:3]
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("image %d pixel (%d, %d) = %v, want %v", i, x, y, got, want)
				}
			}
		}
	}
}
