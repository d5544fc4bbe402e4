package am

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseObjective(t *testing.T) {
	dirs := func(path string) ([]float32, error) {
		if path == "d.f32" || path == "my-dir.f32" {
			return []float32{1, 2, 3}, nil
		}
		return nil, fmt.Errorf("%s: no such file", path)
	}
	cases := []struct {
		spec string
		want string // String() of the parsed objective
	}{
		{"conv_pw_7_relu:12", "conv_pw_7_relu:12"},
		{"conv_pw_7_relu:12@3,4", "conv_pw_7_relu:12@3,4"},
		{"deepdream:conv_pw_9_relu", "deepdream:conv_pw_9_relu"},
		{"logit:249", "logit:249"},
		{"softmax:249", "softmax:249"},
		{"logsoftmax:249", "logsoftmax:249"},
		{"dir:conv_pw_9_relu:d.f32", "dir:conv_pw_9_relu:d.f32"},
		{`dir:conv_pw_9_relu:"my-dir.f32"`, `dir:conv_pw_9_relu:"my-dir.f32"`},
		{"0.5*conv_pw_7_relu:12-conv_pw_7_relu:3", "0.5*conv_pw_7_relu:12-conv_pw_7_relu:3"},
		{" conv_pw_7_relu:1 + conv_pw_7_relu:2 ", "conv_pw_7_relu:1+conv_pw_7_relu:2"},
		{"-2*logit:1+1e-3*l2", "-2*logit:1+0.001*l2"},
		{"conv_pw_7_relu:12-0.1*l2-tv", "conv_pw_7_relu:12-0.1*l2-tv"},
		{"diversity:conv_pw_9_relu", "diversity:conv_pw_9_relu"},
		{"2block:3", "2block:3"}, // a layer name may start with a digit
	}
	for _, c := range cases {
		o, err := ParseObjective(c.spec, dirs)
		if err != nil {
			t.Errorf("%q: %v", c.spec, err)
			continue
		}
		if got := o.String(); got != c.want {
			t.Errorf("%q: parsed as %q, want %q", c.spec, got, c.want)
		}
		// What String writes, ParseObjective reads back the same.
		if o2, err := ParseObjective(o.String(), dirs); err != nil || o2.String() != o.String() {
			t.Errorf("%q: round trip gave %q, %v", c.spec, o2.String(), err)
		}
	}
}

func TestParseObjectiveErrors(t *testing.T) {
	cases := []struct {
		spec string
		col  int
		msg  string
	}{
		{"conv_pw_7_relu", 15, "expected ':'"},
		{"conv_pw_7_relu:x", 16, "channel index"},
		{"conv_pw_7_relu:3@4", 19, `expected ","`},
		{"logit:", 7, "class index"},
		{"0.5*", 5, "expected a layer name"},
		{"conv_pw_7_relu:3 +", 19, "expected a layer name"},
		{"conv_pw_7_relu:3)", 17, `unexpected ")"`},
		{"dir:conv_pw_9_relu:missing.f32", 20, "missing.f32: no such file"},
		{"logit:-4", 1, "negative"},
	}
	for _, c := range cases {
		_, err := ParseObjective(c.spec, func(p string) ([]float32, error) { return nil, fmt.Errorf("%s: no such file", p) })
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: want a SyntaxError, got %v", c.spec, err)
			continue
		}
		if se.Pos+1 != c.col || !strings.Contains(se.Error(), c.msg) {
			t.Errorf("%q: error at column %d %q; want column %d mentioning %q", c.spec, se.Pos+1, se.Error(), c.col, c.msg)
		}
	}
}

func ExampleParseObjective() {
	obj, err := ParseObjective("conv_pw_7_relu:12 - 0.1*l2", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	same := Channel("conv_pw_7_relu", 12).Minus(L2().Scale(0.1))
	fmt.Println(obj, obj.String() == same.String())
	_, err = ParseObjective("conv_pw_7_relu:x", nil)
	fmt.Println(err)
	// Output:
	// conv_pw_7_relu:12-0.1*l2 true
	// objective "conv_pw_7_relu:x": at column 16: expected a channel index after conv_pw_7_relu: (an integer)
	//   conv_pw_7_relu:x
	//                  ^
}
