package am

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the kind of one objective term.
type Kind int

// Objective term kinds.
const (
	KindChannel    Kind = iota // mean over positions of one channel of a layer
	KindNeuron                 // one channel at one position
	KindDeepDream              // mean of squares of a whole layer
	KindLogit                  // a class's pre-softmax logit
	KindSoftmax                // a class's probability
	KindLogSoftmax             // a class's log-probability
	KindDirection              // dot product with a direction in channel space, averaged over positions
	KindDiversity              // Lucid's diversity: minus the mean pairwise cosine of Gram matrices across the batch
	KindL1                     // Σ|x| of the image (a penalty: use with a negative weight)
	KindL2                     // Σx² of the image
	KindTV                     // total variation of the image
)

var kindNames = [...]string{"channel", "neuron", "deepdream", "logit", "softmax", "logsoftmax", "dir", "diversity", "l1", "l2", "tv"}

func (k Kind) String() string { return kindNames[k] }

// Term is one weighted part of an objective.
type Term struct {
	Weight  float64
	Kind    Kind
	Layer   string    // channel, neuron, deepdream, dir, diversity
	Channel int       // channel, neuron
	X, Y    int       // neuron; −1 means the centre
	Class   int       // logit, softmax, logsoftmax
	Dir     []float32 // dir: one weight per channel
	DirFile string    // dir: where Dir came from, for messages
}

// Objective is a weighted sum of terms, to be maximised.
type Objective struct {
	Terms []Term
}

func one(t Term) Objective { t.Weight = 1; return Objective{Terms: []Term{t}} }

// Channel is the mean over positions of channel ch of layer.
func Channel(layer string, ch int) Objective {
	return one(Term{Kind: KindChannel, Layer: layer, Channel: ch})
}

// Neuron is channel ch of layer at position (x, y); x = y = −1 is the
// centre, Lucid's default.
func Neuron(layer string, ch, x, y int) Objective {
	return one(Term{Kind: KindNeuron, Layer: layer, Channel: ch, X: x, Y: y})
}

// DeepDream is the mean of squared activations of layer.
func DeepDream(layer string) Objective { return one(Term{Kind: KindDeepDream, Layer: layer}) }

// Logit is the pre-softmax score of class c.
func Logit(c int) Objective { return one(Term{Kind: KindLogit, Class: c}) }

// Softmax is the probability of class c.
func Softmax(c int) Objective { return one(Term{Kind: KindSoftmax, Class: c}) }

// LogSoftmax is the log-probability of class c: the survey's Table variant
// c, the probabilistically correct class objective.
func LogSoftmax(c int) Objective { return one(Term{Kind: KindLogSoftmax, Class: c}) }

// Direction is the dot product of layer's activations with dir (one weight
// per channel), averaged over positions.
func Direction(layer string, dir []float32) Objective {
	return one(Term{Kind: KindDirection, Layer: layer, Dir: dir})
}

// Diversity rewards the images of a batch for differing in layer's style
// (Gram matrices), as Lucid's objectives.diversity.
func Diversity(layer string) Objective { return one(Term{Kind: KindDiversity, Layer: layer}) }

// L1 is Σ|x| over the image; subtract it to penalise.
func L1() Objective { return one(Term{Kind: KindL1}) }

// L2 is Σx² over the image; subtract it to penalise (L2 decay).
func L2() Objective { return one(Term{Kind: KindL2}) }

// TV is the total variation of the image; subtract it to penalise.
func TV() Objective { return one(Term{Kind: KindTV}) }

// Plus returns o + p.
func (o Objective) Plus(p Objective) Objective {
	return Objective{Terms: append(append([]Term(nil), o.Terms...), p.Terms...)}
}

// Minus returns o − p.
func (o Objective) Minus(p Objective) Objective { return o.Plus(p.Scale(-1)) }

// Scale returns s·o.
func (o Objective) Scale(s float64) Objective {
	out := Objective{Terms: append([]Term(nil), o.Terms...)}
	for i := range out.Terms {
		out.Terms[i].Weight *= s
	}
	return out
}

