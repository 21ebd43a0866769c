package autodiff

import (
	"fmt"
	"unsafe"

	"github.com/metabench/metabench/tensor"
)

// Conv2dOpts are the options of Conv2d. Zero stride, dilation and groups
// mean 1. Work, if set, is a caller-owned scratch pool reused by the kernels
// (im2col columns); nil uses the tape's workspace (Tape.Workspace).
type Conv2dOpts struct {
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	Groups           int
	Work             *tensor.Workspace
}

// Conv2d returns the 2-D convolution (cross-correlation, as in PyTorch) of
// x [N, C, H, W] with w [K, C/groups, KH, KW], plus bias [K] per output
// channel when bias is not nil; the result is [N, K, OH, OW] (see
// tensor.ConvGeom for the index formula).
//
// The convolution is bilinear, and three mutually adjoint ops form a set that
// is closed under differentiation, so derivatives of any order are exact:
//
//	y  = conv(x, w)     backward(gy): dx = convT(gy, w),  dw = convW(x, gy)
//	dx = convT(g, w)    backward(u):  dg = conv(u, w),    dw = convW(u, g)
//	dw = convW(x, g)    backward(u):  dx = convT(g, u),   dg = conv(x, u)
//
// which follow from <conv(x,w), g> = <x, convT(g,w)> = <w, convW(x,g)>. The
// bias add has backward (gy, sum_{n,h,w} gy) and the sum's backward is a
// broadcast over (n, h, w).
func Conv2d[T Float](x, w, bias *Var[T], o Conv2dOpts) *Var[T] {
	g, err := tensor.ConvGeomFor(x.val.Shape, w.val.Shape, o.StrideH, o.StrideW, o.PadH, o.PadW, o.DilH, o.DilW, o.Groups)
	if err != nil {
		panic("autodiff: Conv2d: " + err.Error())
	}
	if bias != nil && (len(bias.val.Shape) != 1 || bias.val.Shape[0] != g.K) {
		panic(fmt.Sprintf("autodiff: Conv2d: bias shape %v, want [%d]", bias.val.Shape, g.K))
	}
	ws := o.Work
	if ws == nil {
		ws = x.tape.Workspace()
	}
	return convBiasOp(x, w, bias, g, ws)
}

// convBiasOp is conv(x, w) + b[k] in one op (the bias is added inside the
// convolution kernel): backward(gy) = (convT(gy, w), convW(x, gy), sum_{n,h,w} gy).
func convBiasOp[T Float](x, w, b *Var[T], g tensor.ConvGeom, ws *tensor.Workspace) *Var[T] {
	if b == nil {
		return convOp(x, w, g, ws)
	}
	tp := convTape(x, w)
	y, cols := convForward(tp, x, w, b, g, ws)
	return NewOp(tp, y, []*Var[T]{x, w, b}, func(gy *Var[T]) []*Var[T] {
		var gx, gw, gb *Var[T]
		if x.requiresGrad {
			gx = convTOp(gy, w, g, ws)
		}
		switch {
		case w.requiresGrad && b.requiresGrad:
			// the bias gradient's plane sums are taken inside the weight
			// gradient kernel, chunk by chunk, while gy is in cache
			sums := make([]float64, g.N*g.K)
			gw = convWOpEach(x, gy, g, ws, cols, func(n0, nb int) { chanPlaneSums(sums, gy, n0, nb) })
			gb = chanReduceFromSums(gy, sums, 1)
		case w.requiresGrad:
			gw = convWOpCols(x, gy, g, ws, cols)
		case b.requiresGrad:
			gb = chanReduce(gy, 1)
		}
		cols = releaseCols(ws, cols)
		return []*Var[T]{gx, gw, gb}
	})
}

func convTape[T Float](a, b *Var[T]) *Tape[T] {
	if a.tape != b.tape {
		panic("autodiff: conv: variables from different tapes")
	}
	return a.tape
}

