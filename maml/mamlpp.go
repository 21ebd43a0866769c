package maml

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

func init() {
	Register(Def{Name: "mamlpp", Caps: Caps{SecondOrder: true},
		Options: func() any { return &MAMLPPOptions{PerStepBN: true, LearnInnerLR: true} },
		New32:   func(o any) Method[float32] { return &MAMLPP[float32]{Options: *o.(*MAMLPPOptions)} },
		New64:   func(o any) Method[float64] { return &MAMLPP[float64]{Options: *o.(*MAMLPPOptions)} }})
}

// MAMLPPOptions are MAML++'s own settings, the mamlpp: block of an
// experiment file (its derivative-order annealing is first_order_iterations
// and its cosine annealing meta_lr_schedule: cosine).
type MAMLPPOptions struct {
	// MultiStepLossIterations anneals the multi-step loss (the query loss
	// after every inner step, weighted) towards the final step's loss over
	// this many meta-iterations; 0 = the final step's loss throughout.
	MultiStepLossIterations int  `yaml:"multi_step_loss_iterations"`
	PerStepBN               bool `yaml:"per_step_bn"`    // batch-norm weights per inner step, meta-learned
	LearnInnerLR            bool `yaml:"learn_inner_lr"` // an inner learning rate per layer and step, meta-learned from inner_lr
}

// Validate checks the block's ranges.
func (o *MAMLPPOptions) Validate() error {
	if o.MultiStepLossIterations < 0 {
		return errors.New("multi_step_loss_iterations: must be 0 (the final step's loss only) or above")
	}
	return nil
}

// MAMLPP is MAML++ (Antoniou et al. 2019, "How to train your MAML"): MAML
// with, each switched by Options,
//
//   - the multi-step loss (MultiStepLossIterations > 0): the meta-objective is
//     Σ_t v_t(i) L_Q(θ_{t+1}) over the S = InnerSteps steps, with weights
//     annealed over MultiStepLossIterations meta-iterations from uniform towards the
//     final step (mslWeights), then the final step's loss alone;
//   - per-step batch-norm weights (PerStepBN): every batch norm has a scale
//     and a shift per inner step, γ[t] and β[t], meta-learned and not adapted
//     by the inner loop; the forward pass at step t (and the query pass after
//     step t) uses row t. Its statistics are those of the batch of that step
//     (transductive, as everywhere in metabench and as in the reference code,
//     which calls batch norm in training mode at test time too), so the
//     per-step statistics need no stored running averages;
//   - learned per-layer per-step inner rates (LearnInnerLR): one rate α[t]_ℓ
//     per adapted parameter tensor ℓ and step t, starting at InnerLR,
//     θ_{t+1,ℓ} = θ_{t,ℓ} - α[t]_ℓ ∇_ℓ L_S(θ_t);
//   - derivative-order annealing (FirstOrderIterations): first order (inner
//     gradients as constants) below that iteration, exact second order after;
//   - cosine annealing of the Adam rate (MetaLRSchedule "cosine").
//
// The per-step tables have S rows; test-time steps past S reuse the last
// row. They are created by NewOuter (per-step batch norm needs the model's
// layout: use NewOuterFor) and saved with the outer state.
type MAMLPP[T tensor.Float] struct {
	Options MAMLPPOptions
	names   []string // the model's parameter names (bind)
	bnIdx   []int    // parameters that are batch-norm weights (with PerStepBN)
	adapt   []int    // parameters the inner loop adapts
	lrs, bn []*tensor.Tensor[T]
	err     error
}

// Name is "mamlpp".
func (*MAMLPP[T]) Name() string { return "mamlpp" }

// BindModel records the model's parameter names (NewOuterFor).
func (mp *MAMLPP[T]) BindModel(m nn.Model[T]) { mp.names = m.ParamNames() }

// MetaParams are the learned rates, then the per-step batch-norm weights.
func (mp *MAMLPP[T]) MetaParams() []*tensor.Tensor[T] {
	return append(append([]*tensor.Tensor[T](nil), mp.lrs...), mp.bn...)
}

