package maml

import (
	"fmt"
	"math/rand/v2"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/optim"
	"github.com/metabench/metabench/tensor"
)

func init() {
	Register(Def{Name: "reptile", Caps: Caps{OwnOuterStep: true}, SharedBlock: true,
		Options: func() any { o := DefaultReptileOptions(); return &o },
		New32:   func(o any) Method[float32] { return &Reptile[float32]{Options: *o.(*ReptileOptions)} },
		New64:   func(o any) Method[float64] { return &Reptile[float64]{Options: *o.(*ReptileOptions)} }})
}

// ReptileOptions are Reptile's own settings, the reptile: block of an
// experiment file (Nichol et al. 2018).
type ReptileOptions struct {
	InnerOptimizer string  `yaml:"inner_optimizer"` // adam or sgd
	InnerBatch     int     `yaml:"inner_batch"`     // minibatch of the task's examples per inner step; 0 = all
	UseQuery       bool    `yaml:"use_query"`       // train on support and query (Reptile has no query split)
	MetaStep       float64 `yaml:"meta_step"`       // epsilon at iteration 0
	MetaStepFinal  float64 `yaml:"meta_step_final"` // epsilon at the last iteration (linear decay)
	// CarryAdam carries the inner Adam's second moments and step count from
	// task to task (Nichol et al.'s code resets only the model's variables
	// between tasks); the tasks of a meta-batch then run one after another.
	CarryAdam bool `yaml:"carry_adam"`
}

// DefaultReptileOptions are Nichol et al.'s: inner Adam on minibatches of
// 10 drawn from support and query, ε from 1 to 0, the inner Adam carried.
func DefaultReptileOptions() ReptileOptions {
	return ReptileOptions{InnerOptimizer: "adam", InnerBatch: 10, UseQuery: true, MetaStep: 1, MetaStepFinal: 0, CarryAdam: true}
}

// Validate checks the block's ranges.
func (o *ReptileOptions) Validate() error {
	switch {
	case o.InnerOptimizer != "adam" && o.InnerOptimizer != "sgd":
		return fmt.Errorf("inner_optimizer: %q is not adam or sgd", o.InnerOptimizer)
	case o.InnerBatch < 0:
		return fmt.Errorf("inner_batch: must be at least 0")
	case o.MetaStep <= 0:
		return fmt.Errorf("meta_step: must be above 0")
	case o.MetaStepFinal < 0:
		return fmt.Errorf("meta_step_final: must be at least 0")
	}
	return nil
}

// Reptile is Reptile with its inner optimiser and a linearly decayed meta
// step. With Options.CarryAdam and Adam, the inner Adam created by NewOuter
// is carried through the tasks in order (so they run one after another),
// saved with the outer state, and used, as a copy, to start every test-time
// adaptation, as in Nichol et al.'s code.
type Reptile[T tensor.Float] struct {
	Options ReptileOptions
	carry   *optim.Adam[T]
}

// Name is "reptile".
func (*Reptile[T]) Name() string { return "reptile" }

func (r *Reptile[T]) hyper(s *Settings, steps int) ReptileHyper {
	o := r.Options
	return ReptileHyper{LR: s.InnerLR, Steps: steps, Optimizer: o.InnerOptimizer, Batch: o.InnerBatch, UseQuery: o.UseQuery}
}

// Sequential reports whether the tasks of a meta-batch must run in order
// (they share the carried inner Adam state).
func (r *Reptile[T]) Sequential() bool { return r.carry != nil }

// TaskGrad is ReptileTask (from the carried inner Adam state, if any).
func (r *Reptile[T]) TaskGrad(model nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings, rng *rand.Rand) (*TaskResult[T], error) {
	return reptileTask(model, params, task, r.hyper(s, s.InnerSteps), rng, r.carry)
}

