package maml

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

// Settings are everything a method reads.
type Settings struct {
	InnerLR     float64 // α (MAML) or the inner optimiser's rate (Reptile)
	InnerSteps  int     // inner steps at meta-training
	TestSteps   int     // inner steps at validation and test
	MetaLR      float64 // Adam rate of the outer loop (MAML, first-order MAML)
	MetaLRFinal float64 // Adam rate at the last iteration (linear decay over Iterations); 0 = constant MetaLR
	// MetaLRSchedule is "" or "linear" (the decay above) or "cosine"
	// (cosine annealing from MetaLR to MetaLRFinal, which may be 0, over
	// Iterations; MAML++).
	MetaLRSchedule string
	// MetaLRStepEvery and MetaLRStepFactor shape the "step" schedule: the
	// rate is MetaLR · MetaLRStepFactor^⌊i / MetaLRStepEvery⌋ (Snell et
	// al. 2017 halve it every 2000 episodes).
	MetaLRStepEvery  int
	MetaLRStepFactor float64
	Clip             float64 // element-wise clip of the mean meta-gradient; 0 = off
	Iterations       int     // planned meta-iterations (decays of ε and of the Adam rate; 0 = no decay)
	// FirstOrderIterations: second-order MAML takes first-order
	// meta-gradients at meta-iterations below this (derivative-order
	// annealing); 0 = never.
	FirstOrderIterations int
	// Iteration is the meta-iteration being run (Trainer.Step sets it on its
	// copy of the settings handed to TaskGrad).
	Iteration int

	ReptileOptimizer string  // "adam" or "sgd"
	ReptileBatch     int     // inner minibatch; 0 = full
	ReptileUseQuery  bool    // inner training on support and query
	MetaStep         float64 // ε_0
	MetaStepFinal    float64 // ε at the last iteration
	// ReptileCarry carries the inner Adam's second moments and step count
	// from task to task (Nichol et al.'s code; tasks then run one after
	// another) instead of a fresh Adam per task.
	ReptileCarry bool

	// MAML++ (method mamlpp; see MAMLPP).
	MSLIterations int  // multi-step loss annealed over these iterations; 0 = the final step's loss only
	PerStepBN     bool // per-step batch-norm weights
	LearnInnerLR  bool // learned per-layer per-step inner rates

	// Work, when set, recycles the tapes' buffers from task to task (see
	// Hyper.Work); it changes no number. Trainer sets one.
	Work *tensor.WorkPool
}

// Method is a meta-learning algorithm: what one task contributes to a
// meta-iteration, how θ is updated from the tasks' mean direction, and how a
// test episode is adapted and scored.
type Method[T tensor.Float] interface {
	Name() string
	// TaskGrad returns the task's direction at params (a meta-gradient, or
	// θ - φ for Reptile). rng is the task's own generator (TaskRand).
	TaskGrad(m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings, rng *rand.Rand) (*TaskResult[T], error)
	// NewOuter returns the outer optimiser for parameters of these shapes.
	NewOuter(s *Settings, params []*tensor.Tensor[T]) Outer[T]
	// EvalTask adapts params to the task's support set with the test-time
	// inner steps and returns the query accuracy and loss.
	EvalTask(m nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings) (acc, loss float64, err error)
}

// Registry maps method names to constructors. Adding a baseline is one type
// plus one line here.
func Registry[T tensor.Float]() map[string]func() Method[T] {
	return map[string]func() Method[T]{
		"maml":      func() Method[T] { return MAML[T]{SecondOrder: true} },
		"fomaml":    func() Method[T] { return MAML[T]{SecondOrder: false} },
		"reptile":   func() Method[T] { return &Reptile[T]{} },
		"protonets": func() Method[T] { return ProtoNets[T]{} },
		"anil":      func() Method[T] { return ANIL[T]{} },
		"metasgd":   func() Method[T] { return &MetaSGD[T]{} },
		"mamlpp":    func() Method[T] { return &MAMLPP[T]{} },
	}
}

