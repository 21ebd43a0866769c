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

// broadcastIndex maps every flat index of shape out to the flat index of a
// tensor of shape in that is broadcast to out.
func broadcastIndex(in, out []int) []int {
	idx := make([]int, tensor.Numel(out))
	inStr := tensor.Strides(in)
	// effective stride of each output axis in the input (0 on broadcast axes)
	eff := make([]int, len(out))
	off := len(out) - len(in)
	for i := range out {
		j := i - off
		if j >= 0 && in[j] != 1 {
			eff[i] = inStr[j]
		}
	}
	coord := make([]int, len(out))
	pos := 0
	for k := range idx {
		idx[k] = pos
		for ax := len(out) - 1; ax >= 0; ax-- {
			coord[ax]++
			pos += eff[ax]
			if coord[ax] < out[ax] {
				break
			}
			pos -= eff[ax] * coord[ax]
			coord[ax] = 0
		}
	}
	return idx
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
	out := tensor.New[T](shape...)
	idx := broadcastIndex(x.val.Shape, shape)
	for k, j := range idx {
		out.Data[k] = x.val.Data[j]
	}
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
	out := tensor.New[T](shape...)
	idx := broadcastIndex(shape, x.val.Shape)
	for k, j := range idx {
		out.Data[j] += x.val.Data[k]
	}
	xs := append([]int(nil), x.val.Shape...)
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{BroadcastTo(gy, xs)}
	})
}

// binary applies f element-wise with broadcasting and returns the result
// tensor and the broadcast shape.
func binary[T Float](a, b *Var[T], f func(x, y T) T) *tensor.Tensor[T] {
	as, bsh := a.val.Shape, b.val.Shape
	if tensor.SameShape(as, bsh) {
		out := tensor.New[T](as...)
		ad, bd := a.val.Data, b.val.Data
		for i := range out.Data {
			out.Data[i] = f(ad[i], bd[i])
		}
		return out
	}
	shape, err := broadcastShape(as, bsh)
	if err != nil {
		panic(err.Error())
	}
	out := tensor.New[T](shape...)
	switch {
	case b.val.Len() == 1:
		bv := b.val.Data[0]
		ad := a.val.Data
		if len(ad) == len(out.Data) {
			for i := range out.Data {
				out.Data[i] = f(ad[i], bv)
			}
			return out
		}
	case a.val.Len() == 1:
		av := a.val.Data[0]
		bd := b.val.Data
		if len(bd) == len(out.Data) {
			for i := range out.Data {
				out.Data[i] = f(av, bd[i])
			}
			return out
		}
	}
	ia := broadcastIndex(as, shape)
	ib := broadcastIndex(bsh, shape)
	for i := range out.Data {
		out.Data[i] = f(a.val.Data[ia[i]], b.val.Data[ib[i]])
	}
	return out
}

// Add returns a + b with broadcasting.
func Add[T Float](a, b *Var[T]) *Var[T] {
	out := binary(a, b, func(x, y T) T { return x + y })
	as, bs := append([]int(nil), a.val.Shape...), append([]int(nil), b.val.Shape...)
	return NewOp(a.tape, out, []*Var[T]{a, b}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{SumTo(gy, as), SumTo(gy, bs)}
	})
}

// Mul returns a * b element-wise with broadcasting.
func Mul[T Float](a, b *Var[T]) *Var[T] {
	out := binary(a, b, func(x, y T) T { return x * y })
	return NewOp(a.tape, out, []*Var[T]{a, b}, func(gy *Var[T]) []*Var[T] {
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
