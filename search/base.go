package search

import (
	"errors"
	"fmt"
	"math"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/tensor"
)

// QueryStep is the step index that asks an Objective for the outer (query)
// loss.
const QueryStep = -1

// Objective is one task's loss as a function of the adapted parameters ψ
// (weights followed by architecture logits). Loss(tp, psi, t) is the inner
// loss J(ψ; B_t, g_t) of inner step t (support batch and noise of step t)
// for t >= 0, and the outer loss J(ψ; Q, g') for t == QueryStep. It must be
// deterministic in t: the same batch and noise every time it is asked, so
// that the finite-difference recursion replays the unroll exactly.
type Objective[T tensor.Float] interface {
	Loss(tp *ad.Tape[T], psi []*ad.Var[T], t int) *ad.Var[T]
}

// GradMode selects how the meta-gradient of the unrolled inner loop is taken.
type GradMode string

// Meta-gradient modes (SPEC 3.3).
const (
	// Exact back-propagates through all T inner steps with the Hessian terms
	// (variant A, createGraph).
	Exact GradMode = "exact"
	// FiniteDiff is variant A': the finite-difference Hessian-vector
	// recursion, storing only ψ^0..ψ^T.
	FiniteDiff GradMode = "fd"
	// FirstOrder treats dψ^T/dΘ as the identity (stop_grad).
	FirstOrder GradMode = "first-order"
)

// ParseGradMode validates a mode name.
func ParseGradMode(s string) (GradMode, error) {
	switch GradMode(s) {
	case Exact, FiniteDiff, FirstOrder:
		return GradMode(s), nil
	}
	return "", fmt.Errorf("unknown meta-gradient mode %q (want exact, fd or first-order)", s)
}

// Unrolled is the result of adapting Θ on one task and differentiating the
// outer loss.
type Unrolled[T tensor.Float] struct {
	InnerLosses []float64           // J at ψ^0..ψ^{T-1}
	QueryLoss   float64             // J(ψ^T; Q)
	Adapted     []*tensor.Tensor[T] // ψ^T
	Grad        []*tensor.Tensor[T] // d J(ψ^T(Θ); Q) / dΘ (or its approximation)
	FDRadii     []float64           // r_t of the finite-difference recursion (fd mode)
}

// Unroll says how the inner loop runs and how it is differentiated.
type Unroll struct {
	Steps int       // T, inner SGD steps
	Eta   []float64 // per tensor of Θ: η_W on weights, η_α on architecture logits (0 freezes)
	Mode  GradMode
	// FDEps sets the finite-difference radius r_t = FDEps / ||η ⊙ v||₂;
	// 0 means 0.01, the DARTS value (SPEC 3.3).
	FDEps float64
	// Work, if set, lends each pass's tensors from a workspace arena
	// (docs/DECISIONS.md R5): one scope per tape, results copied out before
	// it ends, so a task reuses the buffers of the task before it instead of
	// leaving them to the garbage collector. nil allocates from the heap.
	// The results are the same bits either way.
	Work *tensor.WorkPool
}

// MetaGrad runs T inner SGD steps ψ^{t+1} = ψ^t - η ⊙ ∇J(ψ^t; B_t, g_t) from
// ψ^0 = Θ and returns the gradient of the query loss J(ψ^T; Q) with respect
// to Θ in the given mode.
func MetaGrad[T tensor.Float](obj Objective[T], theta []*tensor.Tensor[T], u Unroll) (*Unrolled[T], error) {
	eta, steps, mode := u.Eta, u.Steps, u.Mode
	if len(eta) != len(theta) {
		return nil, fmt.Errorf("meta-gradient: %d step sizes for %d parameter tensors", len(eta), len(theta))
	}
	if steps < 0 {
		return nil, fmt.Errorf("meta-gradient: %d inner steps", steps)
	}
	switch mode {
	case Exact:
		return metaGradExact(obj, theta, eta, steps, u.Work)
	case FiniteDiff, FirstOrder:
		eps := u.FDEps
		if eps == 0 {
			eps = 0.01
		}
		if eps < 0 {
			return nil, fmt.Errorf("meta-gradient: finite-difference radius %g", eps)
		}
		return metaGradStored(obj, theta, eta, steps, mode, eps, u.Work)
	}
	return nil, fmt.Errorf("meta-gradient: unknown mode %q", mode)
}

