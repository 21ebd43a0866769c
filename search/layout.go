package search

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/metabench/metabench/tensor"
)

// Init says how a parameter tensor is initialised.
type Init int

// Initialisations (PyTorch defaults, as in the DARTS reference code).
const (
	InitUniformFanIn Init = iota // U(-1/sqrt(fan_in), 1/sqrt(fan_in)): conv and linear weights, linear bias
	InitOnes                     // BN gamma
	InitZeros                    // BN beta
)

// ParamSpec is one learnable tensor of a network: its name, shape and
// initialisation. Networks are built by declaring their ParamSpecs; the same
// declarations give the parameter count and the tensors that training uses.
type ParamSpec struct {
	Name  string
	Shape []int
	Init  Init
	FanIn int
}

// Numel is the number of scalars of the tensor.
func (s ParamSpec) Numel() int { return tensor.Numel(s.Shape) }

// Layout is the ordered list of a network's parameters.
type Layout struct {
	Specs []ParamSpec
	index map[string]int
}

// add declares a parameter and returns its position.
func (l *Layout) add(name string, shape []int, init Init, fanIn int) int {
	if l.index == nil {
		l.index = map[string]int{}
	}
	if _, dup := l.index[name]; dup {
		panic(fmt.Sprintf("search: parameter %q declared twice", name))
	}
	l.Specs = append(l.Specs, ParamSpec{Name: name, Shape: append([]int(nil), shape...), Init: init, FanIn: fanIn})
	l.index[name] = len(l.Specs) - 1
	return len(l.Specs) - 1
}

// Index is the position of a named parameter.
func (l *Layout) Index(name string) (int, bool) {
	i, ok := l.index[name]
	return i, ok
}

// Count is the number of learnable scalars whose names do not start with
// any of the excluded prefixes.
func (l *Layout) Count(exclude ...string) int {
	n := 0
next:
	for _, s := range l.Specs {
		for _, p := range exclude {
			if len(s.Name) >= len(p) && s.Name[:len(p)] == p {
				continue next
			}
		}
		n += s.Numel()
	}
	return n
}

// NewParams draws initial values for every parameter from rng.
func NewParams[T tensor.Float](l *Layout, rng *rand.Rand) []*tensor.Tensor[T] {
	out := make([]*tensor.Tensor[T], len(l.Specs))
	for i, s := range l.Specs {
		t := tensor.New[T](s.Shape...)
		switch s.Init {
		case InitOnes:
			for k := range t.Data {
				t.Data[k] = 1
			}
		case InitZeros:
		default:
			b := 1 / math.Sqrt(float64(max(s.FanIn, 1)))
			for k := range t.Data {
				t.Data[k] = T((2*rng.Float64() - 1) * b)
			}
		}
		out[i] = t
	}
	return out
}