// String writes the objective in the grammar ParseObjective reads.
func (o Objective) String() string {
	var b strings.Builder
	for i, t := range o.Terms {
		w := t.Weight
		switch {
		case i == 0 && w < 0:
			b.WriteByte('-')
			w = -w
		case i > 0 && w < 0:
			b.WriteByte('-')
			w = -w
		case i > 0:
			b.WriteByte('+')
		}
		if w != 1 {
			b.WriteString(strconv.FormatFloat(w, 'g', -1, 64))
			b.WriteByte('*')
		}
		switch t.Kind {
		case KindChannel:
			fmt.Fprintf(&b, "%s:%d", t.Layer, t.Channel)
		case KindNeuron:
			fmt.Fprintf(&b, "%s:%d@%d,%d", t.Layer, t.Channel, t.X, t.Y)
		case KindDeepDream, KindDiversity:
			fmt.Fprintf(&b, "%s:%s", t.Kind, t.Layer)
		case KindLogit, KindSoftmax, KindLogSoftmax:
			fmt.Fprintf(&b, "%s:%d", t.Kind, t.Class)
		case KindDirection:
			f := t.DirFile
			if strings.ContainsAny(f, "+-* \t") {
				f = `"` + f + `"`
			}
			fmt.Fprintf(&b, "dir:%s:%s", t.Layer, f)
		default:
			b.WriteString(t.Kind.String())
		}
	}
	return b.String()
}

// SyntaxError is a malformed objective spec, with the column where parsing
// stopped.
type SyntaxError struct {
	Spec string
	Pos  int // byte offset
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("objective %q: at column %d: %s\n  %s\n  %s^", e.Spec, e.Pos+1, e.Msg, e.Spec, strings.Repeat(" ", e.Pos))
}

// ParseObjective reads Lucid-like objective specs:
//
//	conv_pw_7_relu:12            channel 12 of a layer (mean over positions)
//	conv_pw_7_relu:12@3,4        the neuron at x=3, y=4 of that channel
//	deepdream:conv_pw_9_relu     mean of squares of a layer
//	logit:249  softmax:249  logsoftmax:249
//	dir:conv_pw_9_relu:FILE.f32  a direction in channel space (float32 LE, one per channel)
//	diversity:conv_pw_9_relu     diversity across the batch
//	l1  l2  tv                   image penalties
//	0.5*conv_pw_7_relu:12-conv_pw_7_relu:3-0.01*l2   weighted sums and differences
//
// A file name containing '+', '-', '*' or spaces is written in double
// quotes. loadDir reads a direction file (nil: directions are an error).
func ParseObjective(spec string, loadDir func(path string) ([]float32, error)) (Objective, error) {
	p := &parser{s: spec, loadDir: loadDir}
	o, err := p.expr()
	if err != nil {
		return Objective{}, err
	}
	p.space()
	if p.i < len(p.s) {
		return Objective{}, p.fail("unexpected %q", p.s[p.i:p.i+1])
	}
	return o, nil
}

type parser struct {
	s       string
	i       int
	loadDir func(string) ([]float32, error)
}

func (p *parser) fail(format string, args ...any) error {
	return &SyntaxError{Spec: p.s, Pos: p.i, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *parser) peek() byte {
	p.space()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) expr() (Objective, error) {
	var o Objective
	sign := 1.0
	if c := p.peek(); c == '-' || c == '+' {
		if c == '-' {
			sign = -1
		}
		p.i++
	}
	for {
		t, err := p.term()
		if err != nil {
			return Objective{}, err
		}
		o = o.Plus(t.Scale(sign))
		switch p.peek() {
		case '+':
			sign = 1
		case '-':
			sign = -1
		default:
			return o, nil
		}
		p.i++
	}
}

func (p *parser) term() (Objective, error) {
	p.space()
	start := p.i
	w := 1.0
	if num := p.number(); num != "" {
		if p.peek() == '*' {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				p.i = start
				return Objective{}, p.fail("bad number %q", num)
			}
			w = v
			p.i++
		} else {
			p.i = start // a layer name may start with digits
		}
	}
	a, err := p.atom()
	if err != nil {
		return Objective{}, err
	}
	return a.Scale(w), nil
}