// NewOuter is SGD with ε linearly decayed from Options.MetaStep to
// MetaStepFinal over s.Iterations (constant when s.Iterations is 0). With
// CarryAdam and Adam it also creates the carried inner state, which it
// checkpoints.
func (r *Reptile[T]) NewOuter(s *Settings, params []*tensor.Tensor[T]) Outer[T] {
	o := &DecayedSGD[T]{Start: r.Options.MetaStep, Final: r.Options.MetaStepFinal, Iterations: s.Iterations}
	r.carry = nil
	if r.Options.CarryAdam && r.Options.InnerOptimizer == "adam" {
		r.carry = reptileAdam[T](0)
		r.carry.Alloc(params)
		o.Inner = r.carry
	}
	return o
}

// EvalTask adapts on the full support set with the inner optimiser for
// s.TestSteps steps, starting from a copy of the carried inner state.
func (r *Reptile[T]) EvalTask(model nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings) (float64, float64, error) {
	h := r.hyper(s, s.TestSteps)
	h.Batch, h.UseQuery = 0, false
	var carry *optim.Adam[T]
	if r.carry != nil {
		carry = reptileAdam[T](0)
		carry.Steps = r.carry.Steps
		for _, v := range r.carry.V {
			carry.V = append(carry.V, v.Clone())
		}
	}
	phi, _, err := innerTrain(model, params, task.XS, task.YS, h, nil, carry)
	if err != nil {
		return 0, 0, err
	}
	return AdaptedScore(model, phi, task)
}

// ReptileHyper are Reptile's inner-loop settings.
type ReptileHyper struct {
	LR        float64 // inner learning rate
	Steps     int     // inner steps k
	Optimizer string  // "sgd" or "adam" (β1 = 0, β2 = 0.999, eps = 1e-8, as in Nichol et al.)
	Batch     int     // minibatch size; 0 (or ≥ the task's examples) = full batch
	UseQuery  bool    // train on support and query together
}

// adamEps is the eps of every Adam of the package (the outer Adam and
// Reptile's inner one).
const adamEps = 1e-8

// reptileAdam is Reptile's inner Adam at rate lr (Nichol et al.: β1 = 0,
// β2 = 0.999, eps = 1e-8, in the Kingma form as this package has always
// computed it).
func reptileAdam[T tensor.Float](lr float64) *optim.Adam[T] {
	return &optim.Adam[T]{LR: lr, Beta1: 0, Beta2: 0.999, Eps: adamEps, Form: optim.FormKingma}
}

// ReptileTask runs Reptile's inner loop on one task from params and returns
// the direction θ - φ in Grads (the outer step is θ ← θ - ε·mean(Grads)),
// the adapted φ in Adapted, the minibatch losses, and the query accuracy and
// loss at φ. rng draws the minibatch order; it may be nil for full batches.
func ReptileTask[T tensor.Float](m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], h ReptileHyper, rng *rand.Rand) (*TaskResult[T], error) {
	return reptileTask(m, params, task, h, rng, nil)
}

// reptileTask is ReptileTask starting the inner Adam from carry (updated in
// place) when carry is set.
func reptileTask[T tensor.Float](m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], h ReptileHyper, rng *rand.Rand, carry *optim.Adam[T]) (*TaskResult[T], error) {
	if err := task.Check(); err != nil {
		return nil, err
	}
	x, y := task.XS, task.YS
	if h.UseQuery {
		x, y = concatRows(task.XS, task.XQ), append(append([]int(nil), task.YS...), task.YQ...)
	}
	phi, losses, err := innerTrain(m, params, x, y, h, rng, carry)
	if err != nil {
		return nil, err
	}
	res := &TaskResult[T]{Grads: make([]*tensor.Tensor[T], len(params)), SupportLosses: losses, Adapted: phi}
	for i, p := range params {
		d := tensor.New[T](p.Shape...)
		for j := range d.Data {
			d.Data[j] = p.Data[j] - phi[i].Data[j]
		}
		res.Grads[i] = d
	}
	tp := autodiff.NewTape[T]()
	res.QueryAcc, res.QueryLoss, err = queryScore(m, nn.Vars(tp, phi), task, nil)
	return res, err
}

