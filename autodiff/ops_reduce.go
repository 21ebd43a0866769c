package autodiff

import (
	"fmt"

	"github.com/metabench/metabench/tensor"
)

// Sum sums x over axes (negative axes count from the end; nil or empty means
// every axis). With keepdim the reduced axes stay with size 1. Backward:
// gy reshaped to the kept shape and broadcast back to x's shape.
func Sum[T Float](x *Var[T], axes []int, keepdim bool) *Var[T] {
	nd := len(x.val.Shape)
	ax := normAxes("Sum", axes, nd)
	out := sumKernel(x.val, ax)
	kept := cloneShape(out.Shape)
	if !keepdim {
		out.Shape = dropAxes(out.Shape, ax)
	}
	xs := cloneShape(x.val.Shape)
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{BroadcastTo(Reshape(gy, kept...), xs)}
	})
}

// Mean averages x over axes (as Sum).
func Mean[T Float](x *Var[T], axes []int, keepdim bool) *Var[T] {
	ax := normAxes("Mean", axes, len(x.val.Shape))
	n := 1
	for _, a := range ax {
		n *= x.val.Shape[a]
	}
	if n == 0 {
		panic("autodiff: Mean over an empty axis")
	}
	return Scale(Sum(x, ax, keepdim), T(1)/T(n))
}

// SumAll returns the sum of every element as a 0-d variable.
func SumAll[T Float](x *Var[T]) *Var[T] {
	var s float64 // accumulated in float64, in order
	for _, v := range x.val.Data {
		s += float64(v)
	}
	xs := cloneShape(x.val.Shape)
	return NewOp(x.tape, tensor.Scalar(T(s)), []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{BroadcastTo(gy, xs)}
	})
}

// MeanAll returns the mean of every element as a 0-d variable.
func MeanAll[T Float](x *Var[T]) *Var[T] {
	if len(x.val.Data) == 0 {
		panic("autodiff: MeanAll of an empty tensor")
	}
	return Scale(SumAll(x), T(1)/T(len(x.val.Data)))
}

// Max returns the maximum of x along one axis. The gradient goes to the
// first maximal element of each slice (a constant one-hot mask), so the
// backward is linear in gy and differentiable.
func Max[T Float](x *Var[T], axis int, keepdim bool) *Var[T] {
	nd := len(x.val.Shape)
	axis = normAxis("Max", axis, nd)
	outer, n, inner := splitAt(x.val.Shape, axis)
	if n == 0 {
		panic("autodiff: Max over an empty axis")
	}
	kept := cloneShape(x.val.Shape)
	kept[axis] = 1
	out := tensor.New[T](kept...)
	arg := make([]int, outer*inner)
	xd := x.val.Data
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			best, bi := xd[base], 0
			for r := 1; r < n; r++ {
				if v := xd[base+r*inner]; v > best {
					best, bi = v, r
				}
			}
			out.Data[o*inner+i] = best
			arg[o*inner+i] = bi
		}
	}
	if !keepdim {
		out.Shape = dropAxes(kept, []int{axis})
	}
	xs := cloneShape(x.val.Shape)
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		mask := tensor.New[T](xs...)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				mask.Data[(o*n+arg[o*inner+i])*inner+i] = 1
			}
		}
		return []*Var[T]{MulConst(BroadcastTo(Reshape(gy, kept...), xs), mask)}
	})
}

// checkShape panics with an "autodiff:" message unless got equals want.
func checkShape(op string, got, want []int) {
	if !tensor.SameShape(got, want) {
		panic(fmt.Sprintf("autodiff: %s: shape %v, want %v", op, got, want))
	}
}
