package models

import (
	"encoding/json"
	"fmt"
	"math"
)

// Layer is one layer of a model, with its configuration resolved to what the
// executor needs and its weights decoded to float32.
type Layer struct {
	Name   string
	Class  string // Keras class name, e.g. "Conv2D"
	Inputs []*Layer
	// Shape is the output shape without the batch dimension: [H, W, C] for
	// images and feature maps, [C] for vectors.
	Shape []int

	Kernel     [2]int // kh, kw (convolutions, pooling)
	Strides    [2]int
	Same       bool // "same" padding (else "valid")
	Filters    int  // output channels of Conv2D/SeparableConv2D, units of Dense
	Multiplier int  // depth multiplier of depthwise convolutions
	// Activation is the activation applied after the layer's own operation:
	// linear, relu, relu6, sigmoid, tanh, softmax, elu…; for Activation
	// layers it is the whole layer. ReLU/LeakyReLU layers set the fields
	// below.
	Activation    string
	MaxValue      float64 // ReLU cap (math.Inf(1) when absent)
	NegativeSlope float64 // ReLU/LeakyReLU slope below the threshold
	Threshold     float64
	Epsilon       float64 // BatchNormalization
	Pad           [4]int  // ZeroPadding2D: top, bottom, left, right
	// Kernel is also UpSampling2D's size (rows, columns).

	// Weights by parameter name: kernel, bias, depthwise_kernel,
	// pointwise_kernel, gamma, beta, moving_mean, moving_variance.
	Weights map[string]*Weight

	inbound []inbound
	cfg     layerConfig
	// newWeight, when set, makes a weight the manifest lacks (a network
	// declared to be trained, see Net.Init) instead of failing.
	newWeight func(param string, shape []int) []float32
}

// Weight is a decoded parameter tensor.
type Weight struct {
	Shape []int
	Data  []float32
}

// Channels is the size of the layer's last dimension.
func (l *Layer) Channels() int {
	if len(l.Shape) == 0 {
		return 0
	}
	return l.Shape[len(l.Shape)-1]
}

// Supported lists the layer classes hubel can run.
var Supported = []string{
	"InputLayer", "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "BatchNormalization",
	"Activation", "ReLU", "LeakyReLU", "ZeroPadding2D", "MaxPooling2D", "AveragePooling2D",
	"GlobalAveragePooling2D", "GlobalMaxPooling2D", "Flatten", "Reshape", "Dropout", "Dense",
	"Add", "Concatenate", "Multiply", "UpSampling2D",
}

var activations = map[string]bool{
	"linear": true, "relu": true, "relu6": true, "sigmoid": true, "tanh": true, "softmax": true,
}

func isSupported(class string) bool {
	for _, s := range Supported {
		if s == class {
			return true
		}
	}
	return false
}

