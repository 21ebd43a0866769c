package maml

import (
	"fmt"
	"math/rand/v2"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

// Task is one few-shot episode: support images XS [Ns, C, H, W] with labels
// YS in 0..ways-1, and query images XQ with labels YQ.
type Task[T tensor.Float] struct {
	XS *tensor.Tensor[T]
	YS []int
	XQ *tensor.Tensor[T]
	YQ []int
}

// Check validates shapes and labels.
func (t *Task[T]) Check() error {
	if t == nil || t.XS == nil || t.XQ == nil {
		return fmt.Errorf("maml: task without support or query images")
	}
	if len(t.XS.Shape) != 4 || t.XS.Shape[0] != len(t.YS) {
		return fmt.Errorf("maml: support images %v for %d labels", t.XS.Shape, len(t.YS))
	}
	if len(t.XQ.Shape) != 4 || t.XQ.Shape[0] != len(t.YQ) {
		return fmt.Errorf("maml: query images %v for %d labels", t.XQ.Shape, len(t.YQ))
	}
	return nil
}

// Hyper are the per-task settings of the inner loop.
type Hyper struct {
	InnerLR    float64 // α
	InnerSteps int     // T
	// SecondOrder keeps the Hessian terms (exact MAML); false is first-order.
	SecondOrder bool
	// Work, when set, lends each task a workspace whose arena recycles the
	// tape's buffers from task to task (results are copied out); nil
	// allocates afresh. It changes no number.
	Work *tensor.WorkPool
}

// TaskResult is what one task contributes to a meta-iteration.
type TaskResult[T tensor.Float] struct {
	// Grads is the task's meta-gradient (or Reptile direction θ - φ), one
	// tensor per parameter.
	Grads []*tensor.Tensor[T]
	// SupportLosses[t] is the support loss at θ_t, t = 0..T-1.
	SupportLosses []float64
	// QueryLoss and QueryAcc are measured at the adapted parameters.
	QueryLoss, QueryAcc float64
	// Objective is the meta-objective whose gradient Grads is: the query
	// loss, or MAML++'s weighted multi-step loss (0 for Reptile, which has
	// none).
	Objective float64
	// Adapted are the adapted parameters θ_T (values only).
	Adapted []*tensor.Tensor[T]
}

// Adapt runs steps of plain gradient descent on the support loss from the
// variables theta, all on tape tp:
//
//	θ_{t+1} = θ_t - lr ∇L_S(θ_t)
//
// With createGraph the result is a differentiable function of theta (exact
// MAML); without it every θ_t, t ≥ 1, is a fresh leaf (first-order). It
// returns θ_T and the support losses at θ_0..θ_{T-1}.
func Adapt[T tensor.Float](m nn.Model[T], tp *autodiff.Tape[T], theta []*autodiff.Var[T], xs *autodiff.Var[T], ys []int, lr float64, steps int, createGraph bool) ([]*autodiff.Var[T], []float64, error) {
	cur := theta
	losses := make([]float64, 0, steps)
	for t := 0; t < steps; t++ {
		loss := autodiff.CrossEntropy(m.Forward(tp, cur, xs), ys)
		losses = append(losses, float64(loss.Item()))
		var g []*autodiff.Var[T]
		var err error
		if createGraph {
			g, err = autodiff.Grad(loss, cur, true)
		} else {
			g, err = autodiff.GradRelease(loss, cur) // this step's graph is not needed again
		}
		if err != nil {
			return nil, nil, fmt.Errorf("maml: inner step %d: %w", t, err)
		}
		next := make([]*autodiff.Var[T], len(cur))
		if createGraph {
			for i := range cur {
				next[i] = autodiff.Sub(cur[i], autodiff.Scale(g[i], T(lr)))
			}
		} else {
			for i := range cur {
				v := cur[i].Value().Clone()
				gd := g[i].Value().Data
				for j := range v.Data {
					v.Data[j] -= T(lr) * gd[j]
				}
				next[i] = tp.Param(v)
			}
		}
		cur = next
	}
	return cur, losses, nil
}

// TaskMetaGrad returns the MAML meta-gradient of one task at params:
// dL_Q(θ_T)/dθ exactly when h.SecondOrder, else the first-order ∇L_Q(θ_T).
// It is a plain function (its own tape), safe to call from many goroutines.
func TaskMetaGrad[T tensor.Float](m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], h Hyper) (*TaskResult[T], error) {
	tp, done, err := taskTape(task, h.Work)
	if err != nil {
		return nil, err
	}
	defer done()
	theta := nn.Vars(tp, params)
	xs := tp.Const(task.XS)
	adapted, losses, err := Adapt(m, tp, theta, xs, task.YS, h.InnerLR, h.InnerSteps, h.SecondOrder)
	if err != nil {
		return nil, err
	}
	logits := m.Forward(tp, adapted, tp.Const(task.XQ))
	lq := autodiff.CrossEntropy(logits, task.YQ)
	wrt := theta
	if !h.SecondOrder {
		wrt = adapted
	}
	return metaResult(lq, lq, logits, wrt, adapted, losses, task.YQ)
}

