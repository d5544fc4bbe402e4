// Package app is the browser program's state, independent of the browser:
// the page's whole state as URL-hash keys, their parsing with errors that
// name the key, and their encoding back into a shareable link. It has no
// build constraints, so its tests run natively.
package app

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/hubelviz/hubel/am"
)

// Limits on the values a link may ask for.
const (
	MaxSteps = 100000
	MinSize  = 16
	MaxSize  = 1024
	MaxBatch = 64
	MaxLR    = 10
	MaxEps   = 1000
)

// State is everything that determines what the page shows: opening a link
// with the same State reproduces the same image (same seed).
type State struct {
	Model string // zoo name, or the name of a model loaded from URL or dropped files
	URL   string // folder holding model.json; overrides Model's zoo location
	// Objectives holds one spec per image of the batch (am.ParseObjective
	// grammar). With one spec and Batch > 1 every image gets it, each from
	// its own random start.
	Objectives []string
	Steps      int
	Size       int
	Batch      int
	Seed       uint64
	LR         float64
	Param      string // fft or pixel
	Transforms string // lucid, none or jitter:N
	// View is "image" (the render), "gallery" (a whole layer as a grid) or
	// "methods" (one class by pixel AM, DGN-AM and PPGN side by side, for
	// a model that ships a generator; the objective is logit:K, softmax:K
	// or logsoftmax:K).
	View     string
	Layer    string // gallery: the layer
	Channels string // gallery: "all", "0-7", "0,3,9"
	// Eps1, Eps2, Eps3 are PPGN's step sizes (methods view): prior,
	// class, noise (am.Langevin).
	Eps1, Eps2, Eps3 float64
	Embed            bool // the image alone, no controls
}

// Defaults is the state of a page opened without a hash (Lucid's render_vis
// settings; the model and objective are filled in from the zoo).
func Defaults() State {
	d := am.Defaults()
	_, eps := am.DefaultCode("ppgn")
	return State{Steps: d.Steps, Size: d.Size, Batch: 1, LR: d.LR, Param: d.Param, Transforms: d.Transforms,
		View: "image", Channels: "all", Eps1: eps.Eps1, Eps2: eps.Eps2, Eps3: eps.Eps3}
}

// KeyError is a bad value in the hash, naming the key.
type KeyError struct {
	Key, Value, Msg string
}

func (e *KeyError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Key, e.Msg)
	}
	return fmt.Sprintf("%s=%s: %s", e.Key, e.Value, e.Msg)
}

// Keys are the hash keys, in the order Encode writes them.
var Keys = []string{"model", "url", "objective", "steps", "size", "batch", "seed", "lr", "param", "transforms", "view", "layer", "channels", "eps1", "eps2", "eps3", "embed"}

// Parse reads a URL hash ("#model=…&objective=…", the '#' optional) over
// the defaults d. Values are percent-decoded; '+' stays '+' (objective
// specs use it). The first bad key is the error; an unknown key is one.
func Parse(hash string, d State) (State, error) {
	s := d
	hash = strings.TrimPrefix(hash, "#")
	seen := map[string]bool{}
	for _, kv := range strings.Split(hash, "&") {
		if kv == "" {
			continue
		}
		k, v, hasValue := strings.Cut(kv, "=")
		key, err := unescape(k)
		if err != nil {
			return d, &KeyError{Key: k, Msg: "bad percent-encoding in the key"}
		}
		val, err := unescape(v)
		if err != nil {
			return d, &KeyError{Key: key, Value: v, Msg: "bad percent-encoding"}
		}
		if seen[key] {
			return d, &KeyError{Key: key, Msg: "given twice"}
		}
		seen[key] = true
		if err := s.set(key, val, hasValue); err != nil {
			return d, err
		}
	}
	if seen["objective"] && !seen["batch"] && len(s.Objectives) > 1 {
		s.Batch = len(s.Objectives)
	}
	if err := s.Check(); err != nil {
		return d, err
	}
	return s, nil
}

// Set applies one key's value, as Parse does, and re-checks the state.
func (s *State) Set(key, val string) error {
	t := *s
	if err := t.set(key, val, true); err != nil {
		return err
	}
	if key == "objective" && len(t.Objectives) > 1 {
		t.Batch = len(t.Objectives)
	}
	if err := t.Check(); err != nil {
		return err
	}
	*s = t
	return nil
}

