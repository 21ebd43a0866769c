package maml

import (
	"fmt"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

// Var is a variable of the autodiff tape (shorthand in this package).
type Var[T tensor.Float] = autodiff.Var[T]

// unroll is an inner loop of the gradient-based baselines (ANIL, Meta-SGD,
// MAML++): steps of gradient descent on the support loss that update the
// parameters at the indices adapt only, each by its own rule,
//
//	θ_{t+1,i} = update(t, i, θ_{t,i}, ∇_i L_S(θ_t))     i ∈ adapt
//	θ_{t+1,j} = θ_{t,j}                                 j ∉ adapt
//
// with the network at step t given by forward (MAML++ swaps in step t's
// batch-norm weights). With second the inner gradients are taken with
// createGraph, so every θ_t is an exact differentiable function of θ and of
// the rule's meta-parameters; without it each inner gradient is a constant
// (first order: the chain through the Hessian is dropped, the rule's
// learned rates still get their gradient through the update).
type unroll[T tensor.Float] struct {
	steps   int
	second  bool
	adapt   []int
	forward func(t int, p []*Var[T], x *Var[T]) *Var[T]
	update  func(t, i int, p, g *Var[T]) *Var[T]
}

// run returns θ_1..θ_T (full parameter lists) and the support losses at
// θ_0..θ_{T-1}.
func (u *unroll[T]) run(theta []*Var[T], xs *Var[T], ys []int) ([][]*Var[T], []float64, error) {
	cur := theta
	out := make([][]*Var[T], 0, u.steps)
	losses := make([]float64, 0, u.steps)
	for t := 0; t < u.steps; t++ {
		loss := autodiff.CrossEntropy(u.forward(t, cur, xs), ys)
		losses = append(losses, float64(loss.Item()))
		wrt := make([]*Var[T], len(u.adapt))
		for k, i := range u.adapt {
			wrt[k] = cur[i]
		}
		g, err := autodiff.Grad(loss, wrt, u.second)
		if err != nil {
			return nil, nil, fmt.Errorf("maml: inner step %d: %w", t, err)
		}
		next := append([]*Var[T](nil), cur...)
		for k, i := range u.adapt {
			gi := g[k]
			if !u.second {
				gi = gi.Detach()
			}
			next[i] = u.update(t, i, cur[i], gi)
		}
		out = append(out, next)
		cur = next
	}
	return out, losses, nil
}

// unrolledTask is one task of an unrolled method on its own tape: build
// makes, from the variables of θ and of the method's meta-parameters, the
// inner loop and the support and query inputs (images, or ANIL's features);
// the meta-objective is the query loss at θ_T, or, with weights (one per
// step, MAML++'s multi-step loss), Σ_t weights[t] · L_Q(θ_{t+1}) over the
// steps whose weight is not 0. It returns the gradient of the objective
// with respect to θ then the meta-parameters, the query loss and accuracy at
// θ_T, and θ_T.
func unrolledTask[T tensor.Float](params, meta []*tensor.Tensor[T], task *Task[T], work *tensor.WorkPool, weights []float64,
	build func(tp *autodiff.Tape[T], theta, meta []*Var[T]) (u *unroll[T], xs, xq *Var[T])) (*TaskResult[T], error) {
	tp, done, err := taskTape(task, work)
	if err != nil {
		return nil, err
	}
	defer done()
	theta, mv := nn.Vars(tp, params), nn.Vars(tp, meta)
	u, xs, xq := build(tp, theta, mv)
	thetas, losses, err := u.run(theta, xs, task.YS)
	if err != nil {
		return nil, err
	}
	final, last := theta, 0
	if u.steps > 0 {
		final, last = thetas[u.steps-1], u.steps-1
	}
	logits := u.forward(last, final, xq)
	lq := autodiff.CrossEntropy(logits, task.YQ)
	obj := lq
	if weights != nil && u.steps > 0 {
		if len(weights) != u.steps {
			return nil, fmt.Errorf("maml: %d step-loss weights for %d inner steps", len(weights), u.steps)
		}
		var terms []*Var[T]
		for t, w := range weights {
			switch {
			case w == 0:
			case t == u.steps-1:
				terms = append(terms, autodiff.Scale(lq, T(w)))
			default:
				l := autodiff.CrossEntropy(u.forward(t, thetas[t], xq), task.YQ)
				terms = append(terms, autodiff.Scale(l, T(w)))
			}
		}
		obj = autodiff.AddN(terms...)
	}
	return metaResult(obj, lq, logits, append(append([]*Var[T](nil), theta...), mv...), final, losses, task.YQ)
}

// unrolledEval adapts with the test-time loop (values only: no second
// graph, nothing recorded for a meta-gradient) and scores the query set.
func unrolledEval[T tensor.Float](params, meta []*tensor.Tensor[T], task *Task[T], work *tensor.WorkPool,
	build func(tp *autodiff.Tape[T], theta, meta []*Var[T]) (u *unroll[T], xs, xq *Var[T])) (acc, loss float64, err error) {
	tp, done, err := taskTape(task, work)
	if err != nil {
		return 0, 0, err
	}
	defer done()
	theta := nn.Vars(tp, params)
	var mv []*Var[T]
	for _, m := range meta {
		mv = append(mv, tp.Const(m))
	}
	u, xs, xq := build(tp, theta, mv)
	u.second = false
	thetas, _, err := u.run(theta, xs, task.YS)
	if err != nil {
		return 0, 0, err
	}
	final, last := theta, 0
	if u.steps > 0 {
		final, last = thetas[u.steps-1], u.steps-1
	}
	var logits, lq *Var[T]
	tp.NoGrad(func() {
		logits = u.forward(last, final, xq)
		lq = autodiff.CrossEntropy(logits, task.YQ)
	})
	return nn.Accuracy(logits.Value(), task.YQ), float64(lq.Item()), nil
}

// sgdUpdate is θ - lr·g.
func sgdUpdate[T tensor.Float](lr float64) func(t, i int, p, g *Var[T]) *Var[T] {
	return func(_, _ int, p, g *Var[T]) *Var[T] { return autodiff.Sub(p, autodiff.Scale(g, T(lr))) }
}

// plainForward is the model's forward at every step.
func plainForward[T tensor.Float](m nn.Model[T]) func(t int, p []*Var[T], x *Var[T]) *Var[T] {
	return func(_ int, p []*Var[T], x *Var[T]) *Var[T] { return m.Forward(x.Tape(), p, x) }
}

// allIndices is 0..n-1.
func allIndices(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}
