package maml

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

// Settings are what every method reads: the inner loop, the outer Adam's
// rate and its schedule, and the iteration. A method's own options (Reptile's
// inner optimiser, MAML++'s switches) are not here: they are the method's
// option block (Def.Options), given to its constructor.
type Settings struct {
	InnerLR     float64 // α (MAML), or the inner optimiser's rate (Reptile)
	InnerSteps  int     // inner steps at meta-training
	TestSteps   int     // inner steps at validation and test
	MetaLR      float64 // Adam rate of the outer loop
	MetaLRFinal float64 // Adam rate at the last iteration (linear decay over Iterations); 0 = constant MetaLR
	// MetaLRSchedule is "" or "linear" (the decay above) or "cosine"
	// (cosine annealing from MetaLR to MetaLRFinal, which may be 0, over
	// Iterations; MAML++) or "step" (below).
	MetaLRSchedule string
	// MetaLRStepEvery and MetaLRStepFactor shape the "step" schedule: the
	// rate is MetaLR · MetaLRStepFactor^⌊i / MetaLRStepEvery⌋ (Snell et
	// al. 2017 halve it every 2000 episodes).
	MetaLRStepEvery  int
	MetaLRStepFactor float64
	Clip             float64 // element-wise clip of the mean meta-gradient; 0 = off
	Iterations       int     // planned meta-iterations (decays of the rates; 0 = no decay)
	// FirstOrderIterations: a second-order method (Caps.SecondOrder) takes
	// first-order meta-gradients at meta-iterations below this
	// (derivative-order annealing); 0 = never.
	FirstOrderIterations int
	// Iteration is the meta-iteration being run (Trainer.Step sets it on its
	// copy of the settings handed to TaskGrad).
	Iteration int

	// Work, when set, recycles the tapes' buffers from task to task (see
	// Hyper.Work); it changes no number. Trainer sets one.
	Work *tensor.WorkPool
}

// Method is a meta-learning algorithm: what one task contributes to a
// meta-iteration, how θ is updated from the tasks' mean direction, and how a
// test episode is adapted and scored. A method may also implement the
// optional interfaces MetaParamsMethod, ModelBinder, Sequential and
// Describer.
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

// ModelBinder is a method whose state depends on the model's layout
// (MAML++ finds the batch-norm weights by name): NewOuterFor hands it the
// model before NewOuter.
type ModelBinder[T tensor.Float] interface {
	BindModel(m nn.Model[T])
}

// Sequential is a method whose tasks share state and must run one after
// another, in task order, when Sequential() is true (Reptile carrying its
// inner Adam); the trainer then runs them on one worker.
type Sequential interface {
	Sequential() bool
}

// Describer is a method that names the options it ran with, for the run's
// record (Describe).
type Describer interface {
	Describe(s *Settings) map[string]any
}

// Caps are what a method declares about itself, for the checks of an
// experiment file (package config) and of an evaluation.
type Caps struct {
	// SecondOrder: the meta-gradient is exact, second order, and
	// first_order_iterations anneals its derivative order.
	SecondOrder bool
	// NoInnerLoop: no inner loop (inner_steps and test_steps must be 0, and
	// there is no test-time loop to choose).
	NoInnerLoop bool
	// AnyWays: no classifier of `ways` outputs, so it tests at more ways
	// than it trains (eval.ways above ways).
	AnyWays bool
	// OwnOuterStep: the outer step is the method's own, with its own decay,
	// not the Adam of meta_lr (meta_lr_schedule must stay linear).
	OwnOuterStep bool
}

// Def is a method's entry in the registry.
type Def struct {
	Name string // what experiment files put in method:
	Caps Caps
	// Options, when set, returns the method's options at their defaults:
	// a pointer to a struct whose yaml tags are the keys of the block named
	// Name in an experiment file (reptile:, mamlpp:). Package config decodes
	// the block strictly onto it, applies --set NAME.KEY=VALUE, and checks
	// it with its Validate method when it has one (OptionsValidator); the
	// constructors receive it.
	Options func() any
	// SharedBlock lets the block hold values other than its defaults in the
	// files of other methods, which do not read it (Reptile's, accepted so
	// before blocks were checked); without it such a file is an error.
	SharedBlock bool
	// New32 and New64 return the method for float32 (training and
	// evaluation) and float64 (the finite-difference tests), from options of
	// the type Options returns (nil when it has none).
	New32 func(opts any) Method[float32]
	New64 func(opts any) Method[float64]
}

// OptionsValidator is a method's option block that checks its values. The
// error names the key inside the block ("inner_batch: must be at least 0");
// package config prefixes the block's name.
type OptionsValidator interface {
	Validate() error
}

// registry holds every registered method by name. It is the one
// package-level variable of the package: each method's file fills it from
// its init function (Register), so the set of methods is fixed before main
// runs, and it is only read afterwards (docs/DECISIONS.md R30).
var registry = map[string]Def{}

// Register adds a method. A method's file calls it from init, in package
// maml or in any other package that the program imports; it panics on a
// duplicate or an incomplete Def, which is a programming error.
func Register(d Def) {
	switch {
	case d.Name == "" || strings.ContainsAny(d.Name, " .=:"):
		panic(fmt.Sprintf("maml: Register: bad method name %q", d.Name))
	case d.New32 == nil || d.New64 == nil:
		panic(fmt.Sprintf("maml: Register %s: New32 and New64 are both needed", d.Name))
	}
	if _, dup := registry[d.Name]; dup {
		panic(fmt.Sprintf("maml: Register: method %s registered twice", d.Name))
	}
	registry[d.Name] = d
}

// Lookup returns the registered method of that name.
func Lookup(name string) (Def, bool) {
	d, ok := registry[name]
	return d, ok
}

// Names lists the registered method names, sorted.
func Names() []string { return slices.Sorted(maps.Keys(registry)) }

// DefaultOptions returns the method's options at their defaults (nil for a
// method without options).
func (d Def) DefaultOptions() any {
	if d.Options == nil {
		return nil
	}
	return d.Options()
}

// New returns the named method with its default options.
func New[T tensor.Float](name string) (Method[T], error) { return NewWith[T](name, nil) }

// NewWith returns the named method with the given options (of the type its
// Def.Options returns; nil = its defaults).
func NewWith[T tensor.Float](name string, opts any) (Method[T], error) {
	d, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown method %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	if opts == nil {
		opts = d.DefaultOptions()
	} else if want := d.DefaultOptions(); fmt.Sprintf("%T", opts) != fmt.Sprintf("%T", want) {
		return nil, fmt.Errorf("maml: options of method %s are a %T, want a %T", name, opts, want)
	}
	var m any
	switch any(T(0)).(type) {
	case float32:
		m = d.New32(opts)
	case float64:
		m = d.New64(opts)
	}
	mt, ok := m.(Method[T])
	if !ok {
		return nil, fmt.Errorf("maml: method %s has no %T version", name, T(0))
	}
	return mt, nil
}
