package tensor

import (
	"fmt"
	"github.com/metabench/metabench/internal/vec"
	"math"
)

// PoolGeom is the geometry of a 2-D pooling on NCHW tensors:
//
//	x [N, C, H, W] -> y [N, C, OH, OW],  OH = (H + 2*PadH - KH)/StrideH + 1  (ceil_mode false)
//
// Output (oh, ow) covers the window of input rows oh*SH-PH .. oh*SH-PH+KH-1
// (columns likewise) clipped to the image; the padding never wins a max
// (it is -inf) and is not counted by the average (count_include_pad=false).
// As in PyTorch, padding may be at most half the kernel, so every window
// holds at least one input cell.
type PoolGeom struct {
	N, C, H, W       int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
}

// OutH is the output height.
func (g PoolGeom) OutH() int { return (g.H+2*g.PadH-g.KH)/g.StrideH + 1 }

// OutW is the output width.
func (g PoolGeom) OutW() int { return (g.W+2*g.PadW-g.KW)/g.StrideW + 1 }

// XShape is the input shape; YShape the output shape.
func (g PoolGeom) XShape() []int { return []int{g.N, g.C, g.H, g.W} }

// YShape is the output shape [N, C, OH, OW].
func (g PoolGeom) YShape() []int { return []int{g.N, g.C, g.OutH(), g.OutW()} }

// PoolGeomFor builds the geometry of a pool over x of shape [N,C,H,W].
func PoolGeomFor(xShape []int, kh, kw, sh, sw, ph, pw int) (PoolGeom, error) {
	if len(xShape) != 4 {
		return PoolGeom{}, fmt.Errorf("tensor: pool: want a 4-d input, got %v", xShape)
	}
	g := PoolGeom{N: xShape[0], C: xShape[1], H: xShape[2], W: xShape[3], KH: kh, KW: kw, StrideH: sh, StrideW: sw, PadH: ph, PadW: pw}
	return g, g.Validate()
}

// Validate reports an inconsistent geometry.
func (g PoolGeom) Validate() error {
	kh, kw, sh, sw, ph, pw := g.KH, g.KW, g.StrideH, g.StrideW, g.PadH, g.PadW
	switch {
	case g.N < 0 || g.C < 0 || g.H <= 0 || g.W <= 0:
		return fmt.Errorf("tensor: pool: bad input size %+v", g)
	case kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || ph < 0 || pw < 0:
		return fmt.Errorf("tensor: pool: bad kernel/stride/padding %+v", g)
	case 2*ph > kh || 2*pw > kw:
		return fmt.Errorf("tensor: pool: padding %dx%d larger than half the kernel %dx%d", ph, pw, kh, kw)
	case g.OutH() <= 0 || g.OutW() <= 0:
		return fmt.Errorf("tensor: pool: empty output for %+v", g)
	}
	return nil
}

func (g *PoolGeom) check(op string, x, y []int) {
	if err := g.Validate(); err != nil {
		panic(fmt.Sprintf("tensor: %s: %v", op, err))
	}
	if x != nil && !SameShape(x, g.XShape()) {
		panic(fmt.Sprintf("tensor: %s: input shape %v, geometry wants %v", op, x, g.XShape()))
	}
	if y != nil && !SameShape(y, g.YShape()) {
		panic(fmt.Sprintf("tensor: %s: output shape %v, geometry wants %v", op, y, g.YShape()))
	}
}

// window returns the clipped input range [s, e) of output position o.
func window(o, stride, pad, k, in int) (s, e int) {
	s = o*stride - pad
	e = min(s+k, in)
	s = max(s, 0)
	return s, e
}

// forPlanes runs f(plane) for every (n, c) plane, split over goroutines by
// images; every plane is independent, so results do not depend on GOMAXPROCS.
func forPlanes(g *PoolGeom, work int, f func(plane int)) {
	forPlanesWith(g, work, func() func(int) { return f })
}

// forPlanesWith is forPlanes with a body made by setup once per worker (for
// its scratch buffers).
func forPlanesWith(g *PoolGeom, work int, setup func() func(plane int)) {
	planes := g.N * g.C
	per := max(1, g.C)
	nChunks := (planes + per - 1) / per
	parallelChunks(nChunks, work < 1<<15, func() (func(int), func()) {
		f := setup()
		return func(c int) {
			for p := c * per; p < min((c+1)*per, planes); p++ {
				f(p)
			}
		}, nil
	})
}

