package ref

// Per-channel affine map y = x*scale[c] + shift[c] over NHWC tensors (batch
// norm folded to inference form), with its gradients.

// ChannelAffine returns x*scale[c] + shift[c], where c is the channel
// (the index modulo len(scale)).
func ChannelAffine(x, scale, shift []float64) []float64 {
	c := len(scale)
	y := make([]float64, len(x))
	for i := range x {
		y[i] = x[i]*scale[i%c] + shift[i%c]
	}
	return y
}

// ChannelAffineBackward returns the gradients of ChannelAffine with
// respect to x, scale and shift, given the gradient dy of its output.
func ChannelAffineBackward(x, scale, dy []float64) (dx, dscale, dshift []float64) {
	c := len(scale)
	dx = make([]float64, len(x))
	dscale = make([]float64, c)
	dshift = make([]float64, c)
	for i := range x {
		dx[i] = dy[i] * scale[i%c]
		dscale[i%c] += dy[i] * x[i]
		dshift[i%c] += dy[i]
	}
	return dx, dscale, dshift
}
