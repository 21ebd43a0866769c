package autodiff

import (
	"math/rand/v2"
	"testing"

	"github.com/metabench/metabench/tensor"
)

// WeightedSum and Dots against finite differences, first and second order
// (terms, weights and the upstream gradient all differentiated), with a
// skipped term.
func TestWeightedSumGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	in := []*tensor.Tensor[float64]{convRand(rng, 2, 3, 2, 2), convRand(rng, 2, 3, 2, 2), convRand(rng, 2, 3, 2, 2), convRand(rng, 4)}
	err := CheckGradients(func(xs []*Var[float64]) *Var[float64] {
		return WeightedSum([]*Var[float64]{xs[0], nil, xs[1], xs[2]}, xs[3])
	}, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = CheckGradients(func(xs []*Var[float64]) *Var[float64] {
		return Dots(xs[3], []*Var[float64]{xs[0], nil, xs[1], xs[2]})
	}, []*tensor.Tensor[float64]{in[0], in[1], in[2], convRand(rng, 2, 3, 2, 2)}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

// The fused op has the bits of the composed Mul/Add chain it replaces, in
// both precisions, value and gradients.
func TestWeightedSumMatchesComposed(t *testing.T) {
	checkWeightedComposed[float32](t)
	checkWeightedComposed[float64](t)
}

func checkWeightedComposed[T Float](t *testing.T) {

	shape := []int{3, 4, 5, 7}
	run := func(fused bool) []*tensor.Tensor[T] {
		tp := NewTape[T]()
		var ys []*Var[T]
		r := rand.New(rand.NewPCG(25, 26))
		for k := 0; k < 5; k++ {
			if k == 1 {
				ys = append(ys, nil)
				continue
			}
			x := tensor.New[T](shape...)
			for i := range x.Data {
				x.Data[i] = T(r.NormFloat64())
			}
			ys = append(ys, tp.Param(x))
		}
		wt := tensor.New[T](5)
		for i := range wt.Data {
			wt.Data[i] = T(r.Float64())
		}
		w := tp.Param(wt)
		var out *Var[T]
		if fused {
			out = WeightedSum(ys, w)
		} else {
			for k, y := range ys {
				if y == nil {
					continue
				}
				p := Mul(y, scalarAt(w, k, len(shape)))
				if out == nil {
					out = p
				} else {
					out = Add(out, p)
				}
			}
		}
		gy := tensor.New[T](shape...)
		for i := range gy.Data {
			gy.Data[i] = T(r.NormFloat64())
		}
		params := []*Var[T]{ys[0], ys[2], ys[3], ys[4]}
		grads, err := GradWith(out, tp.Const(gy), append(params, w), false)
		if err != nil {
			t.Fatal(err)
		}
		res := []*tensor.Tensor[T]{out.Value()}
		for _, g := range grads {
			res = append(res, g.Value())
		}
		return res
	}
	a, b := run(true), run(false)
	for i := range a {
		tol := 0.0
		if i == len(a)-1 {
			tol = 1e-5 // the weight gradient: Dots sums in float64, SumTo in its own order
		}
		for j := range a[i].Data {
			d := float64(a[i].Data[j] - b[i].Data[j])
			if d < 0 {
				d = -d
			}
			if d > tol*(1+abs64(float64(b[i].Data[j]))) {
				t.Fatalf("output %d [%d]: fused %v, composed %v", i, j, a[i].Data[j], b[i].Data[j])
			}
		}
	}
}

func abs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