func (s *State) set(key, val string, hasValue bool) error {
	bad := func(msg string, args ...any) error {
		return &KeyError{Key: key, Value: val, Msg: fmt.Sprintf(msg, args...)}
	}
	if key != "embed" && !hasValue {
		return &KeyError{Key: key, Msg: "needs a value (" + key + "=…)"}
	}
	integer := func(lo, hi int) (int, error) {
		n, err := strconv.Atoi(val)
		if err != nil || n < lo || n > hi {
			return 0, bad("want a whole number from %d to %d", lo, hi)
		}
		return n, nil
	}
	var err error
	switch key {
	case "model":
		if val == "" {
			return bad("empty model name")
		}
		s.Model = val
	case "url":
		if val != "" && !strings.HasPrefix(val, "http://") && !strings.HasPrefix(val, "https://") && !strings.HasPrefix(val, "/") && !strings.HasPrefix(val, "./") && !strings.HasPrefix(val, "models/") {
			return bad("want an http(s) URL of the folder holding model.json")
		}
		s.URL = val
	case "objective":
		var objs []string
		for _, spec := range strings.Split(val, ";") {
			if spec = strings.TrimSpace(spec); spec == "" {
				return bad("empty objective (specs are separated by ';')")
			}
			if _, err := am.ParseObjective(spec, nil); err != nil {
				return bad("%s", oneLine(err))
			}
			objs = append(objs, spec)
		}
		s.Objectives = objs
	case "steps":
		s.Steps, err = integer(1, MaxSteps)
	case "size":
		s.Size, err = integer(MinSize, MaxSize)
	case "batch":
		s.Batch, err = integer(1, MaxBatch)
	case "seed":
		s.Seed, err = strconv.ParseUint(val, 10, 64)
		if err != nil {
			return bad("want a whole number from 0 to %d", uint64(math.MaxUint64))
		}
	case "lr":
		s.LR, err = strconv.ParseFloat(val, 64)
		if err != nil || !(s.LR > 0 && s.LR <= MaxLR) {
			return bad("want a learning rate above 0 and at most %g", float64(MaxLR))
		}
	case "param":
		if val != "fft" && val != "pixel" {
			return bad("want fft (Lucid's Fourier spectrum) or pixel")
		}
		s.Param = val
	case "transforms":
		if n, err := strconv.Atoi(strings.TrimPrefix(val, "jitter:")); val != "lucid" && val != "none" &&
			(!strings.HasPrefix(val, "jitter:") || err != nil || n < 1 || n > MaxSize) {
			return bad("want lucid (pad, jitter, scale, rotate, jitter), none, or jitter:N (a random crop N pixels smaller)")
		}
		s.Transforms = val
	case "view":
		if val != "image" && val != "gallery" && val != "methods" {
			return bad("want image, gallery or methods")
		}
		s.View = val
	case "eps1", "eps2", "eps3":
		e, err := strconv.ParseFloat(val, 64)
		if err != nil || !(e >= 0 && e <= MaxEps) {
			return bad("want a step size from 0 to %g", float64(MaxEps))
		}
		*map[string]*float64{"eps1": &s.Eps1, "eps2": &s.Eps2, "eps3": &s.Eps3}[key] = e
	case "layer":
		if val == "" || strings.IndexFunc(val, func(r rune) bool { return !isNameRune(r) }) >= 0 {
			return bad("want a layer name (letters, digits, '_', '.', '/')")
		}
		s.Layer = val
	case "channels":
		if _, err := ParseChannels(val, 1<<20); err != nil {
			return bad("%v", err)
		}
		s.Channels = val
	case "embed":
		switch val {
		case "", "1", "true":
			s.Embed = true
		case "0", "false":
			s.Embed = false
		default:
			return bad("want embed, embed=1 or embed=0")
		}
	default:
		return &KeyError{Key: key, Msg: "unknown key (known: " + strings.Join(Keys, ", ") + ")"}
	}
	return err
}