// convOp is y = conv(x, w).
func convOp[T Float](x, w *Var[T], g tensor.ConvGeom, ws *tensor.Workspace) *Var[T] {
	tp := convTape(x, w)
	y, cols := convForward(tp, x, w, nil, g, ws)
	return NewOp(tp, y, []*Var[T]{x, w}, func(gy *Var[T]) []*Var[T] {
		var gx, gw *Var[T]
		if x.requiresGrad {
			gx = convTOp(gy, w, g, ws)
		}
		if w.requiresGrad {
			gw = convWOpCols(x, gy, g, ws, cols)
		}
		cols = releaseCols(ws, cols)
		return []*Var[T]{gx, gw}
	})
}

// convTOp is dx = convT(g, w), the adjoint of conv in its first argument.
func convTOp[T Float](gy, w *Var[T], g tensor.ConvGeom, ws *tensor.Workspace) *Var[T] {
	tp := convTape(gy, w)
	dx := tensor.Conv2dTranspose(gy.val, w.val, g, ws)
	return NewOp(tp, dx, []*Var[T]{gy, w}, func(u *Var[T]) []*Var[T] {
		var gg, gw *Var[T]
		if gy.requiresGrad {
			gg = convOp(u, w, g, ws)
		}
		if w.requiresGrad {
			gw = convWOp(u, gy, g, ws)
		}
		return []*Var[T]{gg, gw}
	})
}

// maxKeptCols bounds the im2col matrices a recorded convolution keeps from
// its forward pass for its weight gradient (bytes): enough for Conv-4's
// middle layers at the batch sizes of a training step, small enough that a
// second-order task's peak memory barely moves.
const maxKeptCols = 16 << 20

// convForward is conv(x, w), keeping the im2col matrices for the weight
// gradient when the op is recorded, w needs a gradient, they fit in
// maxKeptCols and ws has an arena scope open (outside one, a kept buffer
// would be a fresh allocation per call instead of reused scratch).
//
// b, when not nil, is added to every output of its channel inside the
// convolution kernel (tensor.Conv2dBias), while each chunk's output is
// still in cache.
func convForward[T Float](tp *Tape[T], x, w, b *Var[T], g tensor.ConvGeom, ws *tensor.Workspace) (*tensor.Tensor[T], []T) {
	var z T
	var bias []T
	if b != nil {
		bias = b.val.Data
	}
	if !tp.noGrad && w.requiresGrad && g.ColsLen() > 0 && g.ColsLen()*int(unsafe.Sizeof(z)) <= maxKeptCols && ws.Scoped() {
		return tensor.Conv2dBiasKeepCols(x.val, w.val, bias, g, ws)
	}
	return tensor.Conv2dBias(x.val, w.val, bias, g, ws), nil
}

// releaseCols hands kept columns back to the arena after their one use (a
// later backward through the same op rebuilds them).
func releaseCols[T Float](ws *tensor.Workspace, cols []T) []T {
	if cols != nil {
		tensor.Recycle(ws, tensor.Mark{}, cols)
	}
	return nil
}

// convWOp is dw = convW(x, g), the adjoint of conv in its second argument.
func convWOp[T Float](x, gy *Var[T], g tensor.ConvGeom, ws *tensor.Workspace) *Var[T] {
	return convWOpCols(x, gy, g, ws, nil)
}

// convWOpCols is convWOp reading x's im2col matrices from cols when not nil.
func convWOpCols[T Float](x, gy *Var[T], g tensor.ConvGeom, ws *tensor.Workspace, cols []T) *Var[T] {
	return convWOpEach(x, gy, g, ws, cols, nil)
}

// convWOpEach is convWOpCols calling each(n0, nb) per work chunk of the
// kernel (tensor.Conv2dWeightGradEach).
func convWOpEach[T Float](x, gy *Var[T], g tensor.ConvGeom, ws *tensor.Workspace, cols []T, each func(n0, nb int)) *Var[T] {
	tp := convTape(x, gy)
	dw := tensor.Conv2dWeightGradEach(x.val, gy.val, g, ws, cols, each)
	return NewOp(tp, dw, []*Var[T]{x, gy}, func(u *Var[T]) []*Var[T] {
		var gx, gg *Var[T]
		if x.requiresGrad {
			gx = convTOp(gy, u, g, ws)
		}
		if gy.requiresGrad {
			gg = convOp(x, u, g, ws)
		}
		return []*Var[T]{gx, gg}
	})
}
