// Package optim updates parameters in place from their gradients: SGD (with
// momentum, dampening, Nesterov and weight decay), Adam (with L2 or
// decoupled weight decay, learning-rate schedules, and the two per-element
// forms that the repository's runs use), and gradient clipping by value and
// by global norm. It works on plain tensors, outside any tape. It is the one
// Adam of the repository: the search's weights and architecture, the outer
// loop of the MAML family (maml.Adam) and Reptile's inner loop all step
// through it.
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
	"math/big"
	"strconv"
	"unsafe"

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

// Adam is Adam (Kingma & Ba) in one of two per-element forms (Form), with
// PyTorch's options: L2 weight decay added to the gradient (Decoupled=false)
// or AdamW's decoupled decay (Decoupled=true: p = p·(1 − LR·WeightDecay)
// before the update), and an optional learning-rate Schedule read by
// StepAt:
//
//	t = t + 1
//	m = Beta1·m + (1−Beta1)·g
//	v = Beta2·v + (1−Beta2)·g²
//	p = p − LR · (m / (1−Beta1^t)) / (√(v / (1−Beta2^t)) + Eps)
//
// Both forms compute this update; they round differently (see Form), and
// a run's bits depend on which one it uses.
type Adam[T Float] struct {
	LR          float64
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64 // FormPyTorch only
	Decoupled   bool
	Form        Form
	// Schedule, when set, gives the learning rate of StepAt at each
	// iteration in place of LR.
	Schedule *Schedule `json:",omitempty"`

	// State: first and second moments (nil before the first step) and the
	// step count t.
	M, V  []*tensor.Tensor[T]
	Steps int
}

// Form is the per-element expression of an Adam step.
type Form int

const (
	// FormPyTorch is torch.optim.Adam's:
	//
	//	p = p − (LR / (1−Beta1^t)) · m / (√v / √(1−Beta2^t) + Eps)
	//
	// with the factors LR/(1−Beta1^t) and √(1−Beta2^t) computed in float64,
	// and 1−Beta1, 1−Beta2 computed in float64 at run time, then rounded to T.
	FormPyTorch Form = iota
	// FormKingma is Kingma & Ba's Algorithm 1 with the bias-corrected
	// moments as written:
	//
	//	p = p − LR · (m / (1−Beta1^t)) / (√(v / (1−Beta2^t)) + Eps)
	//
	// evaluated left to right in T, with 1−Beta^t rounded to T and the
	// square root taken in float64 of the quotient in T. Beta1, Beta2,
	// 1−Beta1, 1−Beta2 and Eps are the decimals they are written as, each
	// rounded once to T, as Go constants are (1−0.9 is exactly 0.1). It
	// is the outer Adam of the MAML family and Reptile's inner Adam
	// (Beta1 = 0), as package maml has always computed them. It takes no
	// weight decay.
	FormKingma
)

// NewAdam returns Adam with PyTorch's defaults (betas 0.9, 0.999, eps 1e-8).
func NewAdam[T Float](lr float64) *Adam[T] {
	return &Adam[T]{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// Step updates params in place from grads at the rate LR (grads are not
// modified).
func (o *Adam[T]) Step(params, grads []*tensor.Tensor[T]) { o.step(params, grads, o.LR) }

// StepAt is Step at the rate of o.Schedule at iteration iter (LR when o has
// no schedule).
func (o *Adam[T]) StepAt(params, grads []*tensor.Tensor[T], iter int) {
	lr := o.LR
	if o.Schedule != nil {
		lr = o.Schedule.Rate(iter)
	}
	o.step(params, grads, lr)
}

// Alloc gives o zero moments for params when it has none yet (Step does it
// at the first step; a state saved before any step needs them now).
func (o *Adam[T]) Alloc(params []*tensor.Tensor[T]) {
	if o.M == nil {
		o.M, o.V = zerosLike(params), zerosLike(params)
	}
}

func (o *Adam[T]) step(params, grads []*tensor.Tensor[T], lr float64) {
	checkPairs("Adam", params, grads)
	o.Alloc(params)
	checkState("Adam", "M", o.M, params)
	checkState("Adam", "V", o.V, params)
	o.Steps++
	t := float64(o.Steps)
	if o.Form == FormKingma {
		if o.WeightDecay != 0 {
			panic("optim: Adam: FormKingma takes no weight decay")
		}
		o.kingma(params, grads, lr, t)
		return
	}
	bc1 := 1 - math.Pow(o.Beta1, t)
	bc2 := 1 - math.Pow(o.Beta2, t)
	stepSize := T(lr / bc1)
	sqrtBC2 := T(math.Sqrt(bc2))
	b1, b2 := T(o.Beta1), T(o.Beta2)
	c1, c2 := T(1-o.Beta1), T(1-o.Beta2)
	eps, wd := T(o.Eps), T(o.WeightDecay)
	decay := T(1 - lr*o.WeightDecay)
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

// kingma is the FormKingma step t at rate lr.
func (o *Adam[T]) kingma(params, grads []*tensor.Tensor[T], lr, t float64) {
	c1 := T(1 - math.Pow(o.Beta1, t))
	c2 := T(1 - math.Pow(o.Beta2, t))
	rate := T(lr)
	b1, b2, eps := asWritten[T](o.Beta1, false), asWritten[T](o.Beta2, false), asWritten[T](o.Eps, false)
	k1, k2 := asWritten[T](o.Beta1, true), asWritten[T](o.Beta2, true)
	for i, p := range params {
		g, m, v, d := grads[i].Data, o.M[i].Data, o.V[i].Data, p.Data
		for j := range d {
			m[j] = b1*m[j] + k1*g[j]
			v[j] = b2*v[j] + k2*g[j]*g[j]
			d[j] -= rate * (m[j] / c1) / (T(math.Sqrt(float64(v[j]/c2))) + eps)
		}
	}
}

// asWritten returns x, or 1 − x with complement, computed exactly from the
// shortest decimal that gives x back and rounded once to T: the value of
// the Go constant T(x) or T(1 - x) with x written as that decimal.
func asWritten[T Float](x float64, complement bool) T {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
	if !ok { // NaN or an infinity
		if complement {
			return T(1 - x)
		}
		return T(x)
	}
	if complement {
		r.Sub(big.NewRat(1, 1), r)
	}
	if unsafe.Sizeof(T(0)) == 4 {
		f, _ := r.Float32()
		return T(f)
	}
	f, _ := r.Float64()
	return T(f)
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
