// Package optim updates parameters in place from their gradients: SGD (with
// momentum, dampening, Nesterov and weight decay), Adam (with L2 or
// decoupled weight decay), and gradient clipping by value and by global
// norm. It works on plain tensors, outside any tape.
//
// The update equations are PyTorch's (torch.optim.SGD and torch.optim.Adam,
// documented on their reference pages). Hyper-parameters are float64 and
// the per-step scalar factors are computed in float64, then applied in the
// element type T.
//
// Optimiser state (momentum buffers, Adam moments, step count) is held in
// exported fields, so an optimiser can be saved (e.g. as JSON) and restored
// to resume a run exactly.
package optim

import (
	"fmt"
	"math"

	"github.com/metabench/metabench/tensor"
)

// Float is the element type (float32 or float64).
type Float = tensor.Float

func checkPairs[T Float](op string, params, grads []*tensor.Tensor[T]) {
	if len(params) != len(grads) {
		panic(fmt.Sprintf("optim: %s: %d params and %d grads", op, len(params), len(grads)))
	}
	for i := range params {
		if params[i] == nil || grads[i] == nil {
			panic(fmt.Sprintf("optim: %s: nil tensor at %d", op, i))
		}
		if !tensor.SameShape(params[i].Shape, grads[i].Shape) || len(params[i].Data) != len(grads[i].Data) {
			panic(fmt.Sprintf("optim: %s: param %d shape %v, grad %v", op, i, params[i].Shape, grads[i].Shape))
		}
	}
}

// zerosLike returns zero tensors shaped like ts.
func zerosLike[T Float](ts []*tensor.Tensor[T]) []*tensor.Tensor[T] {
	out := make([]*tensor.Tensor[T], len(ts))
	for i, t := range ts {
		out[i] = tensor.New[T](t.Shape...)
	}
	return out
}

func checkState[T Float](op, name string, state, params []*tensor.Tensor[T]) {
	if len(state) != len(params) {
		panic(fmt.Sprintf("optim: %s: state %s has %d tensors for %d params", op, name, len(state), len(params)))
	}
	for i := range state {
		if len(state[i].Data) != len(params[i].Data) {
			panic(fmt.Sprintf("optim: %s: state %s[%d] shape %v for param %v", op, name, i, state[i].Shape, params[i].Shape))
		}
	}
}

// SGD is stochastic gradient descent, as torch.optim.SGD:
//
//	g = grad + WeightDecay·p
//	b = g                                  (first step)
//	b = Momentum·b + (1−Dampening)·g       (later steps)
//	d = g + Momentum·b if Nesterov, else b (d = g without momentum)
//	p = p − LR·d
type SGD[T Float] struct {
	LR          float64
	Momentum    float64
	Dampening   float64
	WeightDecay float64
	Nesterov    bool

	// State: one momentum buffer per parameter (nil until the first step
	// with Momentum != 0), and the number of steps taken.
	Buf   []*tensor.Tensor[T]
	Steps int
}

// NewSGD returns plain SGD with learning rate lr and momentum (0 for none).
func NewSGD[T Float](lr, momentum float64) *SGD[T] { return &SGD[T]{LR: lr, Momentum: momentum} }

// Step updates params in place from grads (grads are not modified).
func (o *SGD[T]) Step(params, grads []*tensor.Tensor[T]) {
	checkPairs("SGD", params, grads)
	if o.Nesterov && (o.Momentum <= 0 || o.Dampening != 0) {
		panic("optim: SGD: Nesterov needs Momentum > 0 and Dampening = 0")
	}
	first := false
	if o.Momentum != 0 {
		if o.Buf == nil {
			o.Buf = zerosLike(params)
			first = true
		}
		checkState("SGD", "Buf", o.Buf, params)
	}
	lr, wd, mom, damp := T(o.LR), T(o.WeightDecay), T(o.Momentum), T(1-o.Dampening)
	for i, p := range params {
		pd, gd := p.Data, grads[i].Data
		if o.Momentum == 0 {
			for j := range pd {
				g := gd[j] + wd*pd[j]
				pd[j] -= lr * g
			}
			continue
		}
		bd := o.Buf[i].Data
		for j := range pd {
			g := gd[j] + wd*pd[j]
			if first {
				bd[j] = g
			} else {
				bd[j] = mom*bd[j] + damp*g
			}
			d := bd[j]
			if o.Nesterov {
				d = g + mom*bd[j]
			}
			pd[j] -= lr * d
		}
	}
	o.Steps++
}

