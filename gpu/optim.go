package gpu

import (
	"fmt"
	"math"
)

// Launchers for shaders/optim.wgsl: Adam and SGD with momentum, updating a
// parameter buffer in place from its gradient. The gradient is that of a
// loss being minimised (activation maximisation minimises the negated
// objective, as Lucid does).

const optimWG = 256

// AdamConfig holds Adam's hyperparameters.
type AdamConfig struct {
	LR, Beta1, Beta2, Eps float64
}

// AdamDefaults returns tf.train.AdamOptimizer's defaults with learning rate
// lr: beta1 0.9, beta2 0.999, epsilon 1e-8. Lucid uses lr 0.05.
func AdamDefaults(lr float64) AdamConfig {
	return AdamConfig{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Adam is a prepared Adam update. Before recording step t (1, 2, …) call
// SetStep(t), which rewrites the bias-corrected learning rate in the
// dispatch's uniforms without allocating GPU objects.
type Adam struct {
	*Dispatch
	cfg   AdamConfig
	t     int
	words Params
	reset clearOp
}

// clearOp zeroes its buffers when recorded.
type clearOp []*Buffer

// Record implements Op.
func (c clearOp) Record(r *Recorder) {
	for _, b := range c {
		r.Clear(b)
	}
}

// Adam prepares TensorFlow's Adam update (tf.train.AdamOptimizer, which
// Lucid uses) of x from its gradient g, with first and second moment
// buffers m and v, which must be zero before the first step: record Reset
// first (a new buffer is not zeroed on every backend).
//
//	lr_t = lr·sqrt(1 − beta2^t)/(1 − beta1^t)
//	m = beta1·m + (1 − beta1)·g
//	v = beta2·v + (1 − beta2)·g²
//	x −= lr_t·m/(sqrt(v) + eps)
//
// It is prepared for step t = 1.
func (d *Device) Adam(c AdamConfig, x, g, m, v *Buffer) (*Adam, error) {
	op := "adam"
	if !finite(c.LR, c.Beta1, c.Beta2, c.Eps) || c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1 || c.Eps < 0 {
		return nil, fmt.Errorf("gpu: %s: bad hyperparameters %+v (betas in [0, 1), eps ≥ 0)", op, c)
	}
	if x == nil {
		return nil, fmt.Errorf("gpu: %s: parameter buffer is nil", op)
	}
	if err := checkBufs(op, x.Len, []string{"parameter", "gradient", "first moment", "second moment"}, x, g, m, v); err != nil {
		return nil, err
	}
	a := &Adam{cfg: c, t: 1, words: Params{U(x.Len), 0, F(c.Beta1), F(c.Beta2), F(c.Eps), 0}, reset: clearOp{m, v}}
	a.words[1] = a.lrT()
	k, err := d.Kernel(KernelSpec{File: "optim.wgsl", Entry: "adam", Bufs: Bindings(Read, ReadWrite, ReadWrite, ReadWrite),
		Consts: map[string]string{"WG": fmt.Sprintf("%du", optimWG)}})
	if err != nil {
		return nil, err
	}
	a.Dispatch, err = d.Dispatch(k, a.words, Groups1D(x.Len, optimWG), g, x, m, v)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// lrT is the bias-corrected learning rate of step a.t, computed in float64.
func (a *Adam) lrT() uint32 {
	t := float64(a.t)
	return F(a.cfg.LR * math.Sqrt(1-math.Pow(a.cfg.Beta2, t)) / (1 - math.Pow(a.cfg.Beta1, t)))
}

// SetStep makes the next recordings perform step t (t ≥ 1). The uniforms
// are written when the next command buffer is submitted: one step per
// submission.
func (a *Adam) SetStep(t int) error {
	if t < 1 {
		return fmt.Errorf("gpu: adam: step %d, want ≥ 1", t)
	}
	a.t = t
	a.words[1] = a.lrT()
	return a.SetParams(a.words)
}

// SetLR changes the learning rate from the current step on.
func (a *Adam) SetLR(lr float64) error {
	if !finite(lr) {
		return fmt.Errorf("gpu: adam: learning rate %v", lr)
	}
	a.cfg.LR = lr
	return a.SetStep(a.t)
}

// Reset returns the Op that zeroes the moments, to record before step 1 (of
// the first run, or of a restart on the same buffers; then SetStep(1)).
func (a *Adam) Reset() Op { return a.reset }

// Config returns the hyperparameters in use.
func (a *Adam) Config() AdamConfig { return a.cfg }

// SGD is a prepared update of stochastic gradient descent with momentum.
type SGD struct {
	*Dispatch
	words Params
	reset clearOp
}

// SGD prepares TensorFlow's momentum update (tf.train.MomentumOptimizer)
// of x from its gradient g with velocity buffer v (record Reset first to
// zero it):
//
//	v = momentum·v + g
//	x −= lr·v
//
// Momentum 0 is plain gradient descent.
func (d *Device) SGD(lr, momentum float64, x, g, v *Buffer) (*SGD, error) {
	op := "sgd"
	if !finite(lr, momentum) {
		return nil, fmt.Errorf("gpu: %s: learning rate %v, momentum %v", op, lr, momentum)
	}
	if x == nil {
		return nil, fmt.Errorf("gpu: %s: parameter buffer is nil", op)
	}
	if err := checkBufs(op, x.Len, []string{"parameter", "gradient", "velocity"}, x, g, v); err != nil {
		return nil, err
	}
	s := &SGD{words: Params{U(x.Len), F(lr), 0, 0, 0, F(momentum)}, reset: clearOp{v}}
	k, err := d.Kernel(KernelSpec{File: "optim.wgsl", Entry: "momentum", Bufs: []Binding{{1, Read}, {2, ReadWrite}, {4, ReadWrite}},
		Consts: map[string]string{"WG": fmt.Sprintf("%du", optimWG)}})
	if err != nil {
		return nil, err
	}
	s.Dispatch, err = d.Dispatch(k, s.words, Groups1D(x.Len, optimWG), g, x, v)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Reset returns the Op that zeroes the velocity, to record before the first
// step.
func (s *SGD) Reset() Op { return s.reset }

// SetLR changes the learning rate of the next recordings (for schedules
// and Langevin step sizes), without allocating GPU objects.
func (s *SGD) SetLR(lr float64) error {
	if !finite(lr) {
		return fmt.Errorf("gpu: sgd: learning rate %v", lr)
	}
	s.words[1] = F(lr)
	return s.SetParams(s.words)
}