// number consumes a float literal, returning it ("" if none).
func (p *parser) number() string {
	p.space()
	j := p.i
	for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.' || p.s[j] == 'e' || p.s[j] == 'E' ||
		((p.s[j] == '-' || p.s[j] == '+') && j > p.i && (p.s[j-1] == 'e' || p.s[j-1] == 'E'))) {
		j++
	}
	if j == p.i {
		return ""
	}
	n := p.s[p.i:j]
	p.i = j
	return n
}

func isNameByte(c byte) bool {
	return c == '_' || c == '.' || c == '/' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *parser) name(what string) (string, error) {
	p.space()
	j := p.i
	for j < len(p.s) && isNameByte(p.s[j]) {
		j++
	}
	if j == p.i {
		return "", p.fail("expected %s", what)
	}
	n := p.s[p.i:j]
	p.i = j
	return n, nil
}

func (p *parser) int(what string) (int, error) {
	p.space()
	j := p.i
	if j < len(p.s) && p.s[j] == '-' {
		j++
	}
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	v, err := strconv.Atoi(p.s[p.i:j])
	if err != nil {
		return 0, p.fail("expected %s (an integer)", what)
	}
	p.i = j
	return v, nil
}

func (p *parser) expect(c byte, what string) error {
	if p.peek() != c {
		return p.fail("expected %q %s", string(c), what)
	}
	p.i++
	return nil
}

func (p *parser) atom() (Objective, error) {
	start := p.i
	word, err := p.name("a layer name or one of deepdream:, logit:, softmax:, logsoftmax:, dir:, diversity:, l1, l2, tv")
	if err != nil {
		return Objective{}, err
	}
	if p.peek() != ':' {
		switch word {
		case "l1":
			return L1(), nil
		case "l2":
			return L2(), nil
		case "tv":
			return TV(), nil
		}
		return Objective{}, p.fail("expected ':' after %q (LAYER:CHANNEL)", word)
	}
	p.i++
	switch word {
	case "deepdream", "diversity":
		layer, err := p.name("a layer name")
		if err != nil {
			return Objective{}, err
		}
		if word == "deepdream" {
			return DeepDream(layer), nil
		}
		return Diversity(layer), nil
	case "logit", "softmax", "logsoftmax":
		c, err := p.int("a class index")
		if err != nil {
			return Objective{}, err
		}
		if c < 0 {
			p.i = start
			return Objective{}, p.fail("class index %d is negative", c)
		}
		return map[string]func(int) Objective{"logit": Logit, "softmax": Softmax, "logsoftmax": LogSoftmax}[word](c), nil
	case "dir":
		layer, err := p.name("a layer name")
		if err != nil {
			return Objective{}, err
		}
		if err := p.expect(':', "before the direction file"); err != nil {
			return Objective{}, err
		}
		at := p.i
		file, err := p.file()
		if err != nil {
			return Objective{}, err
		}
		if p.loadDir == nil {
			p.i = at
			return Objective{}, p.fail("direction files are not available here")
		}
		d, err := p.loadDir(file)
		if err != nil {
			p.i = at
			return Objective{}, p.fail("%v", err)
		}
		o := Direction(layer, d)
		o.Terms[0].DirFile = file
		return o, nil
	}
	ch, err := p.int("a channel index after " + word + ":")
	if err != nil {
		return Objective{}, err
	}
	if ch < 0 {
		return Objective{}, p.fail("channel %d is negative", ch)
	}
	if p.peek() != '@' {
		return Channel(word, ch), nil
	}
	p.i++
	x, err := p.int("x after '@'")
	if err != nil {
		return Objective{}, err
	}
	if err := p.expect(',', "between x and y"); err != nil {
		return Objective{}, err
	}
	y, err := p.int("y")
	if err != nil {
		return Objective{}, err
	}
	return Neuron(word, ch, x, y), nil
}

func (p *parser) file() (string, error) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '"' {
		end := strings.IndexByte(p.s[p.i+1:], '"')
		if end < 0 {
			return "", p.fail("unterminated quoted file name")
		}
		f := p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
		return f, nil
	}
	j := p.i
	for j < len(p.s) && !strings.ContainsRune("+-* \t", rune(p.s[j])) {
		j++
	}
	if j == p.i {
		return "", p.fail("expected a file name")
	}
	f := p.s[p.i:j]
	p.i = j
	return f, nil
}
