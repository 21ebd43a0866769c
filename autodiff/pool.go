package autodiff

import (
	"fmt"

	"github.com/metabench/metabench/internal/vec"

	"github.com/metabench/metabench/tensor"
)

func poolGeom[T Float](op string, x *Var[T], kh, kw, sh, sw, ph, pw int) tensor.PoolGeom {
	g, err := tensor.PoolGeomFor(x.val.Shape, kh, kw, sh, sw, ph, pw)
	if err != nil {
		panic(fmt.Sprintf("autodiff: %s: %v", op, err))
	}
	return g
}

// MaxPool2d is max pooling over x [N, C, H, W] with a square kernel, stride
// and padding (padding counts as -inf, ceil_mode false; see
// tensor.PoolGeom). The forward records the argmax index idx[o] of every
// output. With idx fixed, the op is linear and so are its derivatives:
//
//	y = gather(x, idx)        backward(gy) = scatter(gy, idx)   (dx[idx[o]] += gy[o])
//	scatter(g, idx)           backward(u)  = gather(u, idx)
//	gather(u, idx)            backward(g)  = scatter(g, idx)
//
// so derivatives of any order are exact away from ties (the second
// derivative w.r.t. x is zero almost everywhere).
func MaxPool2d[T Float](x *Var[T], kernel, stride, padding int) *Var[T] {
	return MaxPool2dHW(x, kernel, kernel, stride, stride, padding, padding)
}

// MaxPool2dHW is MaxPool2d with a rectangular kernel, stride and padding.
func MaxPool2dHW[T Float](x *Var[T], kh, kw, sh, sw, ph, pw int) *Var[T] {
	g := poolGeom("MaxPool2d", x, kh, kw, sh, sw, ph, pw)
	y, idx := tensor.MaxPool2dIn(x.val, g, x.tape.work)
	if x.reluIn != nil && x.backward != nil {
		return reluMaxPoolOp(x, y, idx, g)
	}
	return NewOp(x.tape, y, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{poolScatter(gy, idx, g)}
	})
}

func poolScatter[T Float](gy *Var[T], idx []int32, g tensor.PoolGeom) *Var[T] {
	dx := tensor.MaxPoolScatterIn(gy.val, idx, g, gy.tape.work)
	return NewOp(gy.tape, dx, []*Var[T]{gy}, func(u *Var[T]) []*Var[T] {
		return []*Var[T]{poolGather(u, idx, g)}
	})
}

func poolGather[T Float](u *Var[T], idx []int32, g tensor.PoolGeom) *Var[T] {
	y := tensor.MaxPoolGatherIn(u.val, idx, g, u.tape.work)
	return NewOp(u.tape, y, []*Var[T]{u}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{poolScatter(gy, idx, g)}
	})
}

// AvgPool2d is average pooling over x [N, C, H, W] with a square kernel,
// stride and padding, count_include_pad=false (the divisor counts only the
// cells inside the image). It is linear: its backward is the adjoint
// avgT(gy) (dx[h,w] = sum over windows o containing (h,w) of gy[o]/count(o)),
// whose own backward is AvgPool2d again.
func AvgPool2d[T Float](x *Var[T], kernel, stride, padding int) *Var[T] {
	return AvgPool2dHW(x, kernel, kernel, stride, stride, padding, padding)
}

// AvgPool2dHW is AvgPool2d with a rectangular kernel, stride and padding.
func AvgPool2dHW[T Float](x *Var[T], kh, kw, sh, sw, ph, pw int) *Var[T] {
	return avgPoolOp(x, poolGeom("AvgPool2d", x, kh, kw, sh, sw, ph, pw))
}

func avgPoolOp[T Float](x *Var[T], g tensor.PoolGeom) *Var[T] {
	y := tensor.AvgPool2dIn(x.val, g, x.tape.work)
	return NewOp(x.tape, y, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{avgPoolTOp(gy, g)}
	})
}

func avgPoolTOp[T Float](gy *Var[T], g tensor.PoolGeom) *Var[T] {
	dx := tensor.AvgPool2dAdjointIn(gy.val, g, gy.tape.work)
	return NewOp(gy.tape, dx, []*Var[T]{gy}, func(u *Var[T]) []*Var[T] {
		return []*Var[T]{avgPoolOp(u, g)}
	})
}