func isNameRune(r rune) bool {
	return r == '_' || r == '.' || r == '/' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// oneLine keeps the first line of an error (the parser's caret lines are
// for terminals).
func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// Check verifies the combination of keys.
func (s State) Check() error {
	if len(s.Objectives) > 1 && s.Batch != len(s.Objectives) {
		return &KeyError{Key: "batch", Value: strconv.Itoa(s.Batch),
			Msg: fmt.Sprintf("the objective lists %d images; batch must be %d or left out", len(s.Objectives), len(s.Objectives))}
	}
	if s.View == "gallery" && s.Layer == "" && len(s.Objectives) == 0 {
		return &KeyError{Key: "layer", Msg: "the gallery needs a layer (layer=NAME)"}
	}
	if s.View == "methods" && len(s.Objectives) > 0 {
		if _, _, err := s.MethodsClass(); err != nil {
			return err
		}
	}
	return nil
}

// MethodsClass is the class term the methods view renders: its kind
// (logit, softmax or logsoftmax) and class.
func (s State) MethodsClass() (kind string, class int, err error) {
	bad := &KeyError{Key: "objective", Value: strings.Join(s.Objectives, ";"),
		Msg: "the methods view compares pixel AM, DGN-AM and PPGN on one class: want logit:K, softmax:K or logsoftmax:K"}
	if len(s.Objectives) != 1 {
		return "", 0, bad
	}
	o, err := am.ParseObjective(s.Objectives[0], nil)
	if err != nil || len(o.Terms) != 1 || o.Terms[0].Weight != 1 {
		return "", 0, bad
	}
	switch t := o.Terms[0]; t.Kind {
	case am.KindLogit, am.KindSoftmax, am.KindLogSoftmax:
		return t.Kind.String(), t.Class, nil
	}
	return "", 0, bad
}

// ParseChannels reads a channel list for a layer of n channels: "all",
// "0-7", "3", "0,4,9" or mixes like "0-3,8".
func ParseChannels(spec string, n int) ([]int, error) {
	if spec == "" || spec == "all" {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	var out []int
	for _, part := range strings.Split(spec, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%q is not a channel (want all, N, A-B or a list like 0,3,9)", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a range A-B with A ≤ B", part)
			}
		}
		if b >= n {
			return nil, fmt.Errorf("channel %d is out of range: the layer has %d channels (0-%d)", b, n, n-1)
		}
		if len(out)+b-a+1 > 4096 {
			return nil, fmt.Errorf("more than 4096 channels")
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	return out, nil
}

// Values returns the state's keys and values that differ from d, in Keys
// order (what a link needs to hold).
func (s State) Values(d State) [][2]string {
	var out [][2]string
	add := func(k, v, dv string) {
		if v != dv {
			out = append(out, [2]string{k, v})
		}
	}
	add("model", s.Model, "")
	add("url", s.URL, "")
	add("objective", strings.Join(s.Objectives, ";"), "")
	add("steps", strconv.Itoa(s.Steps), strconv.Itoa(d.Steps))
	add("size", strconv.Itoa(s.Size), strconv.Itoa(d.Size))
	if len(s.Objectives) <= 1 {
		add("batch", strconv.Itoa(s.Batch), strconv.Itoa(d.Batch))
	}
	add("seed", strconv.FormatUint(s.Seed, 10), strconv.FormatUint(d.Seed, 10))
	add("lr", strconv.FormatFloat(s.LR, 'g', -1, 64), strconv.FormatFloat(d.LR, 'g', -1, 64))
	add("param", s.Param, d.Param)
	add("transforms", s.Transforms, d.Transforms)
	add("view", s.View, d.View)
	if s.View == "gallery" {
		add("layer", s.Layer, "")
		add("channels", s.Channels, d.Channels)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	add("eps1", f(s.Eps1), f(d.Eps1))
	add("eps2", f(s.Eps2), f(d.Eps2))
	add("eps3", f(s.Eps3), f(d.Eps3))
	if s.Embed {
		out = append(out, [2]string{"embed", ""})
	}
	return out
}

// Encode writes the state as a URL hash (without '#'), keeping only what
// differs from d. The model is always written, so a link does not depend on
// the zoo's default.
func (s State) Encode(d State) string {
	var parts []string
	for _, kv := range s.Values(d) {
		if kv[0] == "embed" {
			parts = append(parts, "embed")
			continue
		}
		parts = append(parts, kv[0]+"="+escape(kv[1]))
	}
	return strings.Join(parts, "&")
}

// escape percent-encodes what would break a hash's key=value&… structure
// or is not printable ASCII, and leaves spec punctuation (:@,+*;-) readable.
func escape(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("%&#=\"<>\\^`{|}", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func unescape(v string) (string, error) {
	if !strings.Contains(v, "%") {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		if i+2 >= len(v) {
			return "", fmt.Errorf("truncated escape")
		}
		n, err := strconv.ParseUint(v[i+1:i+3], 16, 8)
		if err != nil {
			return "", err
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), nil
}