// Names lists the registered method names, sorted.
func Names() []string {
	var n []string
	for k := range Registry[float32]() {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// New returns the named method.
func New[T tensor.Float](name string) (Method[T], error) {
	f, ok := Registry[T]()[name]
	if !ok {
		return nil, fmt.Errorf("unknown method %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return f(), nil
}

// MAML is second-order MAML (SecondOrder) or first-order MAML.
type MAML[T tensor.Float] struct{ SecondOrder bool }

// Name is "maml" or "fomaml".
func (m MAML[T]) Name() string {
	if m.SecondOrder {
		return "maml"
	}
	return "fomaml"
}

// TaskGrad is TaskMetaGrad with the method's order; second-order MAML is
// first-order at iterations below s.FirstOrderIterations.
func (m MAML[T]) TaskGrad(model nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings, _ *rand.Rand) (*TaskResult[T], error) {
	second := m.SecondOrder && s.Iteration >= s.FirstOrderIterations
	return TaskMetaGrad(model, params, task, Hyper{InnerLR: s.InnerLR, InnerSteps: s.InnerSteps, SecondOrder: second, Work: s.Work})
}

// NewOuter is Adam at s.MetaLR, decayed linearly to s.MetaLRFinal over
// s.Iterations when s.MetaLRFinal is set, or cosine-annealed with
// s.MetaLRSchedule "cosine".
func (m MAML[T]) NewOuter(s *Settings, params []*tensor.Tensor[T]) Outer[T] {
	return adamOf(s, params)
}

// EvalTask adapts with s.TestSteps SGD steps at s.InnerLR.
func (m MAML[T]) EvalTask(model nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings) (float64, float64, error) {
	return AdaptEval(model, params, task, s.InnerLR, s.TestSteps, s.Work)
}

// Reptile is Reptile with its inner optimiser and a linearly decayed meta
// step. With Settings.ReptileCarry and Adam, the inner Adam state created by
// NewOuter is carried through the tasks in order (so they run one after
// another), saved with the outer state, and used, as a copy, to start every
// test-time adaptation, as in Nichol et al.'s code.
type Reptile[T tensor.Float] struct {
	carry *InnerAdam[T]
}

// Name is "reptile".
func (*Reptile[T]) Name() string { return "reptile" }

func reptileHyper(s *Settings, steps int) ReptileHyper {
	return ReptileHyper{LR: s.InnerLR, Steps: steps, Optimizer: s.ReptileOptimizer, Batch: s.ReptileBatch, UseQuery: s.ReptileUseQuery}
}

// Sequential reports whether the tasks of a meta-batch must run in order
// (they share the carried inner Adam state).
func (r *Reptile[T]) Sequential() bool { return r.carry != nil }

// TaskGrad is ReptileTask (from the carried inner Adam state, if any).
func (r *Reptile[T]) TaskGrad(model nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings, rng *rand.Rand) (*TaskResult[T], error) {
	return reptileTask(model, params, task, reptileHyper(s, s.InnerSteps), rng, r.carry)
}

// NewOuter is SGD with ε linearly decayed from s.MetaStep to s.MetaStepFinal
// over s.Iterations (constant when s.Iterations is 0). With s.ReptileCarry
// and Adam it also creates the carried inner state, which it checkpoints.
func (r *Reptile[T]) NewOuter(s *Settings, params []*tensor.Tensor[T]) Outer[T] {
	o := &DecayedSGD[T]{Start: s.MetaStep, Final: s.MetaStepFinal, Iterations: s.Iterations}
	r.carry = nil
	if s.ReptileCarry && s.ReptileOptimizer == "adam" {
		r.carry = NewInnerAdam(params)
		o.Inner = r.carry
	}
	return o
}

// EvalTask adapts on the full support set with the inner optimiser for
// s.TestSteps steps, starting from a copy of the carried inner state.
func (r *Reptile[T]) EvalTask(model nn.Model[T], params []*tensor.Tensor[T], task *Task[T], s *Settings) (float64, float64, error) {
	h := reptileHyper(s, s.TestSteps)
	h.Batch, h.UseQuery = 0, false
	var carry *InnerAdam[T]
	if r.carry != nil {
		carry = r.carry.Clone()
	}
	phi, _, err := innerTrain(model, params, task.XS, task.YS, h, nil, carry)
	if err != nil {
		return 0, 0, err
	}
	return AdaptedScore(model, phi, task)
}

// AdaptedScore returns the query accuracy and loss of the given parameters.
func AdaptedScore[T tensor.Float](model nn.Model[T], params []*tensor.Tensor[T], task *Task[T]) (float64, float64, error) {
	if err := task.Check(); err != nil {
		return 0, 0, err
	}
	tp := autodiff.NewTape[T]()
	return queryScore(model, nn.Vars(tp, params), task, nil)
}
