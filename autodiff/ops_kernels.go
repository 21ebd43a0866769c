package autodiff

import (
	"fmt"

	"github.com/metabench/metabench/internal/vec"
	"github.com/metabench/metabench/tensor"
)

// binKind selects the arithmetic of binaryKernel. The switch is outside the
// loops so that the hot paths are plain loops over []T.
type binKind int

const (
	binAdd binKind = iota
	binSub
	binMul
	binDiv
)

// binLoop computes out[i] = a[i] (op) b[i] for equal-length slices.
func binLoop[T Float](k binKind, a, b, out []T) {
	_ = a[len(out)-1:]
	_ = b[len(out)-1:]
	if k == binAdd && isF32[T]() {
		vec.Sum2(asF32(out), asF32(a), asF32(b)) // the same float32 adds
		return
	}
	switch k {
	case binAdd:
		for i := range out {
			out[i] = a[i] + b[i]
		}
	case binSub:
		for i := range out {
			out[i] = a[i] - b[i]
		}
	case binMul:
		for i := range out {
			out[i] = a[i] * b[i]
		}
	case binDiv:
		for i := range out {
			out[i] = a[i] / b[i]
		}
	}
}

// binLoopScalarB computes out[i] = a[i] (op) s.
func binLoopScalarB[T Float](k binKind, a []T, s T, out []T) {
	if k == binMul && isF32[T]() {
		vec.MulAdd(asF32(out), asF32(a), float32(s), false) // the same float32 products
		return
	}
	switch k {
	case binAdd:
		for i, v := range a {
			out[i] = v + s
		}
	case binSub:
		for i, v := range a {
			out[i] = v - s
		}
	case binMul:
		for i, v := range a {
			out[i] = v * s
		}
	case binDiv:
		for i, v := range a {
			out[i] = v / s
		}
	}
}

// binLoopScalarA computes out[i] = s (op) b[i].
func binLoopScalarA[T Float](k binKind, s T, b []T, out []T) {
	if k == binMul && isF32[T]() {
		vec.MulAdd(asF32(out), asF32(b), float32(s), false)
		return
	}
	switch k {
	case binAdd:
		for i, v := range b {
			out[i] = s + v
		}
	case binSub:
		for i, v := range b {
			out[i] = s - v
		}
	case binMul:
		for i, v := range b {
			out[i] = s * v
		}
	case binDiv:
		for i, v := range b {
			out[i] = s / v
		}
	}
}

func binOne[T Float](k binKind, x, y T) T {
	switch k {
	case binAdd:
		return x + y
	case binSub:
		return x - y
	case binMul:
		return x * y
	default:
		return x / y
	}
}

// isSuffix reports whether small equals the trailing dimensions of big
// (leading ones of small ignored).
func isSuffix(small, big []int) bool {
	for len(small) > 0 && small[0] == 1 {
		small = small[1:]
	}
	if len(small) > len(big) {
		return false
	}
	return tensor.SameShape(small, big[len(big)-len(small):])
}

// binaryKernel computes a (op) b with NumPy broadcasting. Fast paths: equal
// shapes, a scalar operand, and an operand that repeats along leading axes
// (a bias); everything else goes through an index map.
func binaryKernel[T Float](ws *tensor.Workspace, k binKind, a, b *tensor.Tensor[T]) *tensor.Tensor[T] {
	as, bs := a.Shape, b.Shape
	if tensor.SameShape(as, bs) {
		out := tensor.MakeRaw[T](ws, as...)
		if len(out.Data) > 0 {
			binLoop(k, a.Data, b.Data, out.Data)
		}
		return out
	}
	shape, err := broadcastShape(as, bs)
	if err != nil {
		panic(err.Error())
	}
	out := tensor.Make[T](ws, shape...)
	n := len(out.Data)
	if n == 0 {
		return out
	}
	switch {
	case len(b.Data) == 1 && len(a.Data) == n:
		binLoopScalarB(k, a.Data, b.Data[0], out.Data)
		return out
	case len(a.Data) == 1 && len(b.Data) == n:
		binLoopScalarA(k, a.Data[0], b.Data, out.Data)
		return out
	case len(a.Data) == n && len(b.Data) > 0 && isSuffix(bs, shape):
		m := len(b.Data)
		for off := 0; off < n; off += m {
			binLoop(k, a.Data[off:off+m], b.Data, out.Data[off:off+m])
		}
		return out
	case len(b.Data) == n && len(a.Data) > 0 && isSuffix(as, shape):
		m := len(a.Data)
		for off := 0; off < n; off += m {
			binLoop(k, a.Data, b.Data[off:off+m], out.Data[off:off+m])
		}
		return out
	}
	binaryBroadcast(k, a, b, out)
	return out
}

