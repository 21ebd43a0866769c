package autodiff

import (
	"fmt"

	"github.com/metabench/metabench/internal/vec"
	"github.com/metabench/metabench/tensor"
)

// WeightedSum returns Σ_k w[k]·ys[k] over the non-nil ys (all of one
// shape), w of shape [len(ys)]: the mixed operation of a relaxed cell edge
// in one pass and one tensor, instead of a scaled copy and a partial sum per
// term. Terms are added in k order, each product rounded before its add, so
// the value has the bits of Add(...Add(Mul(ys[0], w0), Mul(ys[1], w1))...).
//
//	∂/∂ys[k] = g·w[k]      ∂/∂w[k] = Σ_i g[i]·ys[k][i]   (Dots)
//
// Both are built from recorded ops, so the op is differentiable again.
func WeightedSum[T Float](ys []*Var[T], w *Var[T]) *Var[T] {
	terms, shape := weightedTerms("WeightedSum", ys, w)
	parents := append(terms, w)
	tp := sameTape("WeightedSum", parents...)
	out := tensor.MakeRaw[T](tp.work, shape...)
	wv := w.val.Data
	first := true
	for k, y := range ys {
		if y == nil {
			continue
		}
		mulAdd(out.Data, y.val.Data, wv[k], !first)
		first = false
	}
	return NewOp(tp, out, parents, func(g *Var[T]) []*Var[T] {
		grads := termGrads(ys, g, w, len(shape))
		if w.requiresGrad {
			grads[len(grads)-1] = Dots(g, ys)
		}
		return grads
	})
}

// Dots returns d[k] = Σ_i g[i]·ys[k][i] (0 where ys[k] is nil), shape
// [len(ys)], each sum in float64 in vec's fixed order (the adjoint of
// WeightedSum in its weights).
//
//	∂/∂g = WeightedSum(ys, u)      ∂/∂ys[k] = g·u[k]
func Dots[T Float](g *Var[T], ys []*Var[T]) *Var[T] {
	terms, shape := weightedTerms("Dots", ys, nil)
	if !tensor.SameShape(shape, g.val.Shape) {
		panic(fmt.Sprintf("autodiff: Dots: g has shape %v, terms %v", g.val.Shape, shape))
	}
	parents := append(terms, g)
	tp := sameTape("Dots", parents...)
	out := tensor.Make[T](tp.work, len(ys))
	for k, y := range ys {
		if y != nil {
			out.Data[k] = dot(g.val.Data, y.val.Data)
		}
	}
	return NewOp(tp, out, parents, func(u *Var[T]) []*Var[T] {
		grads := termGrads(ys, g, u, len(shape))
		if g.requiresGrad {
			grads[len(grads)-1] = WeightedSum(ys, u)
		}
		return grads
	})
}

// termGrads returns g·c[k] for each non-nil term that needs a gradient, in
// the order of the op's parents (the terms, then one slot for the last
// parent, left nil for the caller).
func termGrads[T Float](ys []*Var[T], g, c *Var[T], rank int) []*Var[T] {
	var grads []*Var[T]
	for k, y := range ys {
		if y == nil {
			continue
		}
		var gk *Var[T]
		if y.requiresGrad {
			gk = Mul(g, scalarAt(c, k, rank))
		}
		grads = append(grads, gk)
	}
	return append(grads, nil)
}

// weightedTerms checks the terms of WeightedSum/Dots: at least one, all of
// one shape, and w (when given) of shape [len(ys)].
func weightedTerms[T Float](op string, ys []*Var[T], w *Var[T]) ([]*Var[T], []int) {
	var terms []*Var[T]
	var shape []int
	for _, y := range ys {
		if y == nil {
			continue
		}
		if shape == nil {
			shape = cloneShape(y.val.Shape)
		} else if !tensor.SameShape(shape, y.val.Shape) {
			panic(fmt.Sprintf("autodiff: %s: terms of shapes %v and %v", op, shape, y.val.Shape))
		}
		terms = append(terms, y)
	}
	if terms == nil {
		panic(fmt.Sprintf("autodiff: %s: no terms", op))
	}
	if w != nil && (len(w.val.Shape) != 1 || w.val.Shape[0] != len(ys)) {
		panic(fmt.Sprintf("autodiff: %s: weights of shape %v for %d terms", op, w.val.Shape, len(ys)))
	}
	return terms, shape
}

// scalarAt is w[k] as a variable of rank ones, broadcastable against a
// term.
func scalarAt[T Float](w *Var[T], k, rank int) *Var[T] {
	ones := make([]int, rank)
	for i := range ones {
		ones[i] = 1
	}
	return Reshape(Slice(w, 0, k, k+1, 1), ones...)
}

// mulAdd is dst (+)= a·x, in parallel chunks (element-wise, so the bits do
// not depend on the split).
func mulAdd[T Float](dst, x []T, a T, add bool) {
	forElems(len(dst), func(lo, hi int) {
		if isF32[T]() {
			vec.MulAdd(asF32(dst)[lo:hi], asF32(x)[lo:hi], float32(a), add)
			return
		}
		vec.MulAddOf(dst[lo:hi], x[lo:hi], a, add)
	})
}

// dot is Σ x·y in float64 (vec's lane order for float32).
func dot[T Float](x, y []T) T {
	if isF32[T]() {
		return T(vec.DotF64(asF32(x), asF32(y)))
	}
	var s float64
	for i, v := range x {
		s += float64(v) * float64(y[i])
	}
	return T(s)
}
