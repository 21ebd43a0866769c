package maml

import (
	"fmt"
	"math/rand/v2"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

func init() {
	Register(Def{Name: "protonets", Caps: Caps{NoInnerLoop: true, AnyWays: true},
		New32: func(any) Method[float32] { return ProtoNets[float32]{} },
		New64: func(any) Method[float64] { return ProtoNets[float64]{} }})
}

// ProtoNets is Prototypical Networks (Snell et al. 2017): no inner loop; a
// task's loss is the query cross-entropy of logits that are minus the
// squared Euclidean distances from the query embeddings to the class
// prototypes, the means of the support embeddings (see the package
// documentation). The embedding is the model's body (nn.Embedder: Conv-4
// without its head, whose parameters get no gradient); support and query
// images go through it as one batch, as in Snell et al.'s code.
type ProtoNets[T tensor.Float] struct{}

// Name is "protonets".
func (ProtoNets[T]) Name() string { return "protonets" }

// TaskGrad returns the gradient of the query loss at params.
func (p ProtoNets[T]) TaskGrad(m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings, _ *rand.Rand) (*TaskResult[T], error) {
	var res *TaskResult[T]
	err := p.run(m, params, task, s.Work, true, func(tp *autodiff.Tape[T], theta []*Var[T], logits, loss *Var[T]) error {
		g, err := autodiff.GradRelease(loss, theta)
		if err != nil {
			return fmt.Errorf("maml: protonets gradient: %w", err)
		}
		res = &TaskResult[T]{Grads: cloneAll(nn.Values(g)), QueryLoss: float64(loss.Item()), Objective: float64(loss.Item()),
			QueryAcc: nn.Accuracy(logits.Value(), task.YQ)}
		return nil
	})
	return res, err
}

// NewOuter is the outer Adam of the settings (MetaAdam; Snell et al.
// halve the rate every 2000 episodes: meta_lr_schedule step).
func (ProtoNets[T]) NewOuter(s *Settings, params []*tensor.Tensor[T]) Outer[T] {
	return MetaAdam(s, params)
}

// Describe says that there is no inner loop.
func (ProtoNets[T]) Describe(*Settings) map[string]any {
	return map[string]any{"method_variant": "protonets: logits = -squared Euclidean distance to the support-mean prototypes of the Conv-4 body's features; " +
		"support and query embedded as one batch (transductive batch norm); no inner loop (inner_lr, inner_steps and test_steps unused)"}
}

// EvalTask classifies the query set by the nearest prototype.
func (p ProtoNets[T]) EvalTask(m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings) (acc, loss float64, err error) {
	err = p.run(m, params, task, s.Work, false, func(_ *autodiff.Tape[T], _ []*Var[T], logits, l *Var[T]) error {
		acc, loss = nn.Accuracy(logits.Value(), task.YQ), float64(l.Item())
		return nil
	})
	return acc, loss, err
}

// run embeds the task's images at params on a fresh tape (recording only
// with grad) and hands the query logits and loss to f.
func (ProtoNets[T]) run(m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], work *tensor.WorkPool, grad bool,
	f func(tp *autodiff.Tape[T], theta []*Var[T], logits, loss *Var[T]) error) error {
	e, ok := m.(nn.Embedder[T])
	if !ok {
		return fmt.Errorf("maml: protonets needs a model with an embedding (nn.Embedder); %s has none", m.Name())
	}
	tp, done, err := taskTape(task, work)
	if err != nil {
		return err
	}
	defer done()
	theta := nn.Vars(tp, params)
	var logits, loss *Var[T]
	body := func() {
		ns, n := task.XS.Shape[0], task.XS.Shape[0]+task.XQ.Shape[0]
		z := e.Embed(tp, theta, tp.Const(concatRows(task.XS, task.XQ)))
		logits, err = ProtoLogits(autodiff.Slice(z, 0, 0, ns, 1), task.YS, autodiff.Slice(z, 0, ns, n, 1))
		if err == nil {
			loss = autodiff.CrossEntropy(logits, task.YQ)
		}
	}
	if grad {
		body()
	} else {
		tp.NoGrad(body)
	}
	if err != nil {
		return err
	}
	return f(tp, theta, logits, loss)
}

// ProtoLogits returns the logits [Nq, K] of query embeddings zq [Nq, D]
// against the prototypes of support embeddings zs [Ns, D] with labels ys in
// 0..K-1 (K = max label + 1, every class present):
//
//	c_k = (1/|S_k|) Σ_{i ∈ S_k} zs_i
//	logit_{qk} = -‖zq_q - c_k‖²
func ProtoLogits[T tensor.Float](zs *Var[T], ys []int, zq *Var[T]) (*Var[T], error) {
	ns, d := zs.Shape()[0], zs.Shape()[1]
	k := 0
	for _, y := range ys {
		if y < 0 {
			return nil, fmt.Errorf("maml: protonets: negative support label %d", y)
		}
		k = max(k, y+1)
	}
	count := make([]int, k)
	for _, y := range ys {
		count[y]++
	}
	avg := tensor.New[T](k, ns)
	for i, y := range ys {
		avg.Data[y*ns+i] = T(1) / T(count[y])
	}
	for c, n := range count {
		if n == 0 {
			return nil, fmt.Errorf("maml: protonets: class %d has no support example", c)
		}
	}
	tp := zs.Tape()
	protos := autodiff.MatMul(tp.Const(avg), zs) // [K, D]
	nq := zq.Shape()[0]
	diff := autodiff.Sub(autodiff.Reshape(zq, nq, 1, d), autodiff.Reshape(protos, 1, k, d)) // [Nq, K, D]
	return autodiff.Neg(autodiff.Sum(autodiff.Square(diff), []int{2}, false)), nil
}
