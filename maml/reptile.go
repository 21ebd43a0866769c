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
	if err := task.Check(); err != nil {
		return nil, err
	}
	x, y := task.XS, task.YS
	if h.UseQuery {
		x, y = concatRows(task.XS, task.XQ), append(append([]int(nil), task.YS...), task.YQ...)
	}
	phi, losses, err := innerTrain(m, params, x, y, h, rng)
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
// every step.
func innerTrain[T tensor.Float](m nn.Model[T], params []*tensor.Tensor[T], x *tensor.Tensor[T], y []int, h ReptileHyper, rng *rand.Rand) ([]*tensor.Tensor[T], []float64, error) {
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
		step := float64(t + 1)
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