// perStepRows is S = InnerSteps, at least 1.
func perStepRows(s *Settings) int { return max(s.InnerSteps, 1) }

// NewOuter creates the per-step tables (rates at s.InnerLR; batch-norm rows
// equal to the model's current γ and β) and returns Adam over θ and them.
func (mp *MAMLPP[T]) NewOuter(s *Settings, params []*tensor.Tensor[T]) Outer[T] {
	rows := perStepRows(s)
	mp.bnIdx, mp.lrs, mp.bn, mp.err = nil, nil, nil, nil
	if mp.Options.PerStepBN {
		if len(mp.names) != len(params) {
			mp.err = errors.New("maml: mamlpp's per-step batch norm needs the model's parameter names: create its outer optimiser with NewOuterFor")
		}
		for i, n := range mp.names {
			if strings.HasSuffix(n, ".gamma") || strings.HasSuffix(n, ".beta") {
				mp.bnIdx = append(mp.bnIdx, i)
			}
		}
		if mp.err == nil && len(mp.bnIdx) == 0 {
			mp.err = errors.New("maml: mamlpp.per_step_bn: the model has no batch-norm weights (*.gamma, *.beta)")
		}
	}
	mp.adapt = nil
	for i := range params {
		if !slices.Contains(mp.bnIdx, i) {
			mp.adapt = append(mp.adapt, i)
		}
	}
	if mp.Options.LearnInnerLR {
		for range mp.adapt {
			mp.lrs = append(mp.lrs, tensor.Full(T(s.InnerLR), rows))
		}
	}
	for _, i := range mp.bnIdx {
		p := params[i]
		t := tensor.New[T](rows, p.Len())
		for r := 0; r < rows; r++ {
			copy(t.Data[r*p.Len():], p.Data)
		}
		mp.bn = append(mp.bn, t)
	}
	all := append(append([]*tensor.Tensor[T](nil), params...), mp.MetaParams()...)
	return WithMeta[T](MetaAdam(s, all), mp.Name(), mp.MetaParams())
}

// row returns row t (clamped to the last) of a per-step table as a tensor
// of the given shape.
func row[T tensor.Float](v *Var[T], t int, shape []int) *Var[T] {
	t = min(t, v.Shape()[0]-1)
	return autodiff.Reshape(autodiff.Slice(v, 0, t, t+1, 1), shape...)
}

func (mp *MAMLPP[T]) build(m nn.Model[T], task *Task[T], s *Settings, params []*tensor.Tensor[T], steps int, second bool) (func(tp *autodiff.Tape[T], theta, meta []*Var[T]) (*unroll[T], *Var[T], *Var[T]), error) {
	if mp.err != nil {
		return nil, mp.err
	}
	if mp.adapt == nil || (len(mp.lrs) > 0 && len(mp.lrs) != len(mp.adapt)) || len(mp.bn) != len(mp.bnIdx) {
		return nil, errors.New("maml: mamlpp has no per-step state (it comes from NewOuter)")
	}
	if mp.adapt[len(mp.adapt)-1] >= len(params) {
		return nil, fmt.Errorf("maml: mamlpp's state is for other parameters than these %d", len(params))
	}
	pos := make(map[int]int, len(mp.adapt))
	for k, i := range mp.adapt {
		pos[i] = k
	}
	return func(tp *autodiff.Tape[T], theta, meta []*Var[T]) (*unroll[T], *Var[T], *Var[T]) {
		lrv, bnv := meta[:len(mp.lrs)], meta[len(mp.lrs):]
		u := &unroll[T]{steps: steps, second: second, adapt: mp.adapt, forward: plainForward(m), update: sgdUpdate[T](s.InnerLR)}
		if len(bnv) > 0 {
			u.forward = func(t int, p []*Var[T], x *Var[T]) *Var[T] {
				q := append([]*Var[T](nil), p...)
				for k, i := range mp.bnIdx {
					q[i] = row(bnv[k], t, params[i].Shape)
				}
				return m.Forward(tp, q, x)
			}
		}
		if len(lrv) > 0 {
			u.update = func(t, i int, p, g *Var[T]) *Var[T] {
				return autodiff.Sub(p, autodiff.Mul(g, row(lrv[pos[i]], t, nil)))
			}
		}
		return u, tp.Const(task.XS), tp.Const(task.XQ)
	}, nil
}

