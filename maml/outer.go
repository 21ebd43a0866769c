package maml

import (
	"fmt"

	"github.com/metabench/metabench/optim"
	"github.com/metabench/metabench/tensor"
)

// Outer is an outer-loop optimiser: it updates θ in place from the mean
// direction of a meta-batch. Its state round-trips through State/SetState
// (checkpoints) exactly.
type Outer[T tensor.Float] interface {
	// Step updates params in place with grads at meta-iteration iter.
	Step(params, grads []*tensor.Tensor[T], iter int)
	State() OuterState[T]
	SetState(OuterState[T]) error
}

// OuterState is the serialisable state of an outer optimiser.
type OuterState[T tensor.Float] struct {
	Kind  string
	Steps int
	Slots [][]T // Adam: first moments then second moments, one slice per parameter
}

// Adam is the outer Adam of the gradient-based methods: optim.Adam in its
// Kingma form (β1 = 0.9, β2 = 0.999, eps = 1e-8)
//
//	m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²
//	θ ← θ - lr_i · (m / (1-β1^t)) / (√(v / (1-β2^t)) + eps)
//
// at the rate lr_i of its Schedule at meta-iteration i (constant, linear,
// cosine or step decay: optim.Schedule), with its state in an OuterState of
// kind "adam": the first moments, then the second moments.
type Adam[T tensor.Float] struct {
	optim.Adam[T]
}

// NewAdam returns the outer Adam at the constant rate lr for parameters of
// these shapes (set Schedule for a decay).
func NewAdam[T tensor.Float](params []*tensor.Tensor[T], lr float64) *Adam[T] {
	a := &Adam[T]{optim.Adam[T]{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: adamEps, Form: optim.FormKingma, Schedule: &optim.Schedule{LR: lr}}}
	a.Alloc(params)
	return a
}

// Rate is the learning rate at meta-iteration iter.
func (a *Adam[T]) Rate(iter int) float64 { return a.Schedule.Rate(iter) }

// Step applies one Adam update at meta-iteration iter.
func (a *Adam[T]) Step(params, grads []*tensor.Tensor[T], iter int) { a.StepAt(params, grads, iter) }

// State returns a copy of the moments and the step count.
func (a *Adam[T]) State() OuterState[T] {
	s := OuterState[T]{Kind: "adam", Steps: a.Steps}
	for _, m := range a.M {
		s.Slots = append(s.Slots, append([]T(nil), m.Data...))
	}
	for _, v := range a.V {
		s.Slots = append(s.Slots, append([]T(nil), v.Data...))
	}
	return s
}

// SetState restores a state returned by State.
func (a *Adam[T]) SetState(s OuterState[T]) error {
	if s.Kind != "adam" || len(s.Slots) != 2*len(a.M) {
		return fmt.Errorf("maml: checkpoint holds a %q optimiser with %d slots, want adam with %d", s.Kind, len(s.Slots), 2*len(a.M))
	}
	for i := range a.M {
		if len(s.Slots[i]) != a.M[i].Len() || len(s.Slots[len(a.M)+i]) != a.V[i].Len() {
			return fmt.Errorf("maml: checkpoint optimiser slot %d has the wrong size", i)
		}
		copy(a.M[i].Data, s.Slots[i])
		copy(a.V[i].Data, s.Slots[len(a.M)+i])
	}
	a.Steps = s.Steps
	return nil
}

// DecayedSGD is θ ← θ - ε_i g with ε_i = Start + (Final - Start) · i /
// Iterations (Reptile's meta step; constant Start when Iterations is 0).
type DecayedSGD[T tensor.Float] struct {
	Start, Final float64
	Iterations   int
	// Inner, when set, is Reptile's carried inner Adam: its second moments
	// and step count are saved and restored with this optimiser's state.
	Inner *optim.Adam[T]
}

// Epsilon is the step at iteration iter (optim.Schedule's linear decay).
func (o *DecayedSGD[T]) Epsilon(iter int) float64 {
	return optim.Schedule{LR: o.Start, Final: o.Final, Iterations: o.Iterations}.Rate(iter)
}

// Step applies θ ← θ - ε_iter g.
func (o *DecayedSGD[T]) Step(params, grads []*tensor.Tensor[T], iter int) {
	eps := T(o.Epsilon(iter))
	for i, p := range params {
		g := grads[i].Data
		for j := range p.Data {
			p.Data[j] -= eps * g[j]
		}
	}
}

// State has no slots of its own (the step depends on the iteration only);
// it holds the carried inner Adam state when there is one.
func (o *DecayedSGD[T]) State() OuterState[T] {
	if o.Inner == nil {
		return OuterState[T]{Kind: "sgd-decay"}
	}
	s := OuterState[T]{Kind: "sgd-decay+inner-adam", Steps: o.Inner.Steps}
	for _, v := range o.Inner.V {
		s.Slots = append(s.Slots, append([]T(nil), v.Data...))
	}
	return s
}

// SetState accepts the state of a DecayedSGD of the same kind.
func (o *DecayedSGD[T]) SetState(s OuterState[T]) error {
	want := "sgd-decay"
	if o.Inner != nil {
		want = "sgd-decay+inner-adam"
	}
	if s.Kind != want {
		return fmt.Errorf("maml: checkpoint holds a %q optimiser, want %s (reptile.carry_adam must match the run that wrote it)", s.Kind, want)
	}
	if o.Inner == nil {
		return nil
	}
	if len(s.Slots) != len(o.Inner.V) {
		return fmt.Errorf("maml: checkpoint holds %d inner Adam slots, want %d", len(s.Slots), len(o.Inner.V))
	}
	for i, v := range o.Inner.V {
		if len(s.Slots[i]) != v.Len() {
			return fmt.Errorf("maml: checkpoint inner Adam slot %d has the wrong size", i)
		}
		copy(v.Data, s.Slots[i])
	}
	o.Inner.Steps = s.Steps
	return nil
}
