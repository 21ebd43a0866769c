package maml

import (
	"testing"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

func supportGrad[T tensor.Float](t *testing.T, m nn.Model[T], params []*tensor.Tensor[T], task *Task[T]) []*tensor.Tensor[T] {
	t.Helper()
	tp := autodiff.NewTape[T]()
	vs := nn.Vars(tp, params)
	loss := autodiff.CrossEntropy(m.Forward(tp, vs, tp.Const(task.XS)), task.YS)
	g, err := autodiff.Grad(loss, vs, false)
	if err != nil {
		t.Fatal(err)
	}
	return nn.Values(g)
}

func forwardValues[T tensor.Float](m nn.Model[T], params []*tensor.Tensor[T], x *tensor.Tensor[T]) *tensor.Tensor[T] {
	tp := autodiff.NewTape[T]()
	var out *autodiff.Var[T]
	tp.NoGrad(func() {
		vs := make([]*autodiff.Var[T], len(params))
		for i, p := range params {
			vs[i] = tp.Const(p)
		}
		out = m.Forward(tp, vs, tp.Const(x))
	})
	return out.Value()
}

// testMethod is the registered method name with the options a test gives
// it (by name, where it has some) or its defaults.
func testMethod[T tensor.Float](t testing.TB, name string, opts map[string]any) Method[T] {
	t.Helper()
	m, err := NewWith[T](name, opts[name])
	if err != nil {
		t.Fatal(err)
	}
	return m
}