// MaxPool2d returns y[n,c,oh,ow] = max over the window of x and, for every
// output, the flat index into x of its argmax (the first maximum in row-major
// window order; NaN wins, as in PyTorch).
func MaxPool2d[T Float](x *Tensor[T], g PoolGeom) (*Tensor[T], []int32) {
	return MaxPool2dIn(x, g, nil)
}

// MaxPool2dIn is MaxPool2d with its outputs from ws's arena (see Make).
func MaxPool2dIn[T Float](x *Tensor[T], g PoolGeom, ws *Workspace) (*Tensor[T], []int32) {
	g.check("MaxPool2d", x.Shape, nil)
	if x.Len() > math.MaxInt32 {
		panic("tensor: MaxPool2d: input too large for int32 indices")
	}
	oh, ow := g.OutH(), g.OutW()
	y := MakeRaw[T](ws, g.YShape()...) // every output is written
	idx := MakeIndex(ws, y.Len())
	hw, p := g.H*g.W, oh*ow
	f32 := isF32[T]()
	fast2x2 := g.KH == 2 && g.KW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 && g.PadW == 0
	if f32 && !fast2x2 {
		maxPoolKeys(asF32(y.Data), idx, asF32(x.Data), &g)
		return y, idx
	}
	forPlanes(&g, y.Len()*g.KH*g.KW, func(pl int) {
		xs := x.Data[pl*hw : (pl+1)*hw]
		ys := y.Data[pl*p : (pl+1)*p]
		is := idx[pl*p : (pl+1)*p]
		base := int32(pl * hw)
		if fast2x2 {
			maxPool2x2Plane(ys, is, xs, base, g.W, oh, ow)
			return
		}
		for r := 0; r < oh; r++ {
			hs, he := window(r, g.StrideH, g.PadH, g.KH, g.H)
			for c := 0; c < ow; c++ {
				ws, we := window(c, g.StrideW, g.PadW, g.KW, g.W)
				bi := hs*g.W + ws
				best := int64(math.MinInt64)
				for ih := hs; ih < he; ih++ {
					off := ih * g.W
					for iw, v := range xs[off+ws : off+we] {
						var k int64
						if f32 {
							k = poolKey32(float32(v))
						} else {
							k = poolKey64(float64(v))
						}
						if k > best {
							best, bi = k, off+ws+iw
						}
					}
				}
				ys[r*ow+c] = xs[bi]
				is[r*ow+c] = base + int32(bi)
			}
		}
	})
	return y, idx
}

// maxPoolKeys is the float32 max pool through vec.MaxTaps: each plane's
// keys (poolKey32, as int32: every NaN at math.MaxInt32) are copied once
// into the padded, column-phased layout of the depthwise convolutions, the
// padding at math.MinInt32 (below every key, so it never wins), and each
// output row's argmax is taken over the taps in window order, the first
// strictly greatest key winning: the indices of the window loops.
func maxPoolKeys(y []float32, idx []int32, x []float32, g *PoolGeom) {
	cg, _, _ := poolAsDepthwise[float32](g)
	l := newDWLayout(&cg)
	oh, ow := g.OutH(), g.OutW()
	hw, p := g.H*g.W, oh*ow
	io := make([]int32, 0, len(l.taps))
	for i := 0; i < g.KH; i++ {
		for j := 0; j < g.KW; j++ {
			io = append(io, int32((i-g.PadH)*g.W+j-g.PadW))
		}
	}
	forPlanesWith(g, len(y)*g.KH*g.KW, func() func(int) {
		buf := make([]int32, l.size+16)
		for i := range buf {
			buf[i] = math.MinInt32
		}
		keys := make([]int32, hw)
		return func(pl int) {
			xs := x[pl*hw : (pl+1)*hw]
			for i, v := range xs {
				keys[i] = int32(poolKey32(v))
			}
			dwFill(&l, buf, keys, &cg)
			is := idx[pl*p : (pl+1)*p]
			vec.MaxTaps(is, ow, buf, l.rowStride(&cg), oh, ow, l.taps, io, int32(g.StrideH*g.W), int32(g.StrideW))
			ys := y[pl*p : (pl+1)*p]
			base := int32(pl * hw)
			for o, i := range is {
				ys[o] = xs[i]
				is[o] = base + i
			}
		}
	})
}

