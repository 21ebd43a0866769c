package autodiff

import (
	"fmt"

	"github.com/metabench/metabench/tensor"
)

// broadcastShape returns the NumPy broadcast of two shapes.
func broadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("autodiff: shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// BroadcastTo expands x to shape (NumPy rules). Its gradient is SumTo.
func BroadcastTo[T Float](x *Var[T], shape []int) *Var[T] {
	if tensor.SameShape(x.val.Shape, shape) {
		return x
	}
	bs, err := broadcastShape(x.val.Shape, shape)
	if err != nil || !tensor.SameShape(bs, shape) {
		panic(fmt.Sprintf("autodiff: BroadcastTo: cannot broadcast %v to %v", x.val.Shape, shape))
	}
	out := broadcastKernel(x.tape.work, x.val, shape)
	xs := append([]int(nil), x.val.Shape...)
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{SumTo(gy, xs)}
	})
}

// SumTo sums x over the axes along which shape was broadcast to x's shape,
// giving a tensor of the given shape. Its gradient is BroadcastTo.
func SumTo[T Float](x *Var[T], shape []int) *Var[T] {
	if tensor.SameShape(x.val.Shape, shape) {
		return x
	}
	bs, err := broadcastShape(shape, x.val.Shape)
	if err != nil || !tensor.SameShape(bs, x.val.Shape) {
		panic(fmt.Sprintf("autodiff: SumTo: %v does not broadcast to %v", shape, x.val.Shape))
	}
	out := sumToKernel(x.val, shape)
	xs := append([]int(nil), x.val.Shape...)
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{BroadcastTo(gy, xs)}
	})
}

// Add returns a + b with broadcasting.
func Add[T Float](a, b *Var[T]) *Var[T] {
	tp := sameTape("Add", a, b)
	out := binaryKernel(a.tape.work, binAdd, a.val, b.val)
	as, bs := append([]int(nil), a.val.Shape...), append([]int(nil), b.val.Shape...)
	return NewOp(tp, out, []*Var[T]{a, b}, func(gy *Var[T]) []*Var[T] {
		var ga, gb *Var[T]
		if a.requiresGrad {
			ga = SumTo(gy, as)
		}
		if b.requiresGrad {
			gb = SumTo(gy, bs)
		}
		return []*Var[T]{ga, gb}
	})
}

// Mul returns a * b element-wise with broadcasting.
func Mul[T Float](a, b *Var[T]) *Var[T] {
	tp := sameTape("Mul", a, b)
	out := binaryKernel(a.tape.work, binMul, a.val, b.val)
	return NewOp(tp, out, []*Var[T]{a, b}, func(gy *Var[T]) []*Var[T] {
		var ga, gb *Var[T]
		if a.requiresGrad {
			ga = SumTo(Mul(gy, b), a.val.Shape)
		}
		if b.requiresGrad {
			gb = SumTo(Mul(gy, a), b.val.Shape)
		}
		return []*Var[T]{ga, gb}
	})
}