func checkFinite(what string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s is %v (diverged; lower the step sizes)", what, v)
	}
	return nil
}

func metaGradExact[T tensor.Float](obj Objective[T], theta []*tensor.Tensor[T], eta []float64, steps int, work *tensor.WorkPool) (*Unrolled[T], error) {
	tp, done := ad.NewScopedTape[T](work)
	defer done()
	leaves := make([]*ad.Var[T], len(theta))
	for i, t := range theta {
		leaves[i] = tp.Param(t)
	}
	res := &Unrolled[T]{}
	psi := append([]*ad.Var[T](nil), leaves...)
	for t := 0; t < steps; t++ {
		loss := obj.Loss(tp, psi, t)
		res.InnerLosses = append(res.InnerLosses, float64(loss.Item()))
		if err := checkFinite(fmt.Sprintf("inner loss at step %d", t), float64(loss.Item())); err != nil {
			return nil, err
		}
		g, err := ad.Grad(loss, psi, true)
		if err != nil {
			return nil, fmt.Errorf("inner step %d: %w", t, err)
		}
		for k := range psi {
			if eta[k] != 0 {
				psi[k] = ad.Sub(psi[k], ad.Scale(g[k], T(eta[k])))
			}
		}
	}
	q := obj.Loss(tp, psi, QueryStep)
	res.QueryLoss = float64(q.Item())
	if err := checkFinite("query loss", res.QueryLoss); err != nil {
		return nil, err
	}
	// the last pass over the graph: release it as the sweep goes (the
	// query activations become garbage once their backward has run)
	g, err := ad.GradRelease(q, leaves)
	if err != nil {
		return nil, fmt.Errorf("meta-gradient: %w", err)
	}
	for k := range psi {
		res.Adapted = append(res.Adapted, tensor.Clone(psi[k].Value()))
		res.Grad = append(res.Grad, tensor.Clone(g[k].Value()))
	}
	return res, nil
}

// gradAt evaluates J(ψ; t) and its gradient at the values psi, first order.
// The gradient is copied out of work's arena.
func gradAt[T tensor.Float](obj Objective[T], psi []*tensor.Tensor[T], t int, work *tensor.WorkPool) (float64, []*tensor.Tensor[T], error) {
	tp, done := ad.NewScopedTape[T](work)
	defer done()
	vars := make([]*ad.Var[T], len(psi))
	for i, p := range psi {
		vars[i] = tp.Param(p)
	}
	loss := obj.Loss(tp, vars, t)
	l := float64(loss.Item())
	if err := checkFinite("loss", l); err != nil {
		return l, nil, err
	}
	g, err := ad.GradRelease(loss, vars) // a fresh tape, not differentiated again
	if err != nil {
		return l, nil, err
	}
	out := make([]*tensor.Tensor[T], len(g))
	for i := range g {
		out[i] = tensor.Clone(g[i].Value())
	}
	return l, out, nil
}

// axpy returns a + c*b as new tensors.
func axpy[T tensor.Float](a []*tensor.Tensor[T], c []float64, b []*tensor.Tensor[T]) []*tensor.Tensor[T] {
	out := make([]*tensor.Tensor[T], len(a))
	for k := range a {
		t := a[k].Clone()
		if c[k] != 0 {
			ck := T(c[k])
			for i := range t.Data {
				t.Data[i] += ck * b[k].Data[i]
			}
		}
		out[k] = t
	}
	return out
}

