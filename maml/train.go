package maml

import (
	"fmt"

	"github.com/metabench/metabench/internal/parallel"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/optim"
	"github.com/metabench/metabench/tensor"
)

// TaskSource returns task k of meta-iteration iter. It must be a pure
// function of (iter, k) and safe for concurrent use.
type TaskSource[T tensor.Float] func(iter, k int) (*Task[T], error)

// Trainer runs meta-iterations.
type Trainer[T tensor.Float] struct {
	Model     nn.Model[T]
	Method    Method[T]
	Settings  Settings
	Params    []*tensor.Tensor[T] // θ, updated in place
	Outer     Outer[T]
	Seed      int64
	MetaBatch int
	Workers   int // 0 = GOMAXPROCS
	Source    TaskSource[T]
	// ZeroParams lists parameters (indices into Params) held at zero: Step
	// zeroes them before its tasks run and drops their part of the mean
	// direction, so every task adapts them from zero. With the classifier
	// head this is the zeroing trick of Kao et al. (2022).
	ZeroParams []int
}

// NewTrainer returns a trainer whose outer optimiser is the method's.
func NewTrainer[T tensor.Float](m nn.Model[T], meth Method[T], s Settings, params []*tensor.Tensor[T], seed int64, metaBatch, workers int, src TaskSource[T]) *Trainer[T] {
	return &Trainer[T]{Model: m, Method: meth, Settings: s, Params: params, Outer: NewOuterFor(meth, m, &s, params),
		Seed: seed, MetaBatch: metaBatch, Workers: workers, Source: src}
}

// StepStats summarises one meta-iteration: mean query loss and accuracy of
// the adapted tasks (before the outer update).
type StepStats struct {
	Loss, Acc float64
}

// Step runs meta-iteration iter: the tasks in parallel, their directions
// summed in task order, divided by the meta-batch, optionally clipped, and
// handed to the outer optimiser, with the method's own meta-parameters after
// θ when it has some (MetaParamsMethod).
func (tr *Trainer[T]) Step(iter int) (StepStats, error) {
	res := make([]*TaskResult[T], tr.MetaBatch)
	workers := tr.Workers
	if sq, ok := tr.Method.(Sequential); ok && sq.Sequential() {
		workers = 1 // the tasks share state and run in task order
	}
	for _, i := range tr.ZeroParams {
		clear(tr.Params[i].Data)
	}
	s := tr.Settings
	s.Iteration = iter
	err := parallel.For(tr.MetaBatch, workers, func(k int) error {
		task, err := tr.Source(iter, k)
		if err != nil {
			return fmt.Errorf("iteration %d task %d: %w", iter, k, err)
		}
		r, err := tr.Method.TaskGrad(tr.Model, tr.Params, task, &s, TaskRand(tr.Seed, iter, k))
		if err != nil {
			return fmt.Errorf("iteration %d task %d: %w", iter, k, err)
		}
		res[k] = r
		return nil
	})
	if err != nil {
		return StepStats{}, err
	}
	// θ, then the method's own meta-parameters (MetaParamsMethod)
	all := append(append([]*tensor.Tensor[T](nil), tr.Params...), metaParamsOf(tr.Method)...)
	mean := make([]*tensor.Tensor[T], len(all))
	var st StepStats
	for i, p := range all {
		mean[i] = tensor.New[T](p.Shape...)
	}
	for k, r := range res { // task order: deterministic
		if len(r.Grads) != len(all) {
			return StepStats{}, fmt.Errorf("iteration %d task %d: %s returned %d gradients for %d parameters", iter, k, tr.Method.Name(), len(r.Grads), len(all))
		}
		for i, g := range r.Grads {
			d := mean[i].Data
			for j, v := range g.Data {
				d[j] += v
			}
		}
		st.Loss += r.QueryLoss
		st.Acc += r.QueryAcc
	}
	for _, i := range tr.ZeroParams {
		clear(mean[i].Data)
	}
	inv := T(1) / T(tr.MetaBatch)
	for _, m := range mean {
		for j := range m.Data {
			m.Data[j] *= inv
		}
	}
	if tr.Settings.Clip > 0 {
		c := T(tr.Settings.Clip)
		optim.ClipByValue(mean, -c, c)
	}
	tr.Outer.Step(all, mean, iter)
	st.Loss /= float64(tr.MetaBatch)
	st.Acc /= float64(tr.MetaBatch)
	return st, nil
}

// Evaluate adapts params to n episodes (episode(i), i = 0..n-1) with the
// method's test-time adaptation and returns the query accuracy of each, in
// episode order.
func Evaluate[T tensor.Float](meth Method[T], m nn.Model[T], params []*tensor.Tensor[T], s *Settings, n, workers int, episode func(i int) (*Task[T], error)) ([]float64, error) {
	accs := make([]float64, n)
	err := parallel.For(n, workers, func(i int) error {
		task, err := episode(i)
		if err != nil {
			return fmt.Errorf("episode %d: %w", i, err)
		}
		a, _, err := meth.EvalTask(m, params, task, s)
		if err != nil {
			return fmt.Errorf("episode %d: %w", i, err)
		}
		accs[i] = a
		return nil
	})
	return accs, err
}
