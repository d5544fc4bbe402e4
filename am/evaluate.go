package am

import (
	"fmt"

	"github.com/hubelviz/hubel/gpu/ref"
	"github.com/hubelviz/hubel/models"
)

// Targets returns the layers that objectives objs read, each once, in the
// order first used: the targets of a models.Session whose activations
// Evaluate then reads.
func Targets(p *models.Plan, objs []Objective) ([]*models.Node, error) {
	var out []*models.Node
	seen := map[*models.Node]bool{}
	for i, o := range objs {
		for _, t := range o.Terms {
			n, err := termNode(p, t)
			if err != nil {
				return nil, fmt.Errorf("am: objective %d (%s): %w", i, o, err)
			}
			if n != nil && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// Evaluate returns objective o's value on one image, given the activations
// act(n) of each layer n it reads (see Targets), as a models.Session's
// Forward returns them. It is the renderer's objective without transforms,
// computed on the host in float64 with gpu/ref's reductions; an objective
// the renderer cannot compute is an error here too.
func Evaluate(p *models.Plan, o Objective, act func(*models.Node) []float32) (float64, error) {
	v := 0.0
	for _, t := range o.Terms {
		n, err := termNode(p, t)
		if err != nil {
			return 0, fmt.Errorf("am: objective %s: %w", o, err)
		}
		if n == nil {
			return 0, fmt.Errorf("am: objective %s: the image term %s is not supported by Evaluate", o, t.Kind)
		}
		// setIndex checks the term against the layer and resolves defaults
		// (a neuron's centre) exactly as the renderer does.
		c := n.Shape[len(n.Shape)-1]
		g := &group[[]float64, func()]{idx: make([]float32, max(3, c)), weights: make([]float64, 1)}
		if err := g.setIndex(0, t, n); err != nil {
			return 0, fmt.Errorf("am: objective %s: %w", o, err)
		}
		x := act(n)
		h, w := 1, 1
		if len(n.Shape) == 3 {
			h, w = n.Shape[0], n.Shape[1]
		}
		if len(x) != h*w*c {
			return 0, fmt.Errorf("am: objective %s: %s has %d activations, want %d×%d×%d", o, n.Name, len(x), h, w, c)
		}
		xs := make([]float64, len(x))
		for i, a := range x {
			xs[i] = float64(a)
		}
		ch := []int{int(g.idx[0])}
		var val float64
		switch t.Kind {
		case KindChannel, KindLogit:
			val = ref.ChannelMean(1, h, w, c, ch, xs)[0]
		case KindSoftmax:
			val = ref.ChannelMean(1, h, w, c, ch, ref.Softmax(c, xs))[0]
		case KindLogSoftmax:
			val = ref.ChannelMean(1, h, w, c, ch, ref.LogSoftmax(c, xs))[0]
		case KindNeuron:
			val = ref.Neuron(1, h, w, c, [][3]int{{int(g.idx[0]), int(g.idx[1]), int(g.idx[2])}}, xs)[0]
		case KindDeepDream:
			val = ref.MeanSquare(1, xs)[0]
		case KindDirection:
			for pos := range h * w {
				for k, d := range g.idx[:c] {
					val += xs[pos*c+k] * float64(d) / float64(h*w)
				}
			}
		default:
			return 0, fmt.Errorf("am: objective %s: %s is not supported by Evaluate", o, t.Kind)
		}
		v += t.Weight * val
	}
	return v, nil
}