// Adam is torch.optim.Adam (Decoupled=false: L2 weight decay added to the
// gradient) or AdamW (Decoupled=true: p = p·(1 − LR·WeightDecay) before the
// update):
//
//	t = t + 1
//	m = Beta1·m + (1−Beta1)·g
//	v = Beta2·v + (1−Beta2)·g²
//	p = p − (LR / (1−Beta1^t)) · m / (√v / √(1−Beta2^t) + Eps)
type Adam[T Float] struct {
	LR          float64
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64
	Decoupled   bool

	// State: first and second moments (nil before the first step) and the
	// step count t.
	M, V  []*tensor.Tensor[T]
	Steps int
}

// NewAdam returns Adam with PyTorch's defaults (betas 0.9, 0.999, eps 1e-8).
func NewAdam[T Float](lr float64) *Adam[T] {
	return &Adam[T]{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// Step updates params in place from grads (grads are not modified).
func (o *Adam[T]) Step(params, grads []*tensor.Tensor[T]) {
	checkPairs("Adam", params, grads)
	if o.M == nil {
		o.M, o.V = zerosLike(params), zerosLike(params)
	}
	checkState("Adam", "M", o.M, params)
	checkState("Adam", "V", o.V, params)
	o.Steps++
	t := float64(o.Steps)
	bc1 := 1 - math.Pow(o.Beta1, t)
	bc2 := 1 - math.Pow(o.Beta2, t)
	stepSize := T(o.LR / bc1)
	sqrtBC2 := T(math.Sqrt(bc2))
	b1, b2 := T(o.Beta1), T(o.Beta2)
	c1, c2 := T(1-o.Beta1), T(1-o.Beta2)
	eps, wd := T(o.Eps), T(o.WeightDecay)
	decay := T(1 - o.LR*o.WeightDecay)
	for i, p := range params {
		pd, gd, md, vd := p.Data, grads[i].Data, o.M[i].Data, o.V[i].Data
		for j := range pd {
			g := gd[j]
			if o.Decoupled {
				if o.WeightDecay != 0 {
					pd[j] *= decay
				}
			} else {
				g += wd * pd[j]
			}
			md[j] = b1*md[j] + c1*g
			vd[j] = b2*vd[j] + c2*g*g
			denom := T(math.Sqrt(float64(vd[j])))/sqrtBC2 + eps
			pd[j] -= stepSize * md[j] / denom
		}
	}
}

// ClipByValue clamps every gradient entry to [lo, hi] in place.
func ClipByValue[T Float](grads []*tensor.Tensor[T], lo, hi T) {
	if lo > hi {
		panic(fmt.Sprintf("optim: ClipByValue: lo %v > hi %v", lo, hi))
	}
	for _, g := range grads {
		for j, v := range g.Data {
			if v < lo {
				g.Data[j] = lo
			} else if v > hi {
				g.Data[j] = hi
			}
		}
	}
}

// GlobalNorm returns the Euclidean norm of all gradients taken together,
// accumulated in float64 in a fixed order.
func GlobalNorm[T Float](grads []*tensor.Tensor[T]) float64 {
	var s float64
	for _, g := range grads {
		for _, v := range g.Data {
			s += float64(v) * float64(v)
		}
	}
	return math.Sqrt(s)
}

// ClipByGlobalNorm scales all gradients in place by maxNorm/(norm + 1e-6)
// when their global norm exceeds maxNorm (as torch.nn.utils.clip_grad_norm_)
// and returns the norm before clipping.
func ClipByGlobalNorm[T Float](grads []*tensor.Tensor[T], maxNorm float64) float64 {
	if maxNorm <= 0 {
		panic(fmt.Sprintf("optim: ClipByGlobalNorm: maxNorm %v must be positive", maxNorm))
	}
	norm := GlobalNorm(grads)
	coef := maxNorm / (norm + 1e-6)
	if coef < 1 {
		c := T(coef)
		for _, g := range grads {
			for j := range g.Data {
				g.Data[j] *= c
			}
		}
	}
	return norm
}