// GlobalAvgPool is the mean over the spatial axes: x [N, C, H, W] -> [N, C].
// Its backward broadcasts gy[n,c]/(H*W) over the plane; that broadcast's
// backward is GlobalAvgPool again.
func GlobalAvgPool[T Float](x *Var[T]) *Var[T] {
	if len(x.val.Shape) != 4 {
		panic(fmt.Sprintf("autodiff: GlobalAvgPool: input shape %v, want [N, C, H, W]", x.val.Shape))
	}
	return gapOp(x)
}

func gapOp[T Float](x *Var[T]) *Var[T] {
	s := x.val.Shape
	n, c, hw := s[0], s[1], s[2]*s[3]
	out := tensor.New[T](n, c)
	for p := range out.Data {
		out.Data[p] = T(chanSumF64(x.val.Data[p*hw:(p+1)*hw]) / float64(hw))
	}
	shape := cloneShape(s)
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{gapTOp(gy, shape)}
	})
}

func gapTOp[T Float](gy *Var[T], shape []int) *Var[T] {
	hw := shape[2] * shape[3]
	out := tensor.MakeRaw[T](gy.tape.work, shape...) // every element is written
	inv := 1 / float64(hw)
	for p, v := range gy.val.Data {
		val := T(float64(v) * inv)
		blk := out.Data[p*hw : (p+1)*hw]
		for k := range blk {
			blk[k] = val
		}
	}
	return NewOp(gy.tape, out, []*Var[T]{gy}, func(u *Var[T]) []*Var[T] {
		return []*Var[T]{gapOp(u)}
	})
}

// ReLUMaxPool2d is MaxPool2d(ReLU(z), kernel, stride, padding) computed as
// one op, without the full-size ReLU output: ReLU is monotone, so
// maxpool(relu(z)) = relu(maxpool(z)) with the same window argmax whenever
// the window's maximum is positive (ties among positive values pick the same
// first cell; non-positive cells all become 0 and lose to it); where it is
// not, the output is +0 and the gradient path is dropped, as in
// reluMaxPoolOp. NaNs propagate as in the unfused pair. Values, gradients
// and all higher derivatives are those of the unfused pair, bit for bit.
func ReLUMaxPool2d[T Float](z *Var[T], kernel, stride, padding int) *Var[T] {
	g := poolGeom("ReLUMaxPool2d", z, kernel, kernel, stride, stride, padding, padding)
	y, idx := tensor.MaxPool2dIn(z.val, g, z.tape.work)
	// y[o] = z[idx[o]]: drop the windows whose maximum is not > 0, then ReLU.
	dropReLUInPlace(idx, y.Data)
	return NewOp(z.tape, y, []*Var[T]{z}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{maskedScatter(gy, idx, g)}
	})
}

// Discard hands v's value buffer back to its tape's workspace arena (when
// the arena lent it) for reuse by later ops of the same arena scope. It is
// for model code that knows an activation is dead: nothing may read v's
// value again, nor that of a view of it (its shape stays valid, so v may
// remain a parent in the graph as long as no backward rule reads its
// value). Conv4 uses it on the batch-norm output once ReLUMaxPool2d, whose
// backward keeps only the argmax indices, has consumed it.
func Discard[T Float](v *Var[T]) {
	if v.tape.work != nil {
		tensor.Recycle(v.tape.work, tensor.Mark{}, v.val.Data)
	}
}

// reluMaxPoolOp is y = maxpool(relu(z)) as one op over z = x.reluIn, where x
// = relu(z) and y, idx are the pooling of x. The chain's backward,
// stepMask(scatter(gy, idx), x > 0), equals a scatter through the masked
// indices
//
//	midx[o] = idx[o] if x[idx[o]] > 0, else -1 (dropped)
//
// because the mask depends only on the target position: masked positions
// get 0 and the others the same sums, in the same order, bit for bit. With
// midx fixed the op is linear, and as for MaxPool2d the masked scatter and
// the masked gather (out[o] = u[midx[o]], 0 where dropped) are each
// other's backward, so all orders are exact away from ties and zeros. The
// op keeps midx only: not x, and no full-size intermediate gradient.
func reluMaxPoolOp[T Float](x *Var[T], y *tensor.Tensor[T], idx []int32, g tensor.PoolGeom) *Var[T] {
	for o, i := range idx {
		if !(x.val.Data[i] > 0) {
			idx[o] = -1
		}
	}
	return NewOp(x.tape, y, []*Var[T]{x.reluIn}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{maskedScatter(gy, idx, g)}
	})
}

