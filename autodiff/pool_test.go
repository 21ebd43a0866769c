package autodiff

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/metabench/metabench/tensor"
)

func TestPoolGradCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	cases := []struct {
		x       []int
		max     bool
		k, s, p int
	}{
		{[]int{2, 3, 6, 6}, true, 2, 2, 0},
		{[]int{2, 2, 5, 5}, true, 3, 1, 1},
		{[]int{2, 2, 7, 7}, true, 3, 2, 1},
		{[]int{1, 2, 7, 5}, true, 2, 2, 0},
		{[]int{2, 2, 5, 5}, false, 3, 1, 1},
		{[]int{2, 2, 8, 7}, false, 3, 2, 1},
		{[]int{1, 3, 5, 6}, false, 2, 2, 1},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			in := []*tensor.Tensor[float64]{convRand(rng, c.x...)}
			f := func(xs []*Var[float64]) *Var[float64] {
				if c.max {
					return MaxPool2d(xs[0], c.k, c.s, c.p)
				}
				return AvgPool2d(xs[0], c.k, c.s, c.p)
			}
			if err := CheckGradients(f, in, nil); err != nil {
				t.Fatal(err)
			}
			// a nonlinear function of the pool, so the Hessian is not zero
			g := func(xs []*Var[float64]) *Var[float64] {
				y := f(xs)
				return Mul(y, y)
			}
			if err := CheckGradients(g, in, nil); err != nil {
				t.Fatal("pool^2:", err)
			}
		})
	}
}

func TestGlobalAvgPoolGradCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	in := []*tensor.Tensor[float64]{convRand(rng, 2, 3, 3, 5)}
	if err := CheckGradients(func(xs []*Var[float64]) *Var[float64] {
		y := GlobalAvgPool(xs[0])
		return Mul(y, y)
	}, in, nil); err != nil {
		t.Fatal(err)
	}
}