// poolKey32 and poolKey64 map a float to an integer with the same order as float
// comparison (-0 and +0 equal, -inf lowest among numbers) and every NaN
// above +inf, so that max pooling compares integers (branch-free selects
// instead of unpredictable float branches). With "first strictly larger key
// wins" this gives PyTorch's rule: the first maximum of the window wins, and
// NaN beats everything (here the first NaN rather than the last).
func poolKey32(v float32) int64 {
	b := int64(int32(math.Float32bits(v)))
	m := b & 0x7fffffff
	k := b
	if b < 0 {
		k = -m
	}
	if m > 0x7f800000 {
		k = math.MaxInt32 // every NaN above +inf (and within int32)
	}
	return k
}

func poolKey64(v float64) int64 {
	b := int64(math.Float64bits(v))
	m := b & math.MaxInt64
	k := b
	if b < 0 {
		k = -m
	}
	if m > 0x7ff0000000000000 {
		k = math.MaxInt64
	}
	return k
}

// maxPool2x2Plane is MaxPool2d on one plane for the 2x2, stride 2, no
// padding case (the Conv-4 pool), with the same tie and NaN rules.
func maxPool2x2Plane[T Float](ys []T, is []int32, xs []T, base int32, w, oh, ow int) {
	if isF32[T]() {
		maxPool2x2Plane32(asF32(ys), is, asF32(xs), base, w, oh, ow)
		return
	}
	maxPool2x2Plane64(asF64(ys), is, asF64(xs), base, w, oh, ow)
}

func maxPool2x2Plane32(ys []float32, is []int32, xs []float32, base int32, w, oh, ow int) {
	for r := 0; r < oh; r++ {
		o0 := 2 * r * w
		vec.MaxPool2x2Row(ys[r*ow:(r+1)*ow], is[r*ow:(r+1)*ow], xs[o0:o0+2*ow], xs[o0+w:o0+w+2*ow], base+int32(o0), base+int32(o0+w))
	}
}

func maxPool2x2Plane64(ys []float64, is []int32, xs []float64, base int32, w, oh, ow int) {
	for r := 0; r < oh; r++ {
		o0 := 2 * r * w
		r0 := xs[o0 : o0+2*ow]
		r1 := xs[o0+w : o0+w+2*ow]
		yr := ys[r*ow : (r+1)*ow]
		ir := is[r*ow : (r+1)*ow]
		for c := range yr {
			best, bi := poolKey64(r0[2*c]), o0+2*c
			if k := poolKey64(r0[2*c+1]); k > best {
				best, bi = k, o0+2*c+1
			}
			if k := poolKey64(r1[2*c]); k > best {
				best, bi = k, o0+w+2*c
			}
			if k := poolKey64(r1[2*c+1]); k > best {
				bi = o0 + w + 2*c + 1
			}
			yr[c] = xs[bi]
			ir[c] = base + int32(bi)
		}
	}
}

// MaxPoolScatter is the adjoint of MaxPoolGather (and the backward of
// MaxPool2d): dx[idx[o]] += gy[o], dx of the input shape. Indices of an
// output stay within its own (n, c) plane, so planes run in parallel.
func MaxPoolScatter[T Float](gy *Tensor[T], idx []int32, g PoolGeom) *Tensor[T] {
	return MaxPoolScatterIn(gy, idx, g, nil)
}

// MaxPoolScatterIn is MaxPoolScatter with its output from ws's arena (see Make).
func MaxPoolScatterIn[T Float](gy *Tensor[T], idx []int32, g PoolGeom, ws *Workspace) *Tensor[T] {
	g.check("MaxPoolScatter", nil, gy.Shape)
	dx := Make[T](ws, g.XShape()...)
	p := g.OutH() * g.OutW()
	forPlanes(&g, gy.Len(), func(pl int) {
		gs := gy.Data[pl*p : (pl+1)*p]
		is := idx[pl*p : (pl+1)*p]
		for o, v := range gs {
			dx.Data[is[o]] += v
		}
	})
	return dx
}

// MaxPoolGather picks out[o] = u[idx[o]] (u of the input shape, out of the
// output shape). It is the adjoint of MaxPoolScatter:
// <MaxPoolScatter(g), u> = <g, MaxPoolGather(u)>.
func MaxPoolGather[T Float](u *Tensor[T], idx []int32, g PoolGeom) *Tensor[T] {
	return MaxPoolGatherIn(u, idx, g, nil)
}