// configure resolves the layer's JSON config. Shapes are inferred later.
func (l *Layer) configure() error {
	c := l.cfg
	if !isSupported(l.Class) {
		return fmt.Errorf("layer %q: unsupported layer class %q (hubel supports %v)", l.Name, l.Class, Supported)
	}
	if c.DataFormat != "" && c.DataFormat != "channels_last" {
		return fmt.Errorf("layer %q: data_format %q: only channels_last is supported", l.Name, c.DataFormat)
	}
	if c.DilationRate != nil && (c.DilationRate[0] != 1 || c.DilationRate[1] != 1) {
		return fmt.Errorf("layer %q: dilation_rate %v: only 1 is supported", l.Name, *c.DilationRate)
	}
	l.Activation = "linear"
	if c.Activation != "" {
		l.Activation = c.Activation
	}
	if !activations[l.Activation] {
		return fmt.Errorf("layer %q: activation %q is not supported (want linear, relu, relu6, sigmoid, tanh or softmax)", l.Name, l.Activation)
	}
	l.Strides = [2]int{1, 1}
	if c.Strides != nil {
		l.Strides = *c.Strides
	}
	l.Kernel = c.KernelSize
	l.MaxValue = math.Inf(1)
	switch l.Class {
	case "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D":
		if l.Class == "MaxPooling2D" || l.Class == "AveragePooling2D" {
			l.Kernel = [2]int{2, 2}
			if c.PoolSize != nil {
				l.Kernel = *c.PoolSize
			}
			if c.Strides == nil {
				l.Strides = l.Kernel
			}
		}
		pad := "valid"
		if len(c.Padding) > 0 {
			if err := json.Unmarshal(c.Padding, &pad); err != nil {
				return fmt.Errorf("layer %q: padding: want \"same\" or \"valid\", got %s", l.Name, clip(string(c.Padding)))
			}
		}
		switch pad {
		case "same":
			l.Same = true
		case "valid":
		default:
			return fmt.Errorf("layer %q: padding %q: want \"same\" or \"valid\"", l.Name, pad)
		}
		if l.Kernel[0] < 1 || l.Kernel[1] < 1 {
			return fmt.Errorf("layer %q: kernel size %v must be positive", l.Name, l.Kernel)
		}
		if l.Strides[0] < 1 || l.Strides[1] < 1 {
			return fmt.Errorf("layer %q: strides %v must be positive", l.Name, l.Strides)
		}
		l.Filters = c.Filters
		l.Multiplier = max(c.DepthMultiplier, 1)
		if (l.Class == "Conv2D" || l.Class == "SeparableConv2D") && l.Filters < 1 {
			return fmt.Errorf("layer %q: filters %d must be positive", l.Name, l.Filters)
		}
	case "Dense":
		l.Filters = c.Units
		if l.Filters < 1 {
			return fmt.Errorf("layer %q: units %d must be positive", l.Name, c.Units)
		}
	case "BatchNormalization":
		l.Epsilon = 1e-3
		if c.Epsilon != nil {
			l.Epsilon = *c.Epsilon
		}
		if len(c.Axis) > 0 {
			var ax int
			if err := json.Unmarshal(c.Axis, &ax); err != nil {
				var axs []int
				if err2 := json.Unmarshal(c.Axis, &axs); err2 != nil || len(axs) != 1 {
					return fmt.Errorf("layer %q: axis %s: want the channel axis", l.Name, clip(string(c.Axis)))
				}
				ax = axs[0]
			}
			if ax != -1 && ax != 3 && ax != 1 {
				return fmt.Errorf("layer %q: axis %d: only the last (channel) axis is supported", l.Name, ax)
			}
		}
	case "ReLU":
		if c.MaxValue != nil {
			l.MaxValue = *c.MaxValue
		}
		if c.NegativeSlope != nil {
			l.NegativeSlope = *c.NegativeSlope
		}
		if c.Threshold != nil {
			l.Threshold = *c.Threshold
		}
	case "LeakyReLU":
		l.NegativeSlope = 0.3
		if c.Alpha != nil {
			l.NegativeSlope = *c.Alpha
		}
		if c.NegativeSlope != nil {
			l.NegativeSlope = *c.NegativeSlope
		}
	case "UpSampling2D":
		l.Kernel = [2]int{2, 2}
		if c.Size != nil {
			l.Kernel = *c.Size
		}
		if l.Kernel[0] < 1 || l.Kernel[1] < 1 {
			return fmt.Errorf("layer %q: size %v must be positive", l.Name, l.Kernel)
		}
		if c.Interpolation != "" && c.Interpolation != "nearest" {
			return fmt.Errorf("layer %q: interpolation %q: only \"nearest\" is supported", l.Name, c.Interpolation)
		}
	case "ZeroPadding2D":
		p, err := parseZeroPadding(c.Padding)
		if err != nil {
			return fmt.Errorf("layer %q: padding: %w", l.Name, err)
		}
		l.Pad = p
	}
	return nil
}

// parseZeroPadding reads Keras's 1, [1, 2] or [[top, bottom], [left, right]].
func parseZeroPadding(raw json.RawMessage) ([4]int, error) {
	if len(raw) == 0 {
		return [4]int{1, 1, 1, 1}, nil
	}
	var one int
	if json.Unmarshal(raw, &one) == nil {
		return [4]int{one, one, one, one}, nil
	}
	var two []int
	if json.Unmarshal(raw, &two) == nil && len(two) == 2 {
		return [4]int{two[0], two[0], two[1], two[1]}, nil
	}
	var four [][]int
	if json.Unmarshal(raw, &four) == nil && len(four) == 2 && len(four[0]) == 2 && len(four[1]) == 2 {
		return [4]int{four[0][0], four[0][1], four[1][0], four[1][1]}, nil
	}
	return [4]int{}, fmt.Errorf("want an int, [h, w] or [[top, bottom], [left, right]], got %s", clip(string(raw)))
}

