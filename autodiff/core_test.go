package autodiff

import (
	"math"
	"testing"

	"github.com/metabench/metabench/tensor"
)

// f(a, b) = sum(a*a*b) with b broadcast over rows: check first and second
// derivatives against closed forms.
func TestCoreSecondOrder(t *testing.T) {
	tp := NewTape[float64]()
	a := tp.Param(tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3))
	b := tp.Param(tensor.FromSlice([]float64{0.5, -1, 2}, 3))
	y := SumTo(Mul(Mul(a, a), b), []int{})
	g, err := Grad(y, []*Var[float64]{a, b}, true)
	if err != nil {
		t.Fatal(err)
	}
	// dy/da = 2ab; dy/db_j = sum_i a_ij^2
	for i, v := range g[0].Data() {
		want := 2 * a.Data()[i] * b.Data()[i%3]
		if math.Abs(v-want) > 1e-12 {
			t.Fatalf("grad a[%d] = %v want %v", i, v, want)
		}
	}
	for j, v := range g[1].Data() {
		want := a.Data()[j]*a.Data()[j] + a.Data()[j+3]*a.Data()[j+3]
		if math.Abs(v-want) > 1e-12 {
			t.Fatalf("grad b[%d] = %v want %v", j, v, want)
		}
	}
	// d/da of sum(dy/da) = d/da sum(2ab) = 2b (broadcast)
	h, err := Grad(SumTo(g[0], []int{}), []*Var[float64]{a, b}, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range h[0].Data() {
		if want := 2 * b.Data()[i%3]; math.Abs(v-want) > 1e-12 {
			t.Fatalf("hess a[%d] = %v want %v", i, v, want)
		}
	}
	for j, v := range h[1].Data() {
		if want := 2 * (a.Data()[j] + a.Data()[j+3]); math.Abs(v-want) > 1e-12 {
			t.Fatalf("hess b[%d] = %v want %v", j, v, want)
		}
	}
}