// effStrides returns the stride of x along each axis of out (0 where x is
// broadcast).
func effStrides(x, out []int) []int {
	eff := make([]int, len(out))
	str := tensor.Strides(x)
	off := len(out) - len(x)
	for i := range out {
		if j := i - off; j >= 0 && x[j] != 1 {
			eff[i] = str[j]
		}
	}
	return eff
}

// binaryBroadcast is the general broadcasting case of binaryKernel. Adjacent
// axes that are contiguous (or broadcast) in both operands are merged, and
// the innermost axis runs one of the plain loops.
func binaryBroadcast[T Float](k binKind, a, b, out *tensor.Tensor[T]) {
	shape := cloneShape(out.Shape)
	ea, eb := effStrides(a.Shape, shape), effStrides(b.Shape, shape)
	// coalesce from the innermost axis outwards
	for i := len(shape) - 2; i >= 0; i-- {
		n := shape[i+1]
		if ea[i] == ea[i+1]*n && eb[i] == eb[i+1]*n {
			shape[i] *= n
			ea[i], eb[i] = ea[i+1], eb[i+1]
			shape = append(shape[:i+1], shape[i+2:]...)
			ea = append(ea[:i+1], ea[i+2:]...)
			eb = append(eb[:i+1], eb[i+2:]...)
		}
	}
	nd := len(shape)
	blocks := make([]int, nd)
	bl := 1
	for i := nd - 1; i >= 0; i-- {
		blocks[i] = bl
		bl *= shape[i]
	}
	ad, bd, od := a.Data, b.Data, out.Data
	var rec func(o, ax, ia, ib int)
	rec = func(o, ax, ia, ib int) {
		n := shape[ax]
		if ax == nd-1 {
			dst := od[o : o+n]
			switch {
			case ea[ax] == 1 && eb[ax] == 1:
				binLoop(k, ad[ia:ia+n], bd[ib:ib+n], dst)
			case ea[ax] == 1 && eb[ax] == 0:
				binLoopScalarB(k, ad[ia:ia+n], bd[ib], dst)
			case ea[ax] == 0 && eb[ax] == 1:
				binLoopScalarA(k, ad[ia], bd[ib:ib+n], dst)
			default:
				for j := range dst {
					dst[j] = binOne(k, ad[ia+j*ea[ax]], bd[ib+j*eb[ax]])
				}
			}
			return
		}
		for j := 0; j < n; j++ {
			rec(o+j*blocks[ax], ax+1, ia+j*ea[ax], ib+j*eb[ax])
		}
	}
	rec(0, 0, 0, 0)
}

// normAxis turns a possibly negative axis into [0, nd) or panics.
func normAxis(op string, axis, nd int) int {
	if axis < 0 {
		axis += nd
	}
	if axis < 0 || axis >= nd {
		panic(fmt.Sprintf("autodiff: %s: axis out of range for %d dimensions", op, nd))
	}
	return axis
}

// normAxes returns the sorted, de-duplicated, non-negative axes; nil or
// empty means every axis.
func normAxes(op string, axes []int, nd int) []int {
	seen := make([]bool, nd)
	if len(axes) == 0 {
		for i := range seen {
			seen[i] = true
		}
	}
	for _, a := range axes {
		a = normAxis(op, a, nd)
		if seen[a] {
			panic(fmt.Sprintf("autodiff: %s: repeated axis %d", op, a))
		}
		seen[a] = true
	}
	var out []int
	for i, s := range seen {
		if s {
			out = append(out, i)
		}
	}
	return out
}

// splitAt returns (outer, n, inner) for a reduction over one axis.
func splitAt(shape []int, axis int) (outer, n, inner int) {
	outer, inner = 1, 1
	for i := 0; i < axis; i++ {
		outer *= shape[i]
	}
	for i := axis + 1; i < len(shape); i++ {
		inner *= shape[i]
	}
	return outer, shape[axis], inner
}

