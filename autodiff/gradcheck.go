package autodiff

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/metabench/metabench/tensor"
)

// GradCheckOptions tunes CheckGradients. The zero value (or nil) gives the
// defaults in brackets.
type GradCheckOptions struct {
	Step        float64 // central-difference step [1e-6]
	AbsTol      float64 // absolute tolerance [1e-6]
	RelTol      float64 // relative tolerance [1e-5]; entry ok if |a-b| <= AbsTol + RelTol*|b|
	Seed        uint64  // seed of the random upstream gradient gy and direction v [1]
	FirstOrder  bool    // check first derivatives only (skip the Hessian-vector product)
	NoUpstreamG bool    // do not differentiate with respect to gy in the second-order check
}

func (o *GradCheckOptions) withDefaults() GradCheckOptions {
	var r GradCheckOptions
	if o != nil {
		r = *o
	}
	if r.Step == 0 {
		r.Step = 1e-6
	}
	if r.AbsTol == 0 {
		r.AbsTol = 1e-6
	}
	if r.RelTol == 0 {
		r.RelTol = 1e-5
	}
	if r.Seed == 0 {
		r.Seed = 1
	}
	return r
}

// CheckGradients checks the derivatives of an operation (or any function
// built from ops) against central finite differences (gonum's diff/fd), in
// float64.
//
// f receives the inputs as parameters of a fresh tape (xs[i] has the value
// of inputs[i]; the tape is xs[0].Tape()) and returns y. With a fixed
// random upstream gradient gy of y's shape and a fixed random direction v:
//
//   - first order: the gradient of F = sum(gy * y) with respect to every
//     input, computed by GradWith with and without createGraph (they must
//     agree), is compared with the finite-difference gradient of F;
//   - second order (unless opts.FirstOrder): with grad_k = dF/dx_k,
//     h = sum_k sum(v_k * grad_k) is differentiated again (a Hessian-vector
//     product) with respect to every input and to gy, and compared with the
//     finite-difference gradient of h, where h itself is evaluated by a
//     first-order backward pass.
//
// f may itself call Grad with createGraph (then this checks the second and
// third derivatives of the function whose gradient f returns). f must be
// deterministic and smooth near inputs (keep inputs away from
// kinks such as ReLU's 0 by more than the step). It returns an error that
// names the worst entry, or nil.
func CheckGradients(f func(xs []*Var[float64]) *Var[float64], inputs []*tensor.Tensor[float64], opts *GradCheckOptions) error {
	o := opts.withDefaults()
	if len(inputs) == 0 {
		return fmt.Errorf("autodiff: CheckGradients: no inputs")
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	sizes := make([]int, len(inputs))
	total := 0
	for i, t := range inputs {
		sizes[i] = t.Len()
		total += sizes[i]
	}
	flat := make([]float64, 0, total)
	for _, t := range inputs {
		flat = append(flat, t.Data...)
	}
	// unflatten builds the parameters on a fresh tape from a flat vector.
	unflatten := func(x []float64) (*Tape[float64], []*Var[float64]) {
		tp := NewTape[float64]()
		xs := make([]*Var[float64], len(inputs))
		off := 0
		for i, t := range inputs {
			d := append([]float64(nil), x[off:off+sizes[i]]...)
			xs[i] = tp.Param(tensor.FromSlice(d, t.Shape...))
			off += sizes[i]
		}
		return tp, xs
	}

	// Shape of y and the fixed random gy and v.
	_, xs0 := unflatten(flat)
	y0 := f(xs0)
	if y0 == nil {
		return fmt.Errorf("autodiff: CheckGradients: f returned nil")
	}
	yShape := cloneShape(y0.Value().Shape)
	gyData := make([]float64, y0.Value().Len())
	for i := range gyData {
		gyData[i] = rng.Float64()*2 - 1
	}
	vData := make([]float64, total)
	for i := range vData {
		vData[i] = rng.Float64()*2 - 1
	}

	// F(x) = sum(gy * f(x)). Recording stays on so that f may itself call
	// Grad (checking a gradient function checks one order higher).
	evalF := func(x []float64) float64 {
		_, xs := unflatten(x)
		var s float64
		for i, v := range f(xs).Value().Data {
			s += gyData[i] * v
		}
		return s
	}
	settings := &fd.Settings{Formula: fd.Central, Step: o.Step}

	// Analytic first order, both modes.
	tp, xs := unflatten(flat)
	gy := tp.Param(tensor.FromSlice(append([]float64(nil), gyData...), yShape...))
	y := f(xs)
	gFirst, err := GradWith(y, gy.Detach(), xs, false)
	if err != nil {
		return err
	}
	gCreate, err := GradWith(y, gy, xs, true)
	if err != nil {
		return err
	}
	want := fd.Gradient(nil, evalF, flat, settings)
	if err := compareFlat("first-order gradient (createGraph)", concatVals(gCreate), want, sizes, o); err != nil {
		return err
	}
	if err := compareFlat("first-order gradient (first-order mode)", concatVals(gFirst), concatVals(gCreate), sizes, GradCheckOptions{AbsTol: 1e-12, RelTol: 1e-12}); err != nil {
		return err
	}
	if o.FirstOrder {
		return nil
	}

	// Analytic Hessian-vector product: d/d(x, gy) of h = sum_k sum(v_k * grad_k).
	var h *Var[float64]
	off := 0
	for k, g := range gCreate {
		vk := tp.Const(tensor.FromSlice(append([]float64(nil), vData[off:off+sizes[k]]...), inputs[k].Shape...))
		off += sizes[k]
		term := SumAll(Mul(vk, g))
		if h == nil {
			h = term
		} else {
			h = Add(h, term)
		}
	}
	wrt := append(append([]*Var[float64](nil), xs...), gy)
	hv, err := Grad(h, wrt, false)
	if err != nil {
		return err
	}
	// h(x, gy) by a first-order backward pass.
	nx := total
	evalH := func(z []float64) float64 {
		tp, xs := unflatten(z[:nx])
		gyv := tp.Const(tensor.FromSlice(append([]float64(nil), z[nx:]...), yShape...))
		y := f(xs)
		g, err := GradWith(y, gyv, xs, false)
		if err != nil {
			panic(err)
		}
		var s float64
		off := 0
		for _, gk := range g {
			for i, v := range gk.Value().Data {
				s += vData[off+i] * v
			}
			off += len(gk.Value().Data)
		}
		return s
	}
	z0 := append(append([]float64(nil), flat...), gyData...)
	wantH := fd.Gradient(nil, evalH, z0, settings)
	sizesH := append(append([]int(nil), sizes...), len(gyData))
	if o.NoUpstreamG {
		return compareFlat("Hessian-vector product", concatVals(hv)[:nx], wantH[:nx], sizes, o)
	}
	return compareFlat("Hessian-vector product (inputs..., gy)", concatVals(hv), wantH, sizesH, o)
}

func concatVals(vs []*Var[float64]) []float64 {
	var out []float64
	for _, v := range vs {
		out = append(out, v.Value().Data...)
	}
	return out
}

// compareFlat compares got with want entry-wise and names the worst entry
// (input index and flat offset within it) on failure.
func compareFlat(what string, got, want []float64, sizes []int, o GradCheckOptions) error {
	if len(got) != len(want) {
		return fmt.Errorf("autodiff: CheckGradients: %s: %d values, want %d", what, len(got), len(want))
	}
	worst, wi := 0.0, -1
	for i := range got {
		d := math.Abs(got[i] - want[i])
		lim := o.AbsTol + o.RelTol*math.Abs(want[i])
		if math.IsNaN(got[i]) || d > lim {
			r := d / lim
			if math.IsNaN(r) {
				r = math.Inf(1)
			}
			if wi < 0 || r > worst {
				worst, wi = r, i
			}
		}
	}
	if wi < 0 {
		return nil
	}
	in, off := 0, wi
	for in < len(sizes) && off >= sizes[in] {
		off -= sizes[in]
		in++
	}
	return fmt.Errorf("autodiff: CheckGradients: %s: input %d entry %d: got %.12g, want %.12g (|diff| %.3g)",
		what, in, off, got[wi], want[wi], math.Abs(got[wi]-want[wi]))
}
