package gpu

import "fmt"

// Launchers for shaders/softmax.wgsl: softmax and log-softmax over the
// last axis of a [rows][n] tensor, and their gradients.

// softmaxWG is the workgroup size for rows of n: short rows (a handful of
// classes) waste fewer idle lanes in a smaller workgroup.
func softmaxWG(n int) int {
	if n <= 64 {
		return 64
	}
	return 256
}

func (d *Device) softmaxDispatch(op, entry string, rows, n int, log bool, binds []Binding, bufs ...*Buffer) (*Dispatch, error) {
	if rows < 1 || n < 1 {
		return nil, fmt.Errorf("gpu: %s: bad shape %d rows of %d", op, rows, n)
	}
	for i, b := range bufs {
		if err := checkLen(op, fmt.Sprintf("buffer %d", i+1), b, rows*n); err != nil {
			return nil, err
		}
	}
	if err := noAlias(op, bufs[len(bufs)-1], bufs[:len(bufs)-1]...); err != nil {
		return nil, err
	}
	wg := softmaxWG(n)
	k, err := d.Kernel(KernelSpec{File: "softmax.wgsl", Entry: entry, Bufs: binds, Consts: map[string]string{"WG": fmt.Sprintf("%du", wg)}})
	if err != nil {
		return nil, err
	}
	return d.Dispatch(k, Params{U(rows), U(n), b2u(log)}, Groups1D(rows, 1), bufs...)
}

// Softmax prepares y = exp(x - max) / Σ exp(x - max) over each row of n
// floats of x ([rows][n]). y may not alias x.
func (d *Device) Softmax(rows, n int, x, y *Buffer) (*Dispatch, error) {
	return d.softmaxDispatch("softmax", "forward", rows, n, false, []Binding{{1, Read}, {2, ReadWrite}}, x, y)
}

// LogSoftmax prepares y = x - max - log Σ exp(x - max) over each row.
func (d *Device) LogSoftmax(rows, n int, x, y *Buffer) (*Dispatch, error) {
	return d.softmaxDispatch("log-softmax", "forward", rows, n, true, []Binding{{1, Read}, {2, ReadWrite}}, x, y)
}

// SoftmaxBackward prepares dx = y * (dy - Σ dy*y) per row, from Softmax's
// output y.
func (d *Device) SoftmaxBackward(rows, n int, y, dy, dx *Buffer) (*Dispatch, error) {
	return d.softmaxDispatch("softmax backward", "backward", rows, n, false, []Binding{{3, Read}, {4, Read}, {5, ReadWrite}}, y, dy, dx)
}

// LogSoftmaxBackward prepares dx = dy - exp(y) * Σ dy per row, from
// LogSoftmax's output y.
func (d *Device) LogSoftmaxBackward(rows, n int, y, dy, dx *Buffer) (*Dispatch, error) {
	return d.softmaxDispatch("log-softmax backward", "backward", rows, n, true, []Binding{{3, Read}, {4, Read}, {5, ReadWrite}}, y, dy, dx)
}
