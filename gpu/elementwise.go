package gpu

import "fmt"

// Launchers for shaders/elementwise.wgsl.

const elementwiseWG = 256

func (d *Device) elementwise(entry string, bufs []Binding) (*Kernel, error) {
	return d.Kernel(KernelSpec{
		File: "elementwise.wgsl", Entry: entry, Bufs: bufs,
		Consts: map[string]string{"WG": "256u"},
	})
}

// AXPBY records z = alpha*x + beta*y over z.Len elements: addition,
// subtraction, scaling and copying in one kernel. z may not alias x or y.
func (d *Device) AXPBY(z, x, y *Buffer, alpha, beta float64) (*Dispatch, error) {
	k, err := d.elementwise("axpby", Bindings(Read, Read, ReadWrite))
	if err != nil {
		return nil, err
	}
	return d.Dispatch(k, Params{U(z.Len), F(alpha), F(beta)}, Groups1D(z.Len, elementwiseWG), x, y, z)
}

// Mul records z = x*y elementwise over z.Len elements.
func (d *Device) Mul(z, x, y *Buffer) (*Dispatch, error) {
	k, err := d.elementwise("mul", Bindings(Read, Read, ReadWrite))
	if err != nil {
		return nil, err
	}
	return d.Dispatch(k, Params{U(z.Len), 0, 0}, Groups1D(z.Len, elementwiseWG), x, y, z)
}

// ScaleShift records z = alpha*z + beta in place.
func (d *Device) ScaleShift(z *Buffer, alpha, beta float64) (*Dispatch, error) {
	k, err := d.elementwise("scale_shift", []Binding{{3, ReadWrite}})
	if err != nil {
		return nil, err
	}
	return d.Dispatch(k, Params{U(z.Len), F(alpha), F(beta)}, Groups1D(z.Len, elementwiseWG), z)
}

// Accumulate records z += alpha*x. z may not alias x.
func (d *Device) Accumulate(z, x *Buffer, alpha float64) (*Dispatch, error) {
	if x.Len != z.Len {
		return nil, fmt.Errorf("gpu: accumulate: %q has %d floats, %q has %d", x.label, x.Len, z.label, z.Len)
	}
	k, err := d.elementwise("accumulate", []Binding{{1, Read}, {3, ReadWrite}})
	if err != nil {
		return nil, err
	}
	return d.Dispatch(k, Params{U(z.Len), F(alpha), 0}, Groups1D(z.Len, elementwiseWG), x, z)
}

// Clamp records z = min(max(z, lo), hi) in place, with elementwise bounds
// lo and hi of z's length.
func (d *Device) Clamp(z, lo, hi *Buffer) (*Dispatch, error) {
	for _, b := range []*Buffer{lo, hi} {
		if err := checkLen("clamp", "bound", b, z.Len); err != nil {
			return nil, err
		}
	}
	k, err := d.elementwise("clamp_between", Bindings(Read, Read, ReadWrite))
	if err != nil {
		return nil, err
	}
	return d.Dispatch(k, Params{U(z.Len), 0, 0}, Groups1D(z.Len, elementwiseWG), lo, hi, z)
}