func metaGradStored[T tensor.Float](obj Objective[T], theta []*tensor.Tensor[T], eta []float64, steps int, mode GradMode, eps float64, work *tensor.WorkPool) (*Unrolled[T], error) {
	res := &Unrolled[T]{}
	hist := [][]*tensor.Tensor[T]{theta}
	psi := theta
	neg := make([]float64, len(eta))
	for k := range eta {
		neg[k] = -eta[k]
	}
	for t := 0; t < steps; t++ {
		l, g, err := gradAt(obj, psi, t, work)
		res.InnerLosses = append(res.InnerLosses, l)
		if err != nil {
			return nil, fmt.Errorf("inner step %d: %w", t, err)
		}
		psi = axpy(psi, neg, g)
		hist = append(hist, psi)
	}
	lq, v, err := gradAt(obj, psi, QueryStep, work)
	res.QueryLoss = lq
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	res.Adapted = psi
	if mode == FirstOrder {
		res.Grad = v
		return res, nil
	}
	// v <- (I - H_t D) v for t = T-1..0, with H_t u by central differences.
	for t := steps - 1; t >= 0; t-- {
		u := make([]*tensor.Tensor[T], len(v))
		norm := 0.0
		for k := range v {
			u[k] = tensor.New[T](v[k].Shape...)
			for i, x := range v[k].Data {
				y := T(eta[k]) * x
				u[k].Data[i] = y
				norm += float64(y) * float64(y)
			}
		}
		norm = math.Sqrt(norm)
		if norm == 0 {
			res.FDRadii = append([]float64{0}, res.FDRadii...)
			continue
		}
		r := eps / norm
		res.FDRadii = append([]float64{r}, res.FDRadii...)
		plus := make([]float64, len(v))
		minus := make([]float64, len(v))
		for k := range plus {
			plus[k], minus[k] = r, -r
		}
		_, gp, err := gradAt(obj, axpy(hist[t], plus, u), t, work)
		if err != nil {
			return nil, fmt.Errorf("finite difference at step %d: %w", t, err)
		}
		_, gm, err := gradAt(obj, axpy(hist[t], minus, u), t, work)
		if err != nil {
			return nil, fmt.Errorf("finite difference at step %d: %w", t, err)
		}
		for k := range v {
			nv := v[k].Clone()
			for i := range nv.Data {
				nv.Data[i] -= T((float64(gp[k].Data[i]) - float64(gm[k].Data[i])) / (2 * r))
			}
			v[k] = nv
		}
	}
	res.Grad = v
	return res, nil
}

// Adapt runs the inner loop only (first order, no meta-gradient) and returns
// ψ^T and the inner losses. It is how a prior is adapted to a task before
// its architecture distribution is decoded, and the inner loop of variant B.
// work is as Unroll.Work.
func Adapt[T tensor.Float](obj Objective[T], theta []*tensor.Tensor[T], eta []float64, steps int, work *tensor.WorkPool) ([]*tensor.Tensor[T], []float64, error) {
	if len(eta) != len(theta) {
		return nil, nil, errors.New("adapt: step sizes and parameters differ in number")
	}
	psi := theta
	neg := make([]float64, len(eta))
	for k := range eta {
		neg[k] = -eta[k]
	}
	var losses []float64
	for t := 0; t < steps; t++ {
		l, g, err := gradAt(obj, psi, t, work)
		losses = append(losses, l)
		if err != nil {
			return nil, losses, fmt.Errorf("adapt step %d: %w", t, err)
		}
		psi = axpy(psi, neg, g)
	}
	return psi, losses, nil
}

// ReptileUpdate is variant B (SPEC 3.4): Θ <- Θ + β (1/K) Σ_k (ψ_k^T - Θ),
// applied to every tensor (weights and architecture logits alike). It
// returns the new Θ; theta is not modified.
func ReptileUpdate[T tensor.Float](theta []*tensor.Tensor[T], adapted [][]*tensor.Tensor[T], beta float64) ([]*tensor.Tensor[T], error) {
	if len(adapted) == 0 {
		return nil, errors.New("reptile update: no adapted tasks")
	}
	out := make([]*tensor.Tensor[T], len(theta))
	K := float64(len(adapted))
	for k, th := range theta {
		nt := th.Clone()
		for _, a := range adapted {
			if len(a) != len(theta) || a[k].Len() != th.Len() {
				return nil, errors.New("reptile update: adapted parameters do not match Θ")
			}
			for i := range nt.Data {
				nt.Data[i] += T(beta / K * (float64(a[k].Data[i]) - float64(th.Data[i])))
			}
		}
		out[k] = nt
	}
	return out, nil
}
