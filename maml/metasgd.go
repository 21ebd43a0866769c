package maml

import (
	"fmt"
	"math/rand/v2"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

func init() {
	Register(Def{Name: "metasgd", Caps: Caps{SecondOrder: true},
		New32: func(any) Method[float32] { return &MetaSGD[float32]{} },
		New64: func(any) Method[float64] { return &MetaSGD[float64]{} }})
}

// MetaSGD is Meta-SGD (Li et al. 2017): MAML whose inner learning rate is a
// tensor α of the shape of θ, one rate per parameter element, meta-learned
// with θ by the same Adam:
//
//	θ_{t+1} = θ_t - α ⊙ ∇L_S(θ_t)
//	min_{θ, α} (1/B) Σ_τ L_Q^τ(θ_T)
//
// α starts at s.InnerLR everywhere (NewOuter creates it; it is saved with the
// outer state). The meta-gradient with respect to θ and α is exact (first
// order at iterations below s.FirstOrderIterations: ∇L_S treated as a
// constant, so α still gets -∇L_S ⊙ ∇L_Q).
type MetaSGD[T tensor.Float] struct {
	alpha []*tensor.Tensor[T]
}

// Name is "metasgd".
func (*MetaSGD[T]) Name() string { return "metasgd" }

// MetaParams is α, one tensor per parameter.
func (ms *MetaSGD[T]) MetaParams() []*tensor.Tensor[T] { return ms.alpha }

// NewOuter creates α = s.InnerLR and returns Adam over θ and α.
func (ms *MetaSGD[T]) NewOuter(s *Settings, params []*tensor.Tensor[T]) Outer[T] {
	ms.alpha = make([]*tensor.Tensor[T], len(params))
	for i, p := range params {
		ms.alpha[i] = tensor.Full(T(s.InnerLR), p.Shape...)
	}
	return WithMeta[T](MetaAdam(s, append(append([]*tensor.Tensor[T](nil), params...), ms.alpha...)), ms.Name(), ms.alpha)
}

// Describe names the learned rates.
func (*MetaSGD[T]) Describe(s *Settings) map[string]any {
	return map[string]any{"method_variant": fmt.Sprintf("metasgd: per-element inner learning rates meta-learned with the weights, from %g; exact second-order meta-gradient%s",
		s.InnerLR, FirstOrderNote(s))}
}

func (ms *MetaSGD[T]) build(m nn.Model[T], task *Task[T], params []*tensor.Tensor[T], steps int, second bool) (func(tp *autodiff.Tape[T], theta, meta []*Var[T]) (*unroll[T], *Var[T], *Var[T]), error) {
	if len(ms.alpha) != len(params) {
		return nil, fmt.Errorf("maml: metasgd has %d learned rates for %d parameters (its state comes from NewOuter)", len(ms.alpha), len(params))
	}
	return func(tp *autodiff.Tape[T], theta, alpha []*Var[T]) (*unroll[T], *Var[T], *Var[T]) {
		u := &unroll[T]{steps: steps, second: second, adapt: allIndices(len(theta)), forward: plainForward(m),
			update: func(_, i int, p, g *Var[T]) *Var[T] { return autodiff.Sub(p, autodiff.Mul(alpha[i], g)) }}
		return u, tp.Const(task.XS), tp.Const(task.XQ)
	}, nil
}

// TaskGrad returns the meta-gradient with respect to θ then α.
func (ms *MetaSGD[T]) TaskGrad(m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings, _ *rand.Rand) (*TaskResult[T], error) {
	b, err := ms.build(m, task, params, s.InnerSteps, s.Iteration >= s.FirstOrderIterations)
	if err != nil {
		return nil, err
	}
	return unrolledTask(params, ms.alpha, task, s.Work, nil, b)
}

// EvalTask adapts with s.TestSteps steps at the learned rates.
func (ms *MetaSGD[T]) EvalTask(m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings) (float64, float64, error) {
	b, err := ms.build(m, task, params, s.TestSteps, false)
	if err != nil {
		return 0, 0, err
	}
	return unrolledEval(params, ms.alpha, task, s.Work, b)
}
