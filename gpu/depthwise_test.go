package gpu_test

import (
	"strings"
	"testing"

	"github.com/hubelviz/hubel/gpu"
)

func TestDepthwise(t *testing.T) {
	d := device(t)
	rng := newRand(11)
	worst := convWorst{}
	for i, g := range convGeoms(rng, 24) {
		mult := 1 + i%3/2 // 1, 1, 2, …: M = 1 with C%4 = 0 takes the vec4 paths
		if i%3 == 1 {
			g.C = 4 * (1 + rng.IntN(6))
		}
		pr := depthwiseProblem(d, g, mult)
		t.Run(pr.name, func(t *testing.T) { convCheck(t, d, rng, gpu.DepthwiseVariants, pr, worst) })
	}
	t.Logf("depthwise worst relative error per kernel:%v", worst)
}

func TestDepthwiseShapeErrors(t *testing.T) {
	d := device(t)
	s := gpu.DepthwiseShape{N: 1, H: 8, W: 8, C: 16, KH: 3, KW: 3, Mult: 2, Same: true, Variant: gpu.DepthwiseSimple}
	x, y, w := zeros(t, d, s.XLen()), zeros(t, d, s.YLen()), zeros(t, d, 9*16)
	_, err := d.Depthwise(s, y, x, w, nil)
	if want := "gpu: depthwise: filter has 144 values, want 3*3*16*2 = 288"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	s.Mult = -1
	if _, err := s.Out(); err == nil || !strings.Contains(err.Error(), "multiplier -1") {
		t.Errorf("negative multiplier: got %v", err)
	}
	s.Mult = 1
	if got := s.YLen(); got != 8*8*16 {
		t.Errorf("YLen %d, want %d", got, 8*8*16)
	}
}