// metaResult takes the last backward over a task's tape (releasing its graph
// during the sweep): the gradient of the objective obj with respect to wrt,
// returned with the query loss lq and the accuracy of the query logits at the
// adapted parameters, all copied out of the tape's workspace.
func metaResult[T tensor.Float](obj, lq, logits *autodiff.Var[T], wrt, adapted []*autodiff.Var[T], losses []float64, yq []int) (*TaskResult[T], error) {
	g, err := autodiff.GradRelease(obj, wrt)
	if err != nil {
		return nil, fmt.Errorf("maml: meta-gradient: %w", err)
	}
	return &TaskResult[T]{
		Grads:         cloneAll(nn.Values(g)),
		SupportLosses: losses,
		QueryLoss:     float64(lq.Item()),
		QueryAcc:      nn.Accuracy(logits.Value(), yq),
		Objective:     float64(obj.Item()),
		Adapted:       cloneAll(nn.Values(adapted)),
	}, nil
}

// AdaptEval adapts params to the task's support set with steps of SGD at lr
// (no second graph) and returns the query accuracy and loss.
// work, when not nil, lends the tapes a recycling workspace (see Hyper.Work).
func AdaptEval[T tensor.Float](m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], lr float64, steps int, work *tensor.WorkPool) (acc, loss float64, err error) {
	tp, done, err := taskTape(task, work)
	if err != nil {
		return 0, 0, err
	}
	defer done()
	theta := nn.Vars(tp, params)
	adapted, _, err := Adapt(m, tp, theta, tp.Const(task.XS), task.YS, lr, steps, false)
	if err != nil {
		return 0, 0, err
	}
	return queryScore(m, adapted, task, tp.Workspace())
}

func queryScore[T tensor.Float](m nn.Model[T], params []*autodiff.Var[T], task *Task[T], ws *tensor.Workspace) (acc, loss float64, err error) {
	tp := autodiff.NewTape[T]()
	if ws != nil {
		tp.SetWorkspace(ws)
	}
	var logits *autodiff.Var[T]
	var lq *autodiff.Var[T]
	tp.NoGrad(func() {
		consts := make([]*autodiff.Var[T], len(params))
		for i, p := range params {
			consts[i] = tp.Const(p.Value())
		}
		logits = m.Forward(tp, consts, tp.Const(task.XQ))
		lq = autodiff.CrossEntropy(logits, task.YQ)
	})
	return nn.Accuracy(logits.Value(), task.YQ), float64(lq.Item()), nil
}

// taskTape checks the task and returns a fresh tape that records into a
// workspace lent by work (none when work is nil: plain allocation), and the
// function that ends the workspace's scope and gives it back.
func taskTape[T tensor.Float](task *Task[T], work *tensor.WorkPool) (*autodiff.Tape[T], func(), error) {
	if err := task.Check(); err != nil {
		return nil, nil, err
	}
	tp, done := autodiff.NewScopedTape[T](work)
	return tp, done, nil
}

// TaskRand returns the generator of meta-iteration iter, task k of a run with
// the given seed: a PCG stream that depends on these three numbers only.
func TaskRand(seed int64, iter, k int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed)^0x9e3779b97f4a7c15, uint64(iter)<<24^uint64(k)))
}

// cloneAll copies tensors out of a workspace arena (see Hyper.Work).
func cloneAll[T tensor.Float](ts []*tensor.Tensor[T]) []*tensor.Tensor[T] {
	out := make([]*tensor.Tensor[T], len(ts))
	for i, t := range ts {
		out[i] = tensor.Clone(t)
	}
	return out
}

// AdaptedScore returns the query accuracy and loss of the given parameters.
func AdaptedScore[T tensor.Float](model nn.Model[T], params []*tensor.Tensor[T], task *Task[T]) (float64, float64, error) {
	if err := task.Check(); err != nil {
		return 0, 0, err
	}
	tp := autodiff.NewTape[T]()
	return queryScore(model, nn.Vars(tp, params), task, nil)
}
