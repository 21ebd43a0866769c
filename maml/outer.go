package maml

import (
	"fmt"
	"math"

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

// Adam is Adam (Kingma & Ba) with β1 = 0.9, β2 = 0.999, eps = 1e-8:
//
//	m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²
//	θ ← θ - lr_i · (m / (1-β1^t)) / (√(v / (1-β2^t)) + eps)
//
// with lr_i = LR + (Final - LR) · min(i / Iterations, 1) at meta-iteration i
// when Iterations > 0 (linear decay), else lr_i = LR. With Cosine the decay
// is cosine annealing (MAML++):
//
//	lr_i = Final + (LR - Final) · (1 + cos(π · min(i / Iterations, 1))) / 2
//
// and with StepEvery > 0 a step decay (Prototypical Networks), whatever
// Iterations says:
//
//	lr_i = LR · StepFactor^⌊i / StepEvery⌋
type Adam[T tensor.Float] struct {
	LR, Final  float64
	Iterations int
	Cosine     bool
	StepEvery  int
	StepFactor float64
	steps      int
	m, v       [][]T
}

// Rate is the learning rate at meta-iteration iter.
func (a *Adam[T]) Rate(iter int) float64 {
	if a.StepEvery > 0 {
		return a.LR * math.Pow(a.StepFactor, float64(iter/a.StepEvery))
	}
	if a.Iterations <= 0 {
		return a.LR
	}
	if a.Cosine {
		return cosineRate(a.LR, a.Final, iter, a.Iterations)
	}
	return a.LR + (a.Final-a.LR)*math.Min(float64(iter)/float64(a.Iterations), 1)
}

// NewAdam returns Adam for parameters of these shapes.
func NewAdam[T tensor.Float](params []*tensor.Tensor[T], lr float64) *Adam[T] {
	a := &Adam[T]{LR: lr, m: make([][]T, len(params)), v: make([][]T, len(params))}
	for i, p := range params {
		a.m[i], a.v[i] = make([]T, p.Len()), make([]T, p.Len())
	}
	return a
}

// Step applies one Adam update at meta-iteration iter.
func (a *Adam[T]) Step(params, grads []*tensor.Tensor[T], iter int) {
	const b1, b2 = 0.9, 0.999
	a.steps++
	t := float64(a.steps)
	c1 := T(1 - math.Pow(b1, t))
	c2 := T(1 - math.Pow(b2, t))
	lr := T(a.Rate(iter))
	for i, p := range params {
		g, m, v, d := grads[i].Data, a.m[i], a.v[i], p.Data
		for j := range d {
			m[j] = T(b1)*m[j] + T(1-b1)*g[j]
			v[j] = T(b2)*v[j] + T(1-b2)*g[j]*g[j]
			d[j] -= lr * (m[j] / c1) / (T(math.Sqrt(float64(v[j]/c2))) + T(adamEps))
		}
	}
}

// State returns a copy of the moments and the step count.
func (a *Adam[T]) State() OuterState[T] {
	s := OuterState[T]{Kind: "adam", Steps: a.steps}
	for _, m := range a.m {
		s.Slots = append(s.Slots, append([]T(nil), m...))
	}
	for _, v := range a.v {
		s.Slots = append(s.Slots, append([]T(nil), v...))
	}
	return s
}

// SetState restores a state returned by State.
func (a *Adam[T]) SetState(s OuterState[T]) error {
	if s.Kind != "adam" || len(s.Slots) != 2*len(a.m) {
		return fmt.Errorf("maml: checkpoint holds a %q optimiser with %d slots, want adam with %d", s.Kind, len(s.Slots), 2*len(a.m))
	}
	for i := range a.m {
		if len(s.Slots[i]) != len(a.m[i]) || len(s.Slots[len(a.m)+i]) != len(a.v[i]) {
			return fmt.Errorf("maml: checkpoint optimiser slot %d has the wrong size", i)
		}
		copy(a.m[i], s.Slots[i])
		copy(a.v[i], s.Slots[len(a.m)+i])
	}
	a.steps = s.Steps
	return nil
}

// DecayedSGD is θ ← θ - ε_i g with ε_i = Start + (Final - Start) · i /
// Iterations (Reptile's meta step; constant Start when Iterations is 0).
type DecayedSGD[T tensor.Float] struct {
	Start, Final float64
	Iterations   int
	// Inner, when set, is Reptile's carried inner Adam state, saved and
	// restored with this optimiser's state.
	Inner *InnerAdam[T]
}

// Epsilon is the step at iteration iter.
func (o *DecayedSGD[T]) Epsilon(iter int) float64 {
	if o.Iterations <= 0 {
		return o.Start
	}
	f := math.Min(float64(iter)/float64(o.Iterations), 1)
	return o.Start + (o.Final-o.Start)*f
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
	return OuterState[T]{Kind: "sgd-decay+inner-adam", Steps: o.Inner.Steps, Slots: o.Inner.Clone().V}
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
		if len(s.Slots[i]) != len(v) {
			return fmt.Errorf("maml: checkpoint inner Adam slot %d has the wrong size", i)
		}
		copy(v, s.Slots[i])
	}
	o.Inner.Steps = s.Steps
	return nil
}

// ClipElementwise clamps every element of ts to [-c, c] in place (c > 0).
func ClipElementwise[T tensor.Float](ts []*tensor.Tensor[T], c float64) {
	hi := T(c)
	for _, t := range ts {
		for j, v := range t.Data {
			if v > hi {
				t.Data[j] = hi
			} else if v < -hi {
				t.Data[j] = -hi
			}
		}
	}
}
