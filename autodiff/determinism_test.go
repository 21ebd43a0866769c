package autodiff

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/metabench/metabench/tensor"
)

// determinismWorkload runs a small second-order computation with matrix
// products large enough for the blocked (possibly parallel) gemm path, and
// returns every value it produced.
func determinismWorkload[T Float]() [][]T {
	rng := rand.New(rand.NewPCG(3, 4))
	rnd := func(shape ...int) *tensor.Tensor[T] {
		t := tensor.New[T](shape...)
		for i := range t.Data {
			t.Data[i] = T(rng.NormFloat64() * 0.1)
		}
		return t
	}
	tp := NewTape[T]()
	x := tp.Const(rnd(150, 130))
	w1 := tp.Param(rnd(130, 140))
	b1 := tp.Param(rnd(140))
	w2 := tp.Param(rnd(140, 7))
	labels := make([]int, 150)
	for i := range labels {
		labels[i] = rng.IntN(7)
	}
	loss := func(w1, b1, w2 *Var[T]) *Var[T] {
		h := Tanh(Linear(x, w1, b1))
		h = Sub(h, Mean(h, []int{0}, true))
		return CrossEntropy(MatMul(h, w2), labels)
	}
	l0 := loss(w1, b1, w2)
	g, err := Grad(l0, []*Var[T]{w1, b1, w2}, true)
	if err != nil {
		panic(err)
	}
	// one inner SGD step, then the meta-gradient through it
	l1 := loss(Sub(w1, Scale(g[0], 0.5)), Sub(b1, Scale(g[1], 0.5)), Sub(w2, Scale(g[2], 0.5)))
	mg, err := Grad(l1, []*Var[T]{w1, b1, w2}, false)
	if err != nil {
		panic(err)
	}
	out := [][]T{l0.Data(), l1.Data()}
	for _, v := range append(g, mg...) {
		out = append(out, v.Data())
	}
	return out
}

func sameBits[T Float](a, b [][]T) bool {
	for i := range a {
		for j := range a[i] {
			if math.Float64bits(float64(a[i][j])) != math.Float64bits(float64(b[i][j])) {
				return false
			}
		}
	}
	return true
}

// Results are bit-identical run to run and for GOMAXPROCS 1 and 2.
func TestDeterminismAcrossGOMAXPROCS(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	a64, a32 := determinismWorkload[float64](), determinismWorkload[float32]()
	runtime.GOMAXPROCS(2)
	b64, b32 := determinismWorkload[float64](), determinismWorkload[float32]()
	c64 := determinismWorkload[float64]()
	if !sameBits(a64, b64) || !sameBits(b64, c64) {
		t.Fatal("float64 results differ between GOMAXPROCS 1 and 2 or between runs")
	}
	if !sameBits(a32, b32) {
		t.Fatal("float32 results differ between GOMAXPROCS 1 and 2")
	}
}
