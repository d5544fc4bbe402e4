package models

import (
	"testing"
)

// BenchmarkMobileNet times one forward and one forward+backward (to the
// input, from channel 7 of conv_pw_13_relu) of MobileNet v1 0.75 at 224 px,
// batch 1, on each backend:
//
//	go test -bench MobileNet -run '^$' -benchtime 3x ./models/
func BenchmarkMobileNet(b *testing.B) {
	needShared(b, mobilenetDir)
	m, err := LoadDir(mobilenetDir)
	if err != nil {
		b.Fatal(err)
	}
	p, err := Lower(m)
	if err != nil {
		b.Fatal(err)
	}
	x, err := Image("../../shared/images/dog_224.png", 224, 224, -1, 1)
	if err != nil {
		b.Fatal(err)
	}
	target, err := p.Node("conv_pw_13_relu")
	if err != nil {
		b.Fatal(err)
	}
	seed := make([]float32, numel(target.Shape))
	for i := 7; i < len(seed); i += target.Shape[2] {
		seed[i] = 1.0 / 49
	}
	for _, backend := range []string{"gpu", "cpu"} {
		for _, grad := range []bool{false, true} {
			name := backend + "/forward"
			if grad {
				name += "+backward"
			}
			b.Run(name, func(b *testing.B) {
				s, err := NewSession(p, backend, benchDevice(b, backend), []*Node{target}, grad)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				b.Log(s.Backend())
				for b.Loop() {
					if _, err := s.Forward(x); err != nil {
						b.Fatal(err)
					}
					if grad {
						if _, err := s.InputGrad([][]float32{seed}); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}