// innerTrain runs h.Steps steps of SGD or Adam (reptileAdam) on
// minibatches of (x, y) from params, with values only, and returns the final
// parameters and the loss of every step. With carry set (and Adam), the
// second moments and the step count start from carry and are left in it;
// the first moments start at zero for every task (with β1 = 0 they are the
// current gradient).
func innerTrain[T tensor.Float](m nn.Model[T], params []*tensor.Tensor[T], x *tensor.Tensor[T], y []int, h ReptileHyper, rng *rand.Rand, carry *optim.Adam[T]) ([]*tensor.Tensor[T], []float64, error) {
	n := len(y)
	cur := make([]*tensor.Tensor[T], len(params))
	for i, p := range params {
		cur[i] = p.Clone()
	}
	var adam *optim.Adam[T]
	switch h.Optimizer {
	case "adam":
		adam = reptileAdam[T](h.LR)
		if carry != nil {
			if len(carry.V) != len(params) {
				return nil, nil, fmt.Errorf("maml: reptile inner Adam state has %d slots for %d parameters", len(carry.V), len(params))
			}
			for i, p := range params {
				if carry.V[i].Len() != p.Len() {
					return nil, nil, fmt.Errorf("maml: reptile inner Adam slot %d has %d values for %d", i, carry.V[i].Len(), p.Len())
				}
			}
			adam.Alloc(params)
			adam.V, adam.Steps = carry.V, carry.Steps
		}
	case "sgd":
	default:
		return nil, nil, fmt.Errorf("maml: reptile inner optimiser %q is not sgd or adam", h.Optimizer)
	}
	batch := h.Batch
	if batch <= 0 || batch > n {
		batch = n
	}
	var order []int
	pos := n
	losses := make([]float64, 0, h.Steps)
	for t := 0; t < h.Steps; t++ {
		bx, by := x, y
		if batch < n {
			idx := make([]int, batch)
			for j := range idx {
				if pos == n {
					if rng == nil {
						return nil, nil, fmt.Errorf("maml: reptile minibatches need a generator")
					}
					order = rng.Perm(n)
					pos = 0
				}
				idx[j] = order[pos]
				pos++
			}
			bx, by = gatherRows(x, y, idx)
		}
		tp := autodiff.NewTape[T]()
		vs := nn.Vars(tp, cur)
		loss := autodiff.CrossEntropy(m.Forward(tp, vs, tp.Const(bx)), by)
		losses = append(losses, float64(loss.Item()))
		g, err := autodiff.Grad(loss, vs, false)
		if err != nil {
			return nil, nil, fmt.Errorf("maml: reptile inner step %d: %w", t, err)
		}
		if adam != nil {
			adam.Step(cur, nn.Values(g))
			continue
		}
		lr := T(h.LR)
		for i := range cur {
			gd := g[i].Value().Data
			for j := range cur[i].Data {
				cur[i].Data[j] -= lr * gd[j]
			}
		}
	}
	if carry != nil && adam != nil {
		carry.Steps = adam.Steps
	}
	return cur, losses, nil
}

// concatRows stacks two NCHW tensors along N.
func concatRows[T tensor.Float](a, b *tensor.Tensor[T]) *tensor.Tensor[T] {
	s := append([]int{a.Shape[0] + b.Shape[0]}, a.Shape[1:]...)
	out := tensor.New[T](s...)
	copy(out.Data, a.Data)
	copy(out.Data[len(a.Data):], b.Data)
	return out
}

// gatherRows returns the rows idx of x and their labels.
func gatherRows[T tensor.Float](x *tensor.Tensor[T], y []int, idx []int) (*tensor.Tensor[T], []int) {
	row := x.Len() / x.Shape[0]
	s := append([]int{len(idx)}, x.Shape[1:]...)
	out := tensor.New[T](s...)
	ly := make([]int, len(idx))
	for j, i := range idx {
		copy(out.Data[j*row:(j+1)*row], x.Data[i*row:(i+1)*row])
		ly[j] = y[i]
	}
	return out, ly
}
