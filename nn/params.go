package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/tensor"
)

// Params is an ordered set of named parameter tensors.
type Params[T tensor.Float] struct {
	Names   []string
	Tensors []*tensor.Tensor[T]
}

// Count is the number of scalar parameters.
func (p Params[T]) Count() int {
	n := 0
	for _, t := range p.Tensors {
		n += t.Len()
	}
	return n
}

// Clone returns a deep copy.
func (p Params[T]) Clone() Params[T] {
	q := Params[T]{Names: append([]string(nil), p.Names...), Tensors: make([]*tensor.Tensor[T], len(p.Tensors))}
	for i, t := range p.Tensors {
		q.Tensors[i] = t.Clone()
	}
	return q
}

// Index returns the position of the named parameter, or -1.
func (p Params[T]) Index(name string) int {
	for i, n := range p.Names {
		if n == name {
			return i
		}
	}
	return -1
}

// Vars wraps every tensor as a leaf of tp that requires a gradient (the
// tensors are shared, not copied).
func (p Params[T]) Vars(tp *autodiff.Tape[T]) []*autodiff.Var[T] {
	return Vars(tp, p.Tensors)
}

// Vars wraps tensors as leaves of tp that require a gradient.
func Vars[T tensor.Float](tp *autodiff.Tape[T], ts []*tensor.Tensor[T]) []*autodiff.Var[T] {
	vs := make([]*autodiff.Var[T], len(ts))
	for i, t := range ts {
		vs[i] = tp.Param(t)
	}
	return vs
}

// Values returns the tensors of variables.
func Values[T tensor.Float](vs []*autodiff.Var[T]) []*tensor.Tensor[T] {
	ts := make([]*tensor.Tensor[T], len(vs))
	for i, v := range vs {
		ts[i] = v.Value()
	}
	return ts
}

// CheckShapes reports whether ts match the model's parameter shapes.
func CheckShapes[T tensor.Float](m Model[T], ts []*tensor.Tensor[T]) error {
	shapes := m.ParamShapes()
	names := m.ParamNames()
	if len(ts) != len(shapes) {
		return fmt.Errorf("nn: %d parameter tensors for %s, which has %d", len(ts), m.Name(), len(shapes))
	}
	for i, s := range shapes {
		if !tensor.SameShape(s, ts[i].Shape) {
			return fmt.Errorf("nn: parameter %s has shape %v, %s wants %v", names[i], ts[i].Shape, m.Name(), s)
		}
	}
	return nil
}

// Model is a network as a function of explicit parameters.
type Model[T tensor.Float] interface {
	// Name identifies the architecture and its sizes, e.g. "conv4-64".
	Name() string
	// Init draws fresh parameters from rng.
	Init(rng *rand.Rand) Params[T]
	// Forward returns the logits [N, ways] for x [N, C, H, W]. params are in
	// ParamNames order.
	Forward(tp *autodiff.Tape[T], params []*autodiff.Var[T], x *autodiff.Var[T]) *autodiff.Var[T]
	// ParamNames and ParamShapes list the parameters in order.
	ParamNames() []string
	ParamShapes() [][]int
	// ParamCount is the number of scalar parameters.
	ParamCount() int
}

// Costed is a model that counts the multiply-accumulates (MACs) of one
// forward pass of one image: the products of its convolutions and linear
// layers (batch norm, activations, pooling and sums are not counted).
type Costed interface {
	MACs() int
}

// Headed is a model whose classifier head (its last linear layer) is known:
// HeadParams lists the head's parameters as indices in ParamNames order.
type Headed interface {
	HeadParams() []int
}

// Embedder is a Headed model whose logits are its head, a linear layer
// (weight [features, ways], bias [ways], at HeadParams), applied to features:
//
//	Forward(p, x) = Embed(p, x) · W + b
//
// Embed takes all the parameters and reads the body's.
type Embedder[T tensor.Float] interface {
	Headed
	Embed(tp *autodiff.Tape[T], params []*autodiff.Var[T], x *autodiff.Var[T]) *autodiff.Var[T]
}

func countShapes(shapes [][]int) int {
	n := 0
	for _, s := range shapes {
		n += tensor.Numel(s)
	}
	return n
}

// Accuracy is the fraction of rows of logits [N, K] whose arg-max equals the
// label (ties go to the lowest index).
func Accuracy[T tensor.Float](logits *tensor.Tensor[T], labels []int) float64 {
	if len(logits.Shape) != 2 || logits.Shape[0] != len(labels) {
		panic(fmt.Sprintf("nn: Accuracy: logits %v for %d labels", logits.Shape, len(labels)))
	}
	k := logits.Shape[1]
	hit := 0
	for i, y := range labels {
		row := logits.Data[i*k : (i+1)*k]
		best := 0
		for j := 1; j < k; j++ {
			if row[j] > row[best] {
				best = j
			}
		}
		if best == y {
			hit++
		}
	}
	return float64(hit) / float64(len(labels))
}
