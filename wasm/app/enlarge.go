package app

// Enlarge scales n RGB images (NHWC) from×from up to to×to, each output
// pixel taking the nearest source pixel (a small image stays visibly
// small).
func Enlarge(px []float32, n, from, to int) []float32 {
	out := make([]float32, n*to*to*3)
	for i := range n {
		for y := range to {
			sy := y * from / to
			for x := range to {
				sx := x * from / to
				copy(out[((i*to+y)*to+x)*3:][:3], px[((i*from+sy)*from+sx)*3:])
			}
		}
	}
	return out
}
