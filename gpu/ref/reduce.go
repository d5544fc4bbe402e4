package ref

// Reductions used as activation-maximisation objectives, one value per
// image of an NHWC batch x of shape [n][h][w][c], each image with its own
// channel or neuron.

// ChannelMean returns, for each image b, the mean over positions of its
// channel ch[b].
func ChannelMean(n, h, w, c int, ch []int, x []float64) []float64 {
	out := make([]float64, n)
	for b := range n {
		for r := range h * w {
			out[b] += x[(b*h*w+r)*c+ch[b]] / float64(h*w)
		}
	}
	return out
}

// ChannelMeanBackward returns the gradient of ChannelMean given dy ([n]).
func ChannelMeanBackward(n, h, w, c int, ch []int, dy []float64) []float64 {
	dx := make([]float64, n*h*w*c)
	for b := range n {
		for r := range h * w {
			dx[(b*h*w+r)*c+ch[b]] = dy[b] / float64(h*w)
		}
	}
	return dx
}

// Neuron returns, for each image b, the activation at position pos[b] =
// (x, y, channel).
func Neuron(n, h, w, c int, pos [][3]int, x []float64) []float64 {
	out := make([]float64, n)
	for b, q := range pos {
		out[b] = x[((b*h+q[1])*w+q[0])*c+q[2]]
	}
	return out
}

// NeuronBackward returns the gradient of Neuron given dy ([n]).
func NeuronBackward(n, h, w, c int, pos [][3]int, dy []float64) []float64 {
	dx := make([]float64, n*h*w*c)
	for b, q := range pos {
		dx[((b*h+q[1])*w+q[0])*c+q[2]] = dy[b]
	}
	return dx
}

// MeanSquare returns, for each of the n images in x, the mean of its
// squared values (the DeepDream objective).
func MeanSquare(n int, x []float64) []float64 {
	m := len(x) / n
	out := make([]float64, n)
	for i, v := range x {
		out[i/m] += v * v / float64(m)
	}
	return out
}

// MeanSquareBackward returns the gradient of MeanSquare given dy ([n]).
func MeanSquareBackward(n int, x, dy []float64) []float64 {
	m := len(x) / n
	dx := make([]float64, len(x))
	for i, v := range x {
		dx[i] = 2 * v * dy[i/m] / float64(m)
	}
	return dx
}