// ConvOut returns the output size of a convolution or pooling along one
// axis, and the padding before it, with Keras/TF's convention: "same" gives
// ceil(in/stride) outputs and puts the odd pad at the bottom/right.
func ConvOut(in, k, stride int, same bool) (out, padBefore int) {
	if !same {
		return (in-k)/stride + 1, 0
	}
	out = (in + stride - 1) / stride
	total := max((out-1)*stride+k-in, 0)
	return out, total / 2
}

// inferShape sets l.Shape from its inputs' shapes and checks its weights.
func (l *Layer) inferShape() error {
	in := func(i int) []int { return l.Inputs[i].Shape }
	need := func(n int) error {
		if len(l.Inputs) != n {
			return fmt.Errorf("layer %q (%s): has %d inputs, want %d", l.Name, l.Class, len(l.Inputs), n)
		}
		return nil
	}
	image := func() ([]int, error) {
		if err := need(1); err != nil {
			return nil, err
		}
		s := in(0)
		if len(s) != 3 {
			return nil, fmt.Errorf("layer %q (%s): input shape %v, want [height, width, channels]", l.Name, l.Class, s)
		}
		return s, nil
	}
	switch l.Class {
	case "InputLayer":
		return nil // set from batch_input_shape when the graph is built
	case "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D":
		s, err := image()
		if err != nil {
			return err
		}
		oh, _ := ConvOut(s[0], l.Kernel[0], l.Strides[0], l.Same)
		ow, _ := ConvOut(s[1], l.Kernel[1], l.Strides[1], l.Same)
		if oh < 1 || ow < 1 {
			return fmt.Errorf("layer %q (%s): kernel %v does not fit input %v", l.Name, l.Class, l.Kernel, s)
		}
		c := s[2]
		switch l.Class {
		case "Conv2D", "SeparableConv2D":
			c = l.Filters
		case "DepthwiseConv2D":
			c = s[2] * l.Multiplier
		}
		l.Shape = []int{oh, ow, c}
		return l.checkWeights(s[2])
	case "UpSampling2D":
		s, err := image()
		if err != nil {
			return err
		}
		l.Shape = []int{s[0] * l.Kernel[0], s[1] * l.Kernel[1], s[2]}
	case "ZeroPadding2D":
		s, err := image()
		if err != nil {
			return err
		}
		l.Shape = []int{s[0] + l.Pad[0] + l.Pad[1], s[1] + l.Pad[2] + l.Pad[3], s[2]}
	case "GlobalAveragePooling2D", "GlobalMaxPooling2D":
		s, err := image()
		if err != nil {
			return err
		}
		l.Shape = []int{s[2]}
	case "Flatten":
		if err := need(1); err != nil {
			return err
		}
		l.Shape = []int{numel(in(0))}
	case "Reshape":
		if err := need(1); err != nil {
			return err
		}
		shape := append([]int(nil), l.cfg.TargetShape...)
		unknown := -1
		for i, d := range shape {
			if d == -1 && unknown < 0 {
				unknown = i
			} else if d < 1 {
				return fmt.Errorf("layer %q (Reshape): target_shape %v is invalid", l.Name, l.cfg.TargetShape)
			}
		}
		if unknown >= 0 {
			rest := 1
			for i, d := range shape {
				if i != unknown {
					rest *= d
				}
			}
			if rest <= 0 || rest > maxElements || numel(in(0))%rest != 0 {
				return fmt.Errorf("layer %q (Reshape): cannot reshape %v to %v", l.Name, in(0), shape)
			}
			shape[unknown] = numel(in(0)) / rest
		}
		if numel(shape) != numel(in(0)) || len(shape) == 0 {
			return fmt.Errorf("layer %q (Reshape): cannot reshape %v (%d values) to %v", l.Name, in(0), numel(in(0)), shape)
		}
		if len(shape) != 1 && len(shape) != 3 {
			return fmt.Errorf("layer %q (Reshape): target_shape %v: only [C] and [H, W, C] are supported", l.Name, shape)
		}
		l.Shape = shape
	case "Dense":
		if err := need(1); err != nil {
			return err
		}
		s := in(0)
		l.Shape = append(append([]int(nil), s[:len(s)-1]...), l.Filters)
		return l.checkWeights(s[len(s)-1])
	case "BatchNormalization", "Activation", "ReLU", "LeakyReLU", "Dropout":
		if err := need(1); err != nil {
			return err
		}
		l.Shape = append([]int(nil), in(0)...)
		if l.Class == "BatchNormalization" {
			return l.checkWeights(l.Channels())
		}
	case "Add", "Multiply":
		if len(l.Inputs) < 2 {
			return fmt.Errorf("layer %q (%s): has %d inputs, want at least 2", l.Name, l.Class, len(l.Inputs))
		}
		for _, x := range l.Inputs[1:] {
			if !equalShape(x.Shape, in(0)) {
				return fmt.Errorf("layer %q (%s): input shapes %v and %v differ", l.Name, l.Class, in(0), x.Shape)
			}
		}
		l.Shape = append([]int(nil), in(0)...)
	case "Concatenate":
		if len(l.Inputs) < 2 {
			return fmt.Errorf("layer %q (Concatenate): has %d inputs, want at least 2", l.Name, len(l.Inputs))
		}
		if len(l.cfg.Axis) > 0 {
			var ax int
			if err := json.Unmarshal(l.cfg.Axis, &ax); err != nil || (ax != -1 && ax != len(in(0))) {
				return fmt.Errorf("layer %q (Concatenate): axis %s: only the channel axis is supported", l.Name, clip(string(l.cfg.Axis)))
			}
		}
		s := append([]int(nil), in(0)...)
		for _, x := range l.Inputs[1:] {
			if len(x.Shape) != len(s) || !equalShape(x.Shape[:len(s)-1], s[:len(s)-1]) {
				return fmt.Errorf("layer %q (Concatenate): input shapes %v and %v differ outside the channel axis", l.Name, in(0), x.Shape)
			}
			s[len(s)-1] += x.Channels()
		}
		l.Shape = s
	}
	return nil
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkWeights verifies that the layer has every weight its class needs,
// with the right shape, given its input channel count cin.
func (l *Layer) checkWeights(cin int) error {
	useBias := l.cfg.UseBias == nil || *l.cfg.UseBias
	want := map[string][]int{}
	switch l.Class {
	case "Conv2D":
		want["kernel"] = []int{l.Kernel[0], l.Kernel[1], cin, l.Filters}
		if useBias {
			want["bias"] = []int{l.Filters}
		}
	case "DepthwiseConv2D":
		want["depthwise_kernel"] = []int{l.Kernel[0], l.Kernel[1], cin, l.Multiplier}
		if useBias {
			want["bias"] = []int{cin * l.Multiplier}
		}
	case "SeparableConv2D":
		want["depthwise_kernel"] = []int{l.Kernel[0], l.Kernel[1], cin, l.Multiplier}
		want["pointwise_kernel"] = []int{1, 1, cin * l.Multiplier, l.Filters}
		if useBias {
			want["bias"] = []int{l.Filters}
		}
	case "Dense":
		want["kernel"] = []int{cin, l.Filters}
		if useBias {
			want["bias"] = []int{l.Filters}
		}
	case "BatchNormalization":
		if l.cfg.Scale == nil || *l.cfg.Scale {
			want["gamma"] = []int{cin}
		}
		if l.cfg.Center == nil || *l.cfg.Center {
			want["beta"] = []int{cin}
		}
		want["moving_mean"] = []int{cin}
		want["moving_variance"] = []int{cin}
	}
	for _, p := range sortedKeys(want) {
		w, ok := l.Weights[p]
		if !ok && l.newWeight != nil {
			if l.Weights == nil {
				l.Weights = map[string]*Weight{}
			}
			w = &Weight{Shape: want[p], Data: l.newWeight(p, want[p])}
			l.Weights[p], ok = w, true
		}
		if !ok {
			return fmt.Errorf("layer %q (%s): missing weight %s/%s (shape %v) in weightsManifest", l.Name, l.Class, l.Name, p, want[p])
		}
		if !equalShape(w.Shape, want[p]) {
			return fmt.Errorf("layer %q (%s): weight %s/%s has shape %v, want %v", l.Name, l.Class, l.Name, p, w.Shape, want[p])
		}
	}
	return nil
}