// TaskGrad returns the gradient of the (multi-step) meta-objective with
// respect to θ, then the learned rates and the per-step batch-norm weights.
func (mp *MAMLPP[T]) TaskGrad(m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings, _ *rand.Rand) (*TaskResult[T], error) {
	b, err := mp.build(m, task, s, params, s.InnerSteps, s.Iteration >= s.FirstOrderIterations)
	if err != nil {
		return nil, err
	}
	return unrolledTask(params, mp.MetaParams(), task, s.Work, mslWeights(s.InnerSteps, s.Iteration, mp.Options.MultiStepLossIterations), b)
}

// EvalTask adapts with s.TestSteps steps with the learned rates and the
// per-step batch-norm weights.
func (mp *MAMLPP[T]) EvalTask(m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings) (float64, float64, error) {
	b, err := mp.build(m, task, s, params, s.TestSteps, false)
	if err != nil {
		return 0, 0, err
	}
	return unrolledEval(params, mp.MetaParams(), task, s.Work, b)
}

// mslWeights are MAML++'s multi-step loss weights at meta-iteration iter for
// S steps annealed over n iterations (Antoniou et al.'s
// get_per_step_loss_importance_vector with epochs replaced by the fraction
// f = iter/n): every step starts at 1/S; the others fall to a floor of
// 0.03/S and the final step rises to take their weight,
//
//	v_t = max(1/S - f/S, 0.03/S)                    t < S-1
//	v_{S-1} = min(1/S + f (S-1)/S, 1 - (S-1) 0.03/S)
//
// nil (the final step's loss alone) when n is 0 or iter ≥ n.
func mslWeights(steps, iter, n int) []float64 {
	if n <= 0 || iter >= n || steps < 1 {
		return nil
	}
	S, f := float64(steps), float64(iter)/float64(n)
	floor := 0.03 / S
	w := make([]float64, steps)
	for t := range w {
		w[t] = math.Max(1/S-f/S, floor)
	}
	w[steps-1] = math.Min(1/S+f*(S-1)/S, 1-(S-1)*floor)
	return w
}

// NewOuterFor is meth.NewOuter for the parameters of model m, for methods
// whose meta-parameters depend on the model's layout (ModelBinder: MAML++'s
// per-step batch norm). Trainers, and evaluations that restore a
// checkpoint's outer state, call it in place of meth.NewOuter.
func NewOuterFor[T tensor.Float](meth Method[T], m nn.Model[T], s *Settings, params []*tensor.Tensor[T]) Outer[T] {
	if b, ok := meth.(ModelBinder[T]); ok {
		b.BindModel(m)
	}
	return meth.NewOuter(s, params)
}

// Describe names the switches, the schedule and the annealing.
func (mp *MAMLPP[T]) Describe(s *Settings) map[string]any {
	o := mp.Options
	msl := "final step's loss only"
	if o.MultiStepLossIterations > 0 {
		msl = fmt.Sprintf("multi-step loss annealed over %d iterations", o.MultiStepLossIterations)
	}
	sched := s.MetaLRSchedule
	if sched == "" {
		sched = "linear"
	}
	return map[string]any{
		"method_variant": fmt.Sprintf("mamlpp: %s; per-step BN weights %v (batch statistics of each step); learned per-layer per-step inner lr %v; meta lr schedule %s%s",
			msl, o.PerStepBN, o.LearnInnerLR, sched, FirstOrderNote(s)),
		"mamlpp_multi_step_loss_iterations": o.MultiStepLossIterations, "mamlpp_per_step_bn": o.PerStepBN, "mamlpp_learn_inner_lr": o.LearnInnerLR,
		"meta_lr_schedule": sched,
	}
}
