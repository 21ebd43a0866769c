package maml

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

// ReptileHyper are Reptile's inner-loop settings.
type ReptileHyper struct {
	LR        float64 // inner learning rate
	Steps     int     // inner steps k
	Optimizer string  // "sgd" or "adam" (β1 = 0, β2 = 0.999, eps = 1e-8, as in Nichol et al.)
	Batch     int     // minibatch size; 0 (or ≥ the task's examples) = full batch
	UseQuery  bool    // train on support and query together
}

// Adam constants of Reptile's inner optimiser (Nichol et al. use β1 = 0).
const (
	reptileBeta1 = 0.0
	reptileBeta2 = 0.999
	adamEps      = 1e-8
)

// ReptileTask runs Reptile's inner loop on one task from params and returns
// the direction θ - φ in Grads (the outer step is θ ← θ - ε·mean(Grads)),
// the adapted φ in Adapted, the minibatch losses, and the query accuracy and
// loss at φ. rng draws the minibatch order; it may be nil for full batches.
func ReptileTask[T tensor.Float](m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], h ReptileHyper, rng *rand.Rand) (*TaskResult[T], error) {
	return reptileTask(m, params, task, h, rng, nil)
}

// InnerAdam is the state of Reptile's inner Adam carried from task to task,
// as in Nichol et al.'s code, where only the model's variables are reset
// between tasks and Adam's slots live on: the second moments V (one slice
// per parameter) and the number of steps taken, which sets the bias
// correction 1 - β2^t. With β1 = 0 the first moment is the current gradient,
// so it needs no state. Tasks that share one InnerAdam run one after another.
type InnerAdam[T tensor.Float] struct {
	Steps int
	V     [][]T
}

// NewInnerAdam returns a zero state for parameters of these shapes.
func NewInnerAdam[T tensor.Float](params []*tensor.Tensor[T]) *InnerAdam[T] {
	a := &InnerAdam[T]{V: make([][]T, len(params))}
	for i, p := range params {
		a.V[i] = make([]T, p.Len())
	}
	return a
}

// Clone returns a deep copy.
func (a *InnerAdam[T]) Clone() *InnerAdam[T] {
	c := &InnerAdam[T]{Steps: a.Steps, V: make([][]T, len(a.V))}
	for i, v := range a.V {
		c.V[i] = append([]T(nil), v...)
	}
	return c
}

// reptileTask is ReptileTask starting the inner Adam from carry (updated in
// place) when carry is set.
func reptileTask[T tensor.Float](m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], h ReptileHyper, rng *rand.Rand, carry *InnerAdam[T]) (*TaskResult[T], error) {
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

// innerTrain runs h.Steps steps of SGD or Adam on minibatches of (x, y) from
// params, with values only, and returns the final parameters and the loss of
// every step. With carry set (and Adam), the second moments and the step
// count start from carry and are left in it.
func innerTrain[T tensor.Float](m nn.Model[T], params []*tensor.Tensor[T], x *tensor.Tensor[T], y []int, h ReptileHyper, rng *rand.Rand, carry *InnerAdam[T]) ([]*tensor.Tensor[T], []float64, error) {
	n := len(y)
	cur := make([]*tensor.Tensor[T], len(params))
	for i, p := range params {
		cur[i] = p.Clone()
	}
	var mom, vel [][]T
	if h.Optimizer == "adam" {
		mom, vel = make([][]T, len(params)), make([][]T, len(params))
		for i, p := range params {
			mom[i], vel[i] = make([]T, p.Len()), make([]T, p.Len())
		}
	} else if h.Optimizer != "sgd" {
		return nil, nil, fmt.Errorf("maml: reptile inner optimiser %q is not sgd or adam", h.Optimizer)
	}
	step0 := 0
	if carry != nil && vel != nil {
		if len(carry.V) != len(params) {
			return nil, nil, fmt.Errorf("maml: reptile inner Adam state has %d slots for %d parameters", len(carry.V), len(params))
		}
		for i, p := range params {
			if len(carry.V[i]) != p.Len() {
				return nil, nil, fmt.Errorf("maml: reptile inner Adam slot %d has %d values for %d", i, len(carry.V[i]), p.Len())
			}
		}
		vel, step0 = carry.V, carry.Steps
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
		lr := T(h.LR)
		if mom == nil {
			for i := range cur {
				gd := g[i].Value().Data
				for j := range cur[i].Data {
					cur[i].Data[j] -= lr * gd[j]
				}
			}
			continue
		}
		step := float64(step0 + t + 1)
		c1 := T(1 - math.Pow(reptileBeta1, step))
		c2 := T(1 - math.Pow(reptileBeta2, step))
		for i := range cur {
			gd := g[i].Value().Data
			mi, vi, ci := mom[i], vel[i], cur[i].Data
			for j := range ci {
				mi[j] = T(reptileBeta1)*mi[j] + T(1-reptileBeta1)*gd[j]
				vi[j] = T(reptileBeta2)*vi[j] + T(1-reptileBeta2)*gd[j]*gd[j]
				mh := mi[j] / c1
				vh := vi[j] / c2
				ci[j] -= lr * mh / (T(math.Sqrt(float64(vh))) + T(adamEps))
			}
		}
	}
	if carry != nil && vel != nil {
		carry.Steps = step0 + h.Steps
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
