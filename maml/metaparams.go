package maml

import (
	"fmt"
	"strings"

	"github.com/metabench/metabench/tensor"
)

// MetaParamsMethod is a Method with meta-learned state of its own beside
// the model's parameters θ: Meta-SGD's per-element inner rates, MAML++'s
// per-step inner rates and batch-norm weights. NewOuter creates that state
// (so a trainer or an evaluation that restores the outer state restores it
// too); MetaParams returns it, in a fixed order. TaskGrad then returns one
// gradient per model parameter followed by one per meta-parameter, and the
// Trainer hands the outer optimiser θ and the meta-parameters together.
type MetaParamsMethod[T tensor.Float] interface {
	Method[T]
	MetaParams() []*tensor.Tensor[T]
}

// metaParamsOf returns a method's own meta-parameters, or nil.
func metaParamsOf[T tensor.Float](m Method[T]) []*tensor.Tensor[T] {
	if mp, ok := m.(MetaParamsMethod[T]); ok {
		return mp.MetaParams()
	}
	return nil
}

// WithMeta returns an outer optimiser that updates θ and a method's
// meta-parameters meta with outer (created over both, θ first) and whose
// state also holds the meta-parameters' values, so that a checkpoint (which
// saves θ and the outer state) restores the method exactly. tag, the
// method's name, is appended to the state's Kind.
func WithMeta[T tensor.Float](outer Outer[T], tag string, meta []*tensor.Tensor[T]) Outer[T] {
	return &withMeta[T]{Outer: outer, tag: tag, meta: meta}
}

// withMeta is WithMeta's optimiser.
type withMeta[T tensor.Float] struct {
	Outer[T]
	tag  string
	meta []*tensor.Tensor[T]
}

// State is the inner optimiser's state, Kind suffixed with "+tag", with the
// meta-parameters' values appended to the slots.
func (o *withMeta[T]) State() OuterState[T] {
	s := o.Outer.State()
	s.Kind += "+" + o.tag
	for _, m := range o.meta {
		s.Slots = append(s.Slots, append([]T(nil), m.Data...))
	}
	return s
}

// SetState restores a state returned by State.
func (o *withMeta[T]) SetState(s OuterState[T]) error {
	base, ok := strings.CutSuffix(s.Kind, "+"+o.tag)
	if !ok || len(s.Slots) < len(o.meta) {
		return fmt.Errorf("maml: checkpoint holds a %q optimiser, want one with %s's meta-parameters", s.Kind, o.tag)
	}
	n := len(s.Slots) - len(o.meta)
	for i, m := range o.meta {
		if len(s.Slots[n+i]) != m.Len() {
			return fmt.Errorf("maml: checkpoint meta-parameter %d of %s has %d values, want %d", i, o.tag, len(s.Slots[n+i]), m.Len())
		}
	}
	if err := o.Outer.SetState(OuterState[T]{Kind: base, Steps: s.Steps, Slots: s.Slots[:n]}); err != nil {
		return err
	}
	for i, m := range o.meta {
		copy(m.Data, s.Slots[n+i])
	}
	return nil
}

// MetaAdam is the outer Adam of the gradient-based methods over params at
// s.MetaLR with s's schedule: constant; linear to s.MetaLRFinal over
// s.Iterations when MetaLRFinal is set; or, with s.MetaLRSchedule "cosine",
// cosine annealing to MetaLRFinal (which may be 0) over s.Iterations; or,
// with "step", multiplied by MetaLRStepFactor every MetaLRStepEvery
// iterations.
func MetaAdam[T tensor.Float](s *Settings, params []*tensor.Tensor[T]) *Adam[T] {
	a := NewAdam(params, s.MetaLR)
	switch {
	case s.MetaLRSchedule == ScheduleStep:
		a.Schedule.StepEvery, a.Schedule.StepFactor = s.MetaLRStepEvery, s.MetaLRStepFactor
	case s.MetaLRSchedule == ScheduleCosine && s.Iterations > 0:
		a.Schedule.Final, a.Schedule.Iterations, a.Schedule.Cosine = s.MetaLRFinal, s.Iterations, true
	case s.MetaLRFinal > 0 && s.Iterations > 0:
		a.Schedule.Final, a.Schedule.Iterations = s.MetaLRFinal, s.Iterations
	}
	return a
}

// ScheduleCosine names the cosine annealing of the Adam rate
// (Settings.MetaLRSchedule).
const ScheduleCosine = "cosine"

// ScheduleStep names the step decay of the Adam rate
// (Settings.MetaLRStepEvery, MetaLRStepFactor).
const ScheduleStep = "step"
