package autodiff

import (
	"fmt"

	"github.com/metabench/metabench/tensor"
)

// Reshape returns x with a new shape of the same number of elements; one
// dimension may be -1 (inferred). The data is shared, not copied (values
// are never modified in place). Backward: reshape back.
func Reshape[T Float](x *Var[T], shape ...int) *Var[T] {
	shape = cloneShape(shape)
	infer, n := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("autodiff: Reshape: invalid shape %v", shape))
		default:
			n *= d
		}
	}
	if infer >= 0 {
		if n == 0 || len(x.val.Data)%n != 0 {
			panic(fmt.Sprintf("autodiff: Reshape: cannot reshape %v to %v", x.val.Shape, shape))
		}
		shape[infer] = len(x.val.Data) / n
		n *= shape[infer]
	}
	if n != len(x.val.Data) {
		panic(fmt.Sprintf("autodiff: Reshape: cannot reshape %v to %v", x.val.Shape, shape))
	}
	if tensor.SameShape(shape, x.val.Shape) {
		return x
	}
	out := &tensor.Tensor[T]{Shape: shape, Data: x.val.Data}
	xs := cloneShape(x.val.Shape)
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{Reshape(gy, xs...)}
	})
}

// Flatten reshapes x [N, ...] to [N, prod(...)].
func Flatten[T Float](x *Var[T]) *Var[T] {
	if len(x.val.Shape) < 1 {
		panic("autodiff: Flatten of a scalar")
	}
	return Reshape(x, x.val.Shape[0], -1)
}

// Permute reorders the axes: output axis i is input axis axes[i]. Backward:
// the inverse permutation.
func Permute[T Float](x *Var[T], axes ...int) *Var[T] {
	nd := len(x.val.Shape)
	if len(axes) != nd {
		panic(fmt.Sprintf("autodiff: Permute: %d axes for %d dimensions", len(axes), nd))
	}
	seen := make([]bool, nd)
	inv := make([]int, nd)
	identity := true
	for i, a := range axes {
		a = normAxis("Permute", a, nd)
		if seen[a] {
			panic(fmt.Sprintf("autodiff: Permute: repeated axis in %v", axes))
		}
		seen[a] = true
		inv[a] = i
		if a != i {
			identity = false
		}
	}
	if identity {
		return x
	}
	perm := make([]int, nd)
	for i, a := range inv {
		perm[a] = i
	}
	out := permuteKernel(x.tape.work, x.val, perm)
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{Permute(gy, inv...)}
	})
}

func permuteKernel[T Float](ws *tensor.Workspace, x *tensor.Tensor[T], perm []int) *tensor.Tensor[T] {
	nd := len(perm)
	inStr := tensor.Strides(x.Shape)
	shape := make([]int, nd)
	str := make([]int, nd) // input stride of each output axis
	for i, a := range perm {
		shape[i] = x.Shape[a]
		str[i] = inStr[a]
	}
	out := tensor.MakeRaw[T](ws, shape...) // every element is written
	n := len(out.Data)
	if n == 0 {
		return out
	}
	if nd == 2 {
		r, c := shape[0], shape[1]
		for i := 0; i < r; i++ {
			row := out.Data[i*c : i*c+c]
			for j := range row {
				row[j] = x.Data[i*str[0]+j*str[1]]
			}
		}
		return out
	}
	last := shape[nd-1]
	ls := str[nd-1]
	coord := make([]int, nd)
	pos := 0
	for k := 0; k < n; k += last {
		row := out.Data[k : k+last]
		for j := range row {
			row[j] = x.Data[pos+j*ls]
		}
		for ax := nd - 2; ax >= 0; ax-- {
			coord[ax]++
			pos += str[ax]
			if coord[ax] < shape[ax] {
				break
			}
			pos -= str[ax] * coord[ax]
			coord[ax] = 0
		}
	}
	return out
}

// Transpose swaps the last two axes (the matrix transpose for 2-D x).
func Transpose[T Float](x *Var[T]) *Var[T] {
	nd := len(x.val.Shape)
	if nd < 2 {
		panic(fmt.Sprintf("autodiff: Transpose of shape %v", x.val.Shape))
	}
	axes := make([]int, nd)
	for i := range axes {
		axes[i] = i
	}
	axes[nd-2], axes[nd-1] = nd-1, nd-2
	return Permute(x, axes...)
}

// Concat joins xs along axis; all other dimensions must agree. Backward:
// slices of gy.
func Concat[T Float](axis int, xs ...*Var[T]) *Var[T] {
	if len(xs) == 0 {
		panic("autodiff: Concat of nothing")
	}
	tp := sameTape("Concat", xs...)
	nd := len(xs[0].val.Shape)
	axis = normAxis("Concat", axis, nd)
	shape := cloneShape(xs[0].val.Shape)
	total := 0
	for _, x := range xs {
		s := x.val.Shape
		if len(s) != nd {
			panic(fmt.Sprintf("autodiff: Concat: shapes %v and %v", xs[0].val.Shape, s))
		}
		for i := range s {
			if i != axis && s[i] != shape[i] {
				panic(fmt.Sprintf("autodiff: Concat: shapes %v and %v differ off axis %d", xs[0].val.Shape, s, axis))
			}
		}
		total += s[axis]
	}
	if len(xs) == 1 {
		return xs[0]
	}
	shape[axis] = total
	out := tensor.New[T](shape...)
	outer, _, inner := splitAt(shape, axis)
	rowOut := total * inner
	off := 0
	starts := make([]int, len(xs))
	for j, x := range xs {
		starts[j] = off
		w := x.val.Shape[axis] * inner
		for o := 0; o < outer; o++ {
			copy(out.Data[o*rowOut+off*inner:o*rowOut+off*inner+w], x.val.Data[o*w:o*w+w])
		}
		off += x.val.Shape[axis]
	}
	parents := append([]*Var[T](nil), xs...)
	return NewOp(tp, out, parents, func(gy *Var[T]) []*Var[T] {
		g := make([]*Var[T], len(parents))
		for j, x := range parents {
			if x.requiresGrad {
				g[j] = Slice(gy, axis, starts[j], starts[j]+x.val.Shape[axis], 1)
			}
		}
		return g
	})
}