// sumAxisKernel sums x over one axis, keeping it with size 1. The order of
// summation is fixed (sequential along the axis).
func sumAxisKernel[T Float](x *tensor.Tensor[T], axis int) *tensor.Tensor[T] {
	shape := cloneShape(x.Shape)
	outer, n, inner := splitAt(shape, axis)
	shape[axis] = 1
	out := tensor.New[T](shape...)
	xd, od := x.Data, out.Data
	if inner == 1 {
		for o := 0; o < outer; o++ {
			var s T
			for _, v := range xd[o*n : o*n+n] {
				s += v
			}
			od[o] = s
		}
		return out
	}
	for o := 0; o < outer; o++ {
		dst := od[o*inner : o*inner+inner]
		for r := 0; r < n; r++ {
			src := xd[(o*n+r)*inner : (o*n+r)*inner+inner]
			for i, v := range src {
				dst[i] += v
			}
		}
	}
	return out
}

// sumKernel sums x over the given (normalised) axes, keeping them with size
// 1. Contiguous axes are reduced in one pass, others one axis at a time.
func sumKernel[T Float](x *tensor.Tensor[T], axes []int) *tensor.Tensor[T] {
	if len(axes) == 0 {
		return x.Clone()
	}
	contiguous := axes[len(axes)-1]-axes[0] == len(axes)-1
	if contiguous {
		// merge the axes into one
		a0, a1 := axes[0], axes[len(axes)-1]
		outer, inner, n := 1, 1, 1
		for i, d := range x.Shape {
			switch {
			case i < a0:
				outer *= d
			case i > a1:
				inner *= d
			default:
				n *= d
			}
		}
		merged := &tensor.Tensor[T]{Shape: []int{outer, n, inner}, Data: x.Data}
		r := sumAxisKernel(merged, 1)
		shape := cloneShape(x.Shape)
		for _, a := range axes {
			shape[a] = 1
		}
		r.Shape = shape
		return r
	}
	r := x
	for i := len(axes) - 1; i >= 0; i-- {
		r = sumAxisKernel(r, axes[i])
	}
	return r
}

// dropAxes removes the given (sorted) axes from shape.
func dropAxes(shape, axes []int) []int {
	out := make([]int, 0, len(shape))
	j := 0
	for i, d := range shape {
		if j < len(axes) && axes[j] == i {
			j++
			continue
		}
		out = append(out, d)
	}
	return out
}

// broadcastKernel expands x to shape (which x broadcasts to): contiguous
// runs are copied, and a block repeated along a broadcast axis is copied
// from its first instance.
func broadcastKernel[T Float](ws *tensor.Workspace, x *tensor.Tensor[T], shape []int) *tensor.Tensor[T] {
	out := tensor.Make[T](ws, shape...)
	if len(out.Data) == 0 {
		return out
	}
	nd := len(shape)
	if nd == 0 {
		out.Data[0] = x.Data[0]
		return out
	}
	inStr := tensor.Strides(x.Shape)
	eff := make([]int, nd)
	off := nd - len(x.Shape)
	for i := range shape {
		if j := i - off; j >= 0 && x.Shape[j] != 1 {
			eff[i] = inStr[j]
		}
	}
	blocks := make([]int, nd) // size of the output block below axis i
	b := 1
	for i := nd - 1; i >= 0; i-- {
		blocks[i] = b
		b *= shape[i]
	}
	var rec func(dst []T, ax, src int)
	rec = func(dst []T, ax, src int) {
		n, blk := shape[ax], blocks[ax]
		if ax == nd-1 {
			if eff[ax] == 0 {
				v := x.Data[src]
				for i := range dst[:n] {
					dst[i] = v
				}
			} else {
				copy(dst[:n], x.Data[src:src+n])
			}
			return
		}
		if eff[ax] == 0 {
			rec(dst[:blk], ax+1, src)
			for i := 1; i < n; i++ {
				copy(dst[i*blk:(i+1)*blk], dst[:blk])
			}
			return
		}
		for i := 0; i < n; i++ {
			rec(dst[i*blk:(i+1)*blk], ax+1, src+i*eff[ax])
		}
	}
	rec(out.Data, 0, 0)
	return out
}

// sumToKernel sums x (shape xs) down to shape, which broadcasts to xs.
func sumToKernel[T Float](x *tensor.Tensor[T], shape []int) *tensor.Tensor[T] {
	nd := len(x.Shape)
	off := nd - len(shape)
	var axes []int
	for i := 0; i < nd; i++ {
		if j := i - off; j < 0 || (shape[j] == 1 && x.Shape[i] != 1) {
			axes = append(axes, i)
		}
	}
	r := sumKernel(x, axes)
	r.Shape = cloneShape(shape)
	return r
}