// MaxPoolGatherIn is MaxPoolGather with its output from ws's arena (see Make).
func MaxPoolGatherIn[T Float](u *Tensor[T], idx []int32, g PoolGeom, ws *Workspace) *Tensor[T] {
	g.check("MaxPoolGather", u.Shape, nil)
	out := Make[T](ws, g.YShape()...)
	for o, i := range idx {
		out.Data[o] = u.Data[i]
	}
	return out
}

// AvgPool2d returns y[n,c,oh,ow] = mean of x over the window clipped to the
// image (count_include_pad=false: the divisor is the number of cells inside).
func AvgPool2d[T Float](x *Tensor[T], g PoolGeom) *Tensor[T] {
	return AvgPool2dIn(x, g, nil)
}

// AvgPool2dIn is AvgPool2d with its output from ws's arena (see Make). The
// window sums are the depthwise convolution with a kernel of ones (the taps
// in window order, the padding adding +0: the bits of a plain loop over the
// clipped window), each then divided by its count.
func AvgPool2dIn[T Float](x *Tensor[T], g PoolGeom, ws *Workspace) *Tensor[T] {
	g.check("AvgPool2d", x.Shape, nil)
	y := Make[T](ws, g.YShape()...)
	cg, ones, counts := poolAsDepthwise[T](&g)
	depthwiseForward(y.Data, x.Data, ones, &cg, ws)
	p := len(counts)
	forPlanes(&g, y.Len(), func(pl int) {
		ys := y.Data[pl*p : (pl+1)*p]
		for o, c := range counts {
			ys[o] /= T(c)
		}
	})
	return y
}

// poolAsDepthwise is the pool as a depthwise convolution (dilation 1, one
// filter per channel), a kernel of ones for it, and the number of input
// cells in each output's window clipped to the image.
func poolAsDepthwise[T Float](g *PoolGeom) (cg ConvGeom, ones []T, counts []int) {
	cg = ConvGeom{N: g.N, C: g.C, H: g.H, W: g.W, K: g.C, KH: g.KH, KW: g.KW,
		StrideH: g.StrideH, StrideW: g.StrideW, PadH: g.PadH, PadW: g.PadW, DilH: 1, DilW: 1, Groups: g.C}
	ones = make([]T, g.C*g.KH*g.KW)
	for i := range ones {
		ones[i] = 1
	}
	oh, ow := g.OutH(), g.OutW()
	counts = make([]int, oh*ow)
	for r := 0; r < oh; r++ {
		hs, he := window(r, g.StrideH, g.PadH, g.KH, g.H)
		for c := 0; c < ow; c++ {
			ws, we := window(c, g.StrideW, g.PadW, g.KW, g.W)
			counts[r*ow+c] = (he - hs) * (we - ws)
		}
	}
	return cg, ones, counts
}

// AvgPool2dAdjoint is the adjoint of AvgPool2d (its backward):
// dx[h,w] = sum over the windows o containing (h,w) of gy[o]/count(o), so
// that <AvgPool2d(x), gy> = <x, AvgPool2dAdjoint(gy)>.
func AvgPool2dAdjoint[T Float](gy *Tensor[T], g PoolGeom) *Tensor[T] {
	return AvgPool2dAdjointIn(gy, g, nil)
}

// AvgPool2dAdjointIn is AvgPool2dAdjoint with its output from ws's arena
// (see Make): gy/count spread by the transposed depthwise convolution with
// a kernel of ones, its taps in reverse window order, so that each input
// cell adds its windows' shares in row-major order of the windows (the bits
// of a loop over the outputs adding each share to its window).
func AvgPool2dAdjointIn[T Float](gy *Tensor[T], g PoolGeom, ws *Workspace) *Tensor[T] {
	g.check("AvgPool2dAdjoint", nil, gy.Shape)
	dx := Make[T](ws, g.XShape()...)
	cg, ones, counts := poolAsDepthwise[T](&g)
	p := len(counts)
	v := wsGet[T](ws, gy.Len())
	forPlanes(&g, gy.Len(), func(pl int) {
		gs, vs := gy.Data[pl*p:(pl+1)*p], v[pl*p:(pl+1)*p]
		for o, c := range counts {
			vs[o] = gs[o] / T(c)
		}
	})
	depthwiseTransposeAddOrder(dx.Data, v, ones, &cg, true, ws)
	wsPut(ws, v)
	return dx
}