// maskedScatter is dx[midx[o]] += gy[o] over o in order, skipping midx[o] < 0.
func maskedScatter[T Float](gy *Var[T], midx []int32, g tensor.PoolGeom) *Var[T] {
	// The indices of plane p's outputs point into plane p of dx, so planes
	// are independent: each is done, in order, by one goroutine.
	p := g.OutH() * g.OutW()
	hw := g.H * g.W
	if g.KH == 2 && g.KW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 && g.PadW == 0 {
		// Disjoint windows: every cell of dx is written once (no clearing
		// pass, no accumulation).
		dx := tensor.MakeRaw[T](gy.tape.work, g.XShape()...)
		forChannels(g.N*g.C, 4*len(gy.val.Data), func(pl int) {
			maskedUnpool2x2Plane(dx.Data[pl*hw:(pl+1)*hw], gy.val.Data[pl*p:(pl+1)*p], midx[pl*p:(pl+1)*p], int32(pl*hw), g.H, g.W)
		})
		return NewOp(gy.tape, dx, []*Var[T]{gy}, func(u *Var[T]) []*Var[T] {
			return []*Var[T]{maskedGather(u, midx, g)}
		})
	}
	dx := tensor.Make[T](gy.tape.work, g.XShape()...)
	forChannels(g.N*g.C, len(gy.val.Data), func(pl int) {
		maskedScatterPlane(dx.Data[pl*hw:(pl+1)*hw], gy.val.Data[pl*p:(pl+1)*p], midx[pl*p:(pl+1)*p], int32(pl*hw))
	})
	return NewOp(gy.tape, dx, []*Var[T]{gy}, func(u *Var[T]) []*Var[T] {
		return []*Var[T]{maskedGather(u, midx, g)}
	})
}

// maskedGather is out[o] = u[midx[o]] (0 where midx[o] < 0).
func maskedGather[T Float](u *Var[T], midx []int32, g tensor.PoolGeom) *Var[T] {
	out := tensor.MakeRaw[T](u.tape.work, g.YShape()...) // every output is written
	p, hw := g.OutH()*g.OutW(), g.H*g.W
	forChannels(g.N*g.C, len(out.Data), func(pl int) {
		maskedGatherPlane(out.Data[pl*p:(pl+1)*p], u.val.Data[pl*hw:(pl+1)*hw], midx[pl*p:(pl+1)*p], int32(pl*hw))
	})
	return NewOp(u.tape, out, []*Var[T]{u}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{maskedScatter(gy, midx, g)}
	})
}

// maskedUnpool2x2Plane writes one h x w plane of the masked scatter of a
// 2x2, stride 2 pool: each window's four cells are 0 but for its argmax
// cell, which gets the window's gradient (kept windows only); cells outside
// every window (the last row or column of an odd size) are 0.
func maskedUnpool2x2Plane[T Float](dx, gy []T, midx []int32, base int32, h, w int) {
	oh, ow := h/2, w/2
	for r := 0; r < oh; r++ {
		r0 := dx[2*r*w : 2*r*w+w]
		r1 := dx[(2*r+1)*w : (2*r+1)*w+w]
		clear(r0[2*ow:])
		clear(r1[2*ow:])
		gs := gy[r*ow : (r+1)*ow]
		is := midx[r*ow : (r+1)*ow]
		if isF32[T]() {
			o0 := base + int32(2*r*w)
			vec.MaskedUnpool2x2Row(asF32(r0), asF32(r1), asF32(gs), is, o0, o0+int32(w))
			continue
		}
		for c := range gs {
			r0[2*c], r0[2*c+1], r1[2*c], r1[2*c+1] = 0, 0, 0, 0
			if i := is[c]; i >= 0 {
				dx[i-base] = gs[c]
			}
		}
	}
	clear(dx[2*oh*w:])
}
