package maml

import (
	"math/rand/v2"

	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

func init() {
	Register(Def{Name: "maml", Caps: Caps{SecondOrder: true},
		New32: func(any) Method[float32] { return MAML[float32]{SecondOrder: true} },
		New64: func(any) Method[float64] { return MAML[float64]{SecondOrder: true} }})
	Register(Def{Name: "fomaml",
		New32: func(any) Method[float32] { return MAML[float32]{} },
		New64: func(any) Method[float64] { return MAML[float64]{} }})
}

// MAML is second-order MAML (SecondOrder) or first-order MAML.
type MAML[T tensor.Float] struct{ SecondOrder bool }

// Name is "maml" or "fomaml".
func (m MAML[T]) Name() string {
	if m.SecondOrder {
		return "maml"
	}
	return "fomaml"
}

// TaskGrad is TaskMetaGrad with the method's order; second-order MAML is
// first-order at iterations below s.FirstOrderIterations.
func (m MAML[T]) TaskGrad(model nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings, _ *rand.Rand) (*TaskResult[T], error) {
	second := m.SecondOrder && s.Iteration >= s.FirstOrderIterations
	return TaskMetaGrad(model, params, task, Hyper{InnerLR: s.InnerLR, InnerSteps: s.InnerSteps, SecondOrder: second, Work: s.Work})
}

// NewOuter is the outer Adam of the settings (MetaAdam).
func (m MAML[T]) NewOuter(s *Settings, params []*tensor.Tensor[T]) Outer[T] {
	return MetaAdam(s, params)
}

// EvalTask adapts with s.TestSteps SGD steps at s.InnerLR.
func (m MAML[T]) EvalTask(model nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings) (float64, float64, error) {
	return AdaptEval(model, params, task, s.InnerLR, s.TestSteps, s.Work)
}