// region describes a strided box inside a tensor of shape big: along axis d
// it takes small[d] elements starting at start[d] with step step[d].
type region struct {
	big, small, start, step []int
}

// regionCopy copies between a big tensor's box and a small tensor: from big
// into small when gather is true, else from small into big (which is
// assumed zero outside the box).
func regionCopy[T Float](big, small []T, r *region, gather bool) {
	nd := len(r.small)
	n := tensor.Numel(r.small)
	if n == 0 {
		return
	}
	if nd == 0 {
		if gather {
			small[0] = big[0]
		} else {
			big[0] = small[0]
		}
		return
	}
	bstr := tensor.Strides(r.big)
	eff := make([]int, nd)
	base := 0
	for d := 0; d < nd; d++ {
		eff[d] = bstr[d] * r.step[d]
		base += r.start[d] * bstr[d]
	}
	last := r.small[nd-1]
	ls := eff[nd-1]
	coord := make([]int, nd)
	pos := base
	for k := 0; k < n; k += last {
		row := small[k : k+last]
		if ls == 1 {
			if gather {
				copy(row, big[pos:pos+last])
			} else {
				copy(big[pos:pos+last], row)
			}
		} else if gather {
			for j := range row {
				row[j] = big[pos+j*ls]
			}
		} else {
			for j, v := range row {
				big[pos+j*ls] = v
			}
		}
		for ax := nd - 2; ax >= 0; ax-- {
			coord[ax]++
			pos += eff[ax]
			if coord[ax] < r.small[ax] {
				break
			}
			pos -= eff[ax] * coord[ax]
			coord[ax] = 0
		}
	}
}

// extract returns the box r of x (shape r.big). Backward: scatter.
func extract[T Float](x *Var[T], r *region) *Var[T] {
	out := tensor.MakeRaw[T](x.tape.work, r.small...) // every element is written
	regionCopy(x.val.Data, out.Data, r, true)
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{scatter(gy, r)}
	})
}

// scatter places x (shape r.small) into the box r of a zero tensor of shape
// r.big. Backward: extract.
func scatter[T Float](x *Var[T], r *region) *Var[T] {
	out := tensor.Make[T](x.tape.work, r.big...)
	regionCopy(out.Data, x.val.Data, r, false)
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{extract(gy, r)}
	})
}

// Slice takes x[start:end:step] along axis (0 <= start <= end <= dim,
// step >= 1; negative start/end count from the end as in Python). Its
// backward scatters gy into zeros; that scatter's backward is the slice
// again, so any order of derivative is available.
func Slice[T Float](x *Var[T], axis, start, end, step int) *Var[T] {
	nd := len(x.val.Shape)
	axis = normAxis("Slice", axis, nd)
	dim := x.val.Shape[axis]
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	if step < 1 || start < 0 || end > dim || start > end {
		panic(fmt.Sprintf("autodiff: Slice: [%d:%d:%d] of axis %d with size %d", start, end, step, axis, dim))
	}
	if start == 0 && end == dim && step == 1 {
		return x
	}
	r := &region{big: cloneShape(x.val.Shape), small: cloneShape(x.val.Shape),
		start: make([]int, nd), step: make([]int, nd)}
	for d := range r.step {
		r.step[d] = 1
	}
	r.start[axis] = start
	r.step[axis] = step
	r.small[axis] = (end - start + step - 1) / step
	return extract(x, r)
}

// Pad adds zeros around x: pads[d] = {before, after} for axis d (len(pads)
// must equal x's number of dimensions). Backward: the slice of gy that
// covers x.
func Pad[T Float](x *Var[T], pads [][2]int) *Var[T] {
	nd := len(x.val.Shape)
	if len(pads) != nd {
		panic(fmt.Sprintf("autodiff: Pad: %d pads for %d dimensions", len(pads), nd))
	}
	r := &region{big: make([]int, nd), small: cloneShape(x.val.Shape),
		start: make([]int, nd), step: make([]int, nd)}
	zero := true
	for d, p := range pads {
		if p[0] < 0 || p[1] < 0 {
			panic(fmt.Sprintf("autodiff: Pad: negative padding %v", pads))
		}
		if p[0] != 0 || p[1] != 0 {
			zero = false
		}
		r.start[d] = p[0]
		r.step[d] = 1
		r.big[d] = p[0] + x.val.Shape[d] + p[1]
	}
	if zero {
		return x
	}
	return scatter(x, r)
}
