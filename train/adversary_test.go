package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hubelviz/hubel/gpu/gputest"
	"github.com/hubelviz/hubel/models"
)

// TestAdversaryGradients runs the discriminator's ops once on the GPU and
// checks, against the CPU backend (float64): the gradient added to G's
// seed, which must also match central differences of the loss
// weight·mean_i −log D_real(img_i); and D's parameter gradients of its own
// cross-entropy on real (first B) and drawn (last B) images.
func TestAdversaryGradients(t *testing.T) {
	d := gputest.Device(t)
	const B, H, W, weight = 3, 8, 8, 0.7
	P := H * W
	rng := rand.New(rand.NewPCG(1, 2))
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = rng.Float32()
		}
		return v
	}
	real, drawn, seed0 := rnd(B*P), rnd(B*P), rnd(B*P)
	net := DiscriminatorNet(H, W)

	be := models.NewGPU(d)
	defer be.Release()
	var own releaser
	defer own.release()
	img, err := d.Upload("img", drawn)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Release()
	gseed, err := d.Upload("gseed", seed0)
	if err != nil {
		t.Fatal(err)
	}
	defer gseed.Release()
	adv, err := newAdversary(be, &own, net, 5, B, 1e-3, weight, img, gseed)
	if err != nil {
		t.Fatal(err)
	}
	if err := adv.Input().WriteAt(0, real); err != nil {
		t.Fatal(err)
	}
	if err := d.Run(adv.Op); err != nil {
		t.Fatal(err)
	}
	gotSeed, err := d.Read(t.Context(), gseed)
	if err != nil {
		t.Fatal(err)
	}

	// The CPU reference: the same network from the same seed, batch 2B.
	m, err := net.Init(5)
	if err != nil {
		t.Fatal(err)
	}
	p, err := models.Lower(m)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := p.Logits()
	if err != nil {
		t.Fatal(err)
	}
	cg, err := models.BuildGrads[[]float64, func()](models.CPU{}, p, 2*B, []*models.Node{logits}, models.Grads{Params: true, Input: true})
	if err != nil {
		t.Fatal(err)
	}
	run := func(fs []func()) {
		for _, f := range fs {
			f()
		}
	}
	forward := func(real, drawn []float32) []float64 {
		for i, v := range append(append([]float32{}, real...), drawn...) {
			cg.Input[i] = float64(v)
		}
		run(cg.Forward)
		return cg.Out[logits]
	}
	// pReal is softmax(logits)[0] per row.
	pReal := func(l []float64, row int) float64 { return 1 / (1 + math.Exp(l[2*row+1]-l[2*row])) }
	// backward seeds the logits with (softmax − onehot(label(row)))/(2B).
	backward := func(l []float64, label func(row int) int) {
		s := cg.Seed[logits]
		for r := range 2 * B {
			p0 := pReal(l, r)
			s[2*r], s[2*r+1] = p0/(2*B), (1-p0)/(2*B)
			s[2*r+label(r)] -= 1.0 / (2 * B)
		}
		run(cg.Backward)
	}
	l := forward(real, drawn)
	backward(l, func(int) int { return 0 })
	dx := cg.Grad[p.Nodes[0]]
	for i := range B * P {
		want := float64(seed0[i]) + 2*weight*dx[B*P+i]
		if math.Abs(float64(gotSeed[i])-want) > 1e-5+1e-3*math.Abs(want) {
			t.Fatalf("G's seed [%d]: gpu %g, cpu %g", i, gotSeed[i], want)
		}
	}
	// Central differences of the loss, at a few pixels of the drawn images.
	loss := func(drawn []float32) float64 {
		l := forward(real, drawn)
		s := 0.0
		for i := range B {
			s -= math.Log(pReal(l, B+i))
		}
		return weight * s / B
	}
	const eps = 1e-3
	for _, i := range []int{0, 17, P + 30, 2*P + 63} {
		up, down := append([]float32{}, drawn...), append([]float32{}, drawn...)
		up[i] += eps
		down[i] -= eps
		fd := (loss(up) - loss(down)) / (2 * eps)
		got := float64(gotSeed[i] - seed0[i])
		if math.Abs(got-fd) > 1e-4+0.02*math.Abs(fd) {
			t.Errorf("adversarial gradient at pixel %d: gpu %g, central difference %g", i, got, fd)
		}
	}
	// D's own loss: real images labelled 0, drawn ones 1.
	l = forward(real, drawn)
	backward(l, func(r int) int { return r / B })
	for k, gp := range adv.g.Params {
		got, err := d.Read(t.Context(), gp.Grad)
		if err != nil {
			t.Fatal(err)
		}
		want := cg.Params[k].Grad
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 1e-5+1e-3*math.Abs(want[i]) {
				t.Fatalf("D's gradient %s/%s [%d]: gpu %g, cpu %g", gp.Node.Name, gp.Name, i, got[i], want[i])
			}
		}
	}
	probs, err := d.Read(t.Context(), adv.judge.Probs)
	if err != nil {
		t.Fatal(err)
	}
	r, f := realFake(probs)
	var wr, wf float64
	for i := range B {
		wr += pReal(l, i) / B
		wf += pReal(l, B+i) / B
	}
	if math.Abs(r-wr) > 1e-4 || math.Abs(f-wf) > 1e-4 {
		t.Errorf("realFake %g, %g; cpu %g, %g", r, f, wr, wf)
	}
}
