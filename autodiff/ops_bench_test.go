package autodiff

import (
	"testing"

	"github.com/metabench/metabench/tensor"
)

func benchVar(tp *Tape[float32], shape ...int) *Var[float32] {
	t := tensor.New[float32](shape...)
	for i := range t.Data {
		t.Data[i] = float32(i%17) - 8
	}
	return tp.Param(t)
}

func BenchmarkElementwise(b *testing.B) {
	tp := NewTape[float32]()
	x := benchVar(tp, 64, 32, 14, 14)
	y := benchVar(tp, 64, 32, 14, 14)
	bias := benchVar(tp, 1, 32, 1, 1)
	b.Run("Add", func(b *testing.B) {
		for b.Loop() {
			Add(x, y)
		}
	})
	b.Run("Mul", func(b *testing.B) {
		for b.Loop() {
			Mul(x, y)
		}
	})
	b.Run("ReLU", func(b *testing.B) {
		for b.Loop() {
			ReLU(x)
		}
	})
	b.Run("Scale", func(b *testing.B) {
		for b.Loop() {
			Scale(x, 0.5)
		}
	})
	b.Run("AddChannelBias", func(b *testing.B) {
		for b.Loop() {
			Add(x, bias)
		}
	})
	b.Run("SumToChannel", func(b *testing.B) {
		for b.Loop() {
			SumTo(x, []int{1, 32, 1, 1})
		}
	})
}

// One second-order step of a small MLP (the shape of a MAML inner/outer
// loop on features).
func BenchmarkMLPSecondOrder(b *testing.B) {
	for b.Loop() {
		tp := NewTape[float32]()
		x := benchVar(tp, 25, 64)
		w1 := benchVar(tp, 64, 64)
		b1 := benchVar(tp, 64)
		w2 := benchVar(tp, 64, 5)
		labels := make([]int, 25)
		for i := range labels {
			labels[i] = i % 5
		}
		l := CrossEntropy(Linear(ReLU(Linear(x, w1, b1)), w2, nil), labels)
		g, _ := Grad(l, []*Var[float32]{w1, b1, w2}, true)
		l2 := CrossEntropy(Linear(ReLU(Linear(x, Sub(w1, Scale(g[0], 0.1)), Sub(b1, Scale(g[1], 0.1)))), Sub(w2, Scale(g[2], 0.1)), nil), labels)
		Grad(l2, []*Var[float32]{w1, b1, w2}, false)
	}
}
