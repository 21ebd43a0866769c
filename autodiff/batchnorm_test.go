package autodiff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/metabench/metabench/tensor"
)

// thirdOrderCheck checks d/dx T against central differences, where with
// L = sum(y*tanh(y)), y = f(x): T(x) = <u, d/dx <v, dL/dx>>, a third
// derivative of f's composition.
func thirdOrderCheck(f func(xs []*Var[float64]) *Var[float64], in []*tensor.Tensor[float64], rng *rand.Rand) error {
	var flat []float64
	for _, t := range in {
		flat = append(flat, t.Data...)
	}
	v := make([]float64, len(flat))
	u := make([]float64, len(flat))
	for i := range v {
		v[i], u[i] = rng.Float64()*2-1, rng.Float64()*2-1
	}
	build := func(z []float64) ([]*Var[float64], *Var[float64]) {
		tp := NewTape[float64]()
		xs := make([]*Var[float64], len(in))
		off := 0
		for i, t := range in {
			xs[i] = tp.Param(tensor.FromSlice(append([]float64(nil), z[off:off+t.Len()]...), t.Shape...))
			off += t.Len()
		}
		y := f(xs)
		g1, err := Grad(SumAll(Mul(y, Tanh(y))), xs, true)
		if err != nil {
			panic(err)
		}
		var h *Var[float64]
		off = 0
		for i, g := range g1 {
			term := SumAll(Mul(tp.Const(tensor.FromSlice(append([]float64(nil), v[off:off+in[i].Len()]...), in[i].Shape...)), g))
			off += in[i].Len()
			if h == nil {
				h = term
			} else {
				h = Add(h, term)
			}
		}
		g2, err := Grad(h, xs, true)
		if err != nil {
			panic(err)
		}
		var tt *Var[float64]
		off = 0
		for i, g := range g2 {
			term := SumAll(Mul(tp.Const(tensor.FromSlice(append([]float64(nil), u[off:off+in[i].Len()]...), in[i].Shape...)), g))
			off += in[i].Len()
			if tt == nil {
				tt = term
			} else {
				tt = Add(tt, term)
			}
		}
		return xs, tt
	}
	xs, tt := build(flat)
	g3, err := Grad(tt, xs, false)
	if err != nil {
		return err
	}
	want := fd.Gradient(nil, func(z []float64) float64 { _, t := build(z); return t.Item() }, flat, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	k := 0
	for _, g := range g3 {
		for _, a := range g.Data() {
			if math.Abs(a-want[k]) > 1e-5+1e-4*math.Abs(want[k]) {
				return fmt.Errorf("entry %d: got %.10g want %.10g", k, a, want[k])
			}
			k++
		}
	}
	return nil
}

func TestBatchNormGradCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	cases := []struct {
		x           []int
		gamma, beta bool
	}{
		{[]int{4, 3, 5, 5}, true, true},
		{[]int{2, 4, 3, 3}, false, false},
		{[]int{3, 2, 3, 5}, true, false},
		{[]int{2, 3, 1, 1}, false, true},
		{[]int{5, 3}, true, true}, // [N, C]
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			in := []*tensor.Tensor[float64]{convRand(rng, c.x...)}
			gi, bi := -1, -1
			if c.gamma {
				gi = len(in)
				in = append(in, convRand(rng, c.x[1]))
			}
			if c.beta {
				bi = len(in)
				in = append(in, convRand(rng, c.x[1]))
			}
			f := func(xs []*Var[float64]) *Var[float64] {
				var g, b *Var[float64]
				if gi >= 0 {
					g = xs[gi]
				}
				if bi >= 0 {
					b = xs[bi]
				}
				return BatchNorm(xs[0], g, b, 1e-5)
			}
			if err := CheckGradients(f, in, nil); err != nil {
				t.Fatal(err)
			}
			// third order: differentiate a Hessian-vector product once more
			// (the recorded composite BN backward differentiated twice).
			if err := thirdOrderCheck(f, in, rng); err != nil {
				t.Fatal("third order:", err)
			}
		})
	}
}

func TestBatchNormStats(t *testing.T) {
	x := tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2)
	m, v := BatchNormStats(x)
	// channel 0: 1,2,5,6 ; channel 1: 3,4,7,8
	if m[0] != 3.5 || m[1] != 5.5 || v[0] != 4.25 || v[1] != 4.25 {
		t.Fatalf("stats %v %v", m, v)
	}
}
