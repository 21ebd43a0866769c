package maml

import (
	"fmt"
	"math/rand/v2"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

func init() {
	Register(Def{Name: "anil", Caps: Caps{SecondOrder: true},
		New32: func(any) Method[float32] { return ANIL[float32]{} },
		New64: func(any) Method[float64] { return ANIL[float64]{} }})
}

// ANIL is Almost No Inner Loop (Raghu et al. 2020): MAML whose inner loop
// adapts the head only. The body's features of the support and query images
// are computed once at θ; the head (W, b) takes s.InnerSteps steps of SGD at
// s.InnerLR on the support loss of those features, and the meta-gradient
// with respect to all of θ is exact: the head's inner gradients depend on the
// support features, so the second-order terms reach the body through them.
// First order at iterations below s.FirstOrderIterations.
type ANIL[T tensor.Float] struct{}

// Name is "anil".
func (ANIL[T]) Name() string { return "anil" }

// build is the head-only inner loop on the features of the task's images.
func (ANIL[T]) build(m nn.Model[T], task *Task[T], lr float64, steps int, second bool) (func(tp *autodiff.Tape[T], theta, _ []*Var[T]) (*unroll[T], *Var[T], *Var[T]), error) {
	e, ok := m.(nn.Embedder[T])
	if !ok {
		return nil, fmt.Errorf("maml: anil needs a model with a linear head on an embedding (nn.Embedder); %s has none", m.Name())
	}
	head := e.HeadParams()
	if len(head) != 2 {
		return nil, fmt.Errorf("maml: anil: %s's head has %d parameters, want a weight and a bias", m.Name(), len(head))
	}
	return func(tp *autodiff.Tape[T], theta, _ []*Var[T]) (*unroll[T], *Var[T], *Var[T]) {
		u := &unroll[T]{steps: steps, second: second, adapt: head, update: sgdUpdate[T](lr),
			forward: func(_ int, p []*Var[T], f *Var[T]) *Var[T] { return autodiff.Linear(f, p[head[0]], p[head[1]]) }}
		return u, e.Embed(tp, theta, tp.Const(task.XS)), e.Embed(tp, theta, tp.Const(task.XQ))
	}, nil
}

// TaskGrad is the exact (or, while annealing, first-order) meta-gradient.
func (a ANIL[T]) TaskGrad(m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings, _ *rand.Rand) (*TaskResult[T], error) {
	b, err := a.build(m, task, s.InnerLR, s.InnerSteps, s.Iteration >= s.FirstOrderIterations)
	if err != nil {
		return nil, err
	}
	return unrolledTask(params, nil, task, s.Work, nil, b)
}

// NewOuter is the outer Adam of the settings (MetaAdam).
func (ANIL[T]) NewOuter(s *Settings, params []*tensor.Tensor[T]) Outer[T] { return MetaAdam(s, params) }

// Describe names the head-only inner loop.
func (ANIL[T]) Describe(s *Settings) map[string]any {
	return map[string]any{"method_variant": fmt.Sprintf("anil: inner loop adapts the head (fc.w, fc.b) only, %d steps at %g (test: %d); exact second-order meta-gradient%s",
		s.InnerSteps, s.InnerLR, s.TestSteps, FirstOrderNote(s))}
}

// EvalTask adapts the head with s.TestSteps steps at s.InnerLR.
func (a ANIL[T]) EvalTask(m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings) (float64, float64, error) {
	b, err := a.build(m, task, s.InnerLR, s.TestSteps, false)
	if err != nil {
		return 0, 0, err
	}
	return unrolledEval(params, nil, task, s.Work, b)
}
