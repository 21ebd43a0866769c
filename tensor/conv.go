package tensor

import (
	"fmt"

	"github.com/metabench/metabench/internal/gemm"

	"github.com/metabench/metabench/internal/vec"
)

// ConvGeom is the geometry of a 2-D convolution on NCHW tensors:
//
//	x [N, C, H, W],  w [K, C/G, KH, KW],  y [N, K, OH, OW]
//	OH = (H + 2*PadH - DilH*(KH-1) - 1)/StrideH + 1   (likewise OW)
//
// With G groups, input channels are split into G blocks of Cg = C/G and output
// channels into G blocks of Kg = K/G; output channel k (group gr = k/Kg) sees
// only input channels gr*Cg .. gr*Cg+Cg-1 (depthwise: G = C = K, Cg = 1):
//
//	y[n,k,oh,ow] = sum_{c<Cg, i<KH, j<KW} w[k,c,i,j] * x[n, gr*Cg+c, oh*SH-PH+i*DH, ow*SW-PW+j*DW]
//
// (x is 0 outside the image). Stride, dilation and groups of 0 are read as 1.
type ConvGeom struct {
	N, C, H, W       int // input batch, channels, height, width
	K, KH, KW        int // output channels, kernel height and width
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	Groups           int
}

func (g *ConvGeom) norm() {
	for _, p := range []*int{&g.StrideH, &g.StrideW, &g.DilH, &g.DilW, &g.Groups} {
		if *p == 0 {
			*p = 1
		}
	}
}

// OutH is the output height.
func (g ConvGeom) OutH() int {
	g.norm()
	return (g.H+2*g.PadH-g.DilH*(g.KH-1)-1)/g.StrideH + 1
}

// OutW is the output width.
func (g ConvGeom) OutW() int {
	g.norm()
	return (g.W+2*g.PadW-g.DilW*(g.KW-1)-1)/g.StrideW + 1
}

// XShape, WShape and YShape are the shapes of the input, weight and output.
func (g ConvGeom) XShape() []int { return []int{g.N, g.C, g.H, g.W} }

// WShape is the weight shape [K, C/G, KH, KW].
func (g ConvGeom) WShape() []int {
	g.norm()
	return []int{g.K, g.C / g.Groups, g.KH, g.KW}
}

// YShape is the output shape [N, K, OH, OW].
func (g ConvGeom) YShape() []int { return []int{g.N, g.K, g.OutH(), g.OutW()} }

// Validate reports an inconsistent geometry.
func (g ConvGeom) Validate() error {
	g.norm()
	switch {
	case g.N < 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 || g.K <= 0 || g.KH <= 0 || g.KW <= 0:
		return fmt.Errorf("tensor: conv: bad sizes %+v", g)
	case g.StrideH < 0 || g.StrideW < 0 || g.DilH < 0 || g.DilW < 0 || g.PadH < 0 || g.PadW < 0 || g.Groups < 0:
		return fmt.Errorf("tensor: conv: negative stride, padding, dilation or groups %+v", g)
	case g.C%g.Groups != 0 || g.K%g.Groups != 0:
		return fmt.Errorf("tensor: conv: channels %d -> %d not divisible by groups %d", g.C, g.K, g.Groups)
	case g.OutH() <= 0 || g.OutW() <= 0:
		return fmt.Errorf("tensor: conv: empty output for %+v", g)
	}
	return nil
}

// ConvGeomFor builds the geometry of conv(x, w) from the shapes of x
// [N,C,H,W] and w [K,C/groups,KH,KW]; stride, dilation and groups of 0 mean 1.
func ConvGeomFor(xShape, wShape []int, strideH, strideW, padH, padW, dilH, dilW, groups int) (ConvGeom, error) {
	if len(xShape) != 4 || len(wShape) != 4 {
		return ConvGeom{}, fmt.Errorf("tensor: conv: want 4-d input and weight, got %v and %v", xShape, wShape)
	}
	g := ConvGeom{N: xShape[0], C: xShape[1], H: xShape[2], W: xShape[3], K: wShape[0], KH: wShape[2], KW: wShape[3],
		StrideH: strideH, StrideW: strideW, PadH: padH, PadW: padW, DilH: dilH, DilW: dilW, Groups: groups}
	g.norm()
	if err := g.Validate(); err != nil {
		return g, err
	}
	if wShape[1]*g.Groups != g.C {
		return g, fmt.Errorf("tensor: conv: weight %v does not match %d input channels in %d groups", wShape, g.C, g.Groups)
	}
	return g, nil
}

func (g *ConvGeom) mustShapes(op string, shapes ...[]int) {
	if err := g.Validate(); err != nil {
		panic(fmt.Sprintf("tensor: %s: %v", op, err))
	}
	want := [][]int{g.XShape(), g.WShape(), g.YShape()}
	names := []string{"x", "w", "y"}
	for i, s := range shapes {
		if s == nil {
			continue
		}
		if !SameShape(s, want[i]) {
			panic(fmt.Sprintf("tensor: %s: %s has shape %v, geometry wants %v", op, names[i], s, want[i]))
		}
	}
}

// chunking returns the number of images per work chunk and the number of
// chunks. It depends only on the geometry (never on GOMAXPROCS): small
// outputs batch several images into one wider gemm, and there are at least
// min(N, 4) chunks so that the batch can be spread over cores.
func (g *ConvGeom) chunking() (per, nChunks int) {
	if g.N == 0 {
		return 1, 0
	}
	p := g.OutH() * g.OutW()
	per = (512 + p - 1) / p
	per = min(per, (g.N+3)/4)
	per = max(per, 1)
	return per, (g.N + per - 1) / per
}

// serial reports whether the conv is too small to be worth goroutines.
func (g *ConvGeom) serial() bool {
	flops := g.N * g.K * (g.C / g.Groups) * g.KH * g.KW * g.OutH() * g.OutW()
	return flops < 1<<16
}

// identityCols reports whether im2col is the identity (1x1 kernel, stride 1,
// no padding), so the input plane block can be used as the column matrix.
func (g *ConvGeom) identityCols() bool {
	return g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0
}

// Conv2d returns y = conv(x, w) (see ConvGeom), computed per group as the
// matrix product W_g [Kg, Cg*KH*KW] x im2col(x_g) [Cg*KH*KW, OH*OW], with the
// images of a work chunk side by side in one gemm (depthwise convolutions,
// Groups == C == K, use direct kernels instead; see conv_depthwise.go). ws
// may be nil. The batch is split over at most GOMAXPROCS goroutines in chunks
// fixed by the geometry, so results are bit-identical for any GOMAXPROCS.
func Conv2d[T Float](x, w *Tensor[T], g ConvGeom, ws *Workspace) *Tensor[T] {
	return Conv2dBias(x, w, nil, g, ws)
}

// Conv2dBias is Conv2d plus bias[k] on every output of channel k (bias has
// length K, or is nil for none). The bias is added to each work chunk's
// output right after its gemm, while it is still in cache, with the same
// float additions as a separate pass, so the result is Conv2d's plus the
// bias bit for bit.
func Conv2dBias[T Float](x, w *Tensor[T], bias []T, g ConvGeom, ws *Workspace) *Tensor[T] {
	y, _ := conv2dBiasKeep(x, w, bias, g, ws, false)
	return y
}

// ColsLen is the length of the column matrices of all of x's chunks, as
// Conv2dKeepCols keeps them, or 0 where the convolution has none to keep
// (grouped, depthwise or 1x1 identity convolutions).
func (g ConvGeom) ColsLen() int {
	g.norm()
	if g.Groups != 1 || g.depthwise() || g.identityCols() {
		return 0
	}
	per, nChunks := g.chunking()
	if nChunks == 0 {
		return 0
	}
	rows, p := g.C*g.KH*g.KW, g.OutH()*g.OutW()
	last := g.N - (nChunks-1)*per
	return (nChunks-1)*colsStride(rows, per, p) + rows*last*p
}

// colsStride is the distance between two chunks' blocks in kept columns:
// a block rounded up to 16 values, so that every block starts 64-byte
// aligned like a scratch buffer would (gonum's dot-product kernels round
// differently on differently aligned data).
func colsStride(rows, per, p int) int { return (rows*per*p + 15) &^ 15 }

// Conv2dKeepCols is Conv2d that also returns the im2col matrices it built
// (ColsLen values, from ws's arena while a scope is open), for
// Conv2dWeightGradCols to reuse instead of rebuilding them; nil where
// ColsLen is 0.
func Conv2dKeepCols[T Float](x, w *Tensor[T], g ConvGeom, ws *Workspace) (*Tensor[T], []T) {
	return conv2dBiasKeep(x, w, nil, g, ws, true)
}

// Conv2dBiasKeepCols is Conv2dKeepCols with Conv2dBias's bias.
func Conv2dBiasKeepCols[T Float](x, w *Tensor[T], bias []T, g ConvGeom, ws *Workspace) (*Tensor[T], []T) {
	return conv2dBiasKeep(x, w, bias, g, ws, true)
}

func conv2dBiasKeep[T Float](x, w *Tensor[T], bias []T, g ConvGeom, ws *Workspace, keepCols bool) (*Tensor[T], []T) {
	g.norm()
	g.mustShapes("Conv2d", x.Shape, w.Shape)
	if bias != nil && len(bias) != g.K {
		panic(fmt.Sprintf("tensor: Conv2dBias: bias has %d values, want %d", len(bias), g.K))
	}
	y := MakeRaw[T](ws, g.YShape()...) // conv2dInto overwrites y
	var cols []T
	if n := g.ColsLen(); keepCols && n > 0 {
		cols = MakeRaw[T](ws, n).Data // every chunk's block is written by im2col
	}
	conv2dInto(y.Data, x.Data, w.Data, bias, g, ws, cols)
	return y, cols
}

// chunkCols is chunk c's column block [rows, nb*P] in a kept-columns buffer.
func chunkCols[T Float](cols []T, rows, per, p, c, nb int) []T {
	off := c * colsStride(rows, per, p)
	return cols[off : off+rows*nb*p]
}

// Conv2dInto is Conv2d writing into y (len N*K*OH*OW, overwritten).
func Conv2dInto[T Float](y, x, w []T, g ConvGeom, ws *Workspace) {
	conv2dInto(y, x, w, nil, g, ws, nil)
}

// conv2dInto is Conv2dInto that adds bias[k] to output channel k (bias nil:
// none) and writes each chunk's columns into its block of keep (ColsLen
// values) instead of scratch when keep is not nil.
func conv2dInto[T Float](y, x, w, bias []T, g ConvGeom, ws *Workspace, keep []T) {
	g.norm()
	g.mustShapes("Conv2dInto")
	if len(y) != Numel(g.YShape()) || len(x) != Numel(g.XShape()) || len(w) != Numel(g.WShape()) {
		panic(fmt.Sprintf("tensor: Conv2dInto: lengths y %d, x %d, w %d do not match %+v", len(y), len(x), len(w), g))
	}
	p := g.OutH() * g.OutW()
	if g.depthwise() {
		depthwiseForward(y, x, w, &g, ws)
		if bias != nil {
			for nk := 0; nk < g.N*g.K; nk++ {
				addConst(y[nk*p:(nk+1)*p], bias[nk%g.K])
			}
		}
		return
	}
	cg, kg := g.C/g.Groups, g.K/g.Groups
	rows := cg * g.KH * g.KW
	per, nChunks := g.chunking()
	ident := g.identityCols()
	hw := g.H * g.W
	parallelChunks(nChunks, g.serial(), func() (func(int), func()) {
		var col, tmp []T
		if !(ident && per == 1) && keep == nil {
			col = wsGet[T](ws, rows*per*p)
		}
		if per > 1 {
			tmp = wsGet[T](ws, g.K*per*p)
		}
		body := func(chunk int) {
			n0 := chunk * per
			nb := min(per, g.N-n0)
			ld := nb * p
			for grp := 0; grp < g.Groups; grp++ {
				wg := w[grp*kg*rows : (grp+1)*kg*rows]
				var b []T
				if ident && nb == 1 {
					b = x[(n0*g.C+grp*cg)*hw : (n0*g.C+grp*cg+cg)*hw]
				} else if keep != nil {
					b = chunkCols(keep, rows, per, p, chunk, nb)
					im2col(b, x, &g, n0, nb, grp)
				} else {
					im2col(col, x, &g, n0, nb, grp)
					b = col[:rows*ld]
				}
				if per == 1 {
					c := y[(n0*g.K+grp*kg)*p : (n0*g.K+grp*kg+kg)*p]
					convGemm(false, false, kg, p, rows, wg, rows, b, p, 0, c, p)
					if bias != nil {
						for k := 0; k < kg; k++ {
							addConst(c[k*p:(k+1)*p], bias[grp*kg+k])
						}
					}
				} else {
					convGemm(false, false, kg, ld, rows, wg, rows, b, ld, 0, tmp[grp*kg*ld:], ld)
				}
			}
			if per > 1 {
				// scatter tmp [K, nb*P] to y[n0+b, k, :]
				for k := 0; k < g.K; k++ {
					for b := 0; b < nb; b++ {
						dst := y[((n0+b)*g.K+k)*p:][:p]
						copy(dst, tmp[k*ld+b*p:][:p])
						if bias != nil {
							addConst(dst, bias[k])
						}
					}
				}
			}
		}
		return body, func() { wsPut(ws, col); wsPut(ws, tmp) }
	})
}

// gatherGy copies gy[n0+b, grp*Kg+k, :] for b < nb, k < Kg into dst as a
// [Kg, nb*P] matrix.
func gatherGy[T Float](dst, gy []T, g *ConvGeom, n0, nb, grp, p int) {
	kg := g.K / g.Groups
	ld := nb * p
	for k := 0; k < kg; k++ {
		for b := 0; b < nb; b++ {
			copy(dst[k*ld+b*p:][:p], gy[((n0+b)*g.K+grp*kg+k)*p:][:p])
		}
	}
}

// Conv2dTranspose returns dx = convT(gy, w), the adjoint of x -> conv(x, w):
// for every x and gy, <conv(x, w), gy> = <x, convT(gy, w)>, i.e.
//
//	dx[n, gr*Cg+c, h, w'] = sum_{k in group gr, i, j, oh, ow : oh*SH-PH+i*DH = h, ow*SW-PW+j*DW = w'} w[k,c,i,j] * gy[n,k,oh,ow]
//
// computed per group as col2im(W_g^T gy_g). gy is [N, K, OH, OW], the result
// [N, C, H, W].
func Conv2dTranspose[T Float](gy, w *Tensor[T], g ConvGeom, ws *Workspace) *Tensor[T] {
	g.norm()
	g.mustShapes("Conv2dTranspose", nil, w.Shape, gy.Shape)
	dx := Make[T](ws, g.XShape()...)
	conv2dTransposeAdd(dx.Data, gy.Data, w.Data, g, ws)
	return dx
}

// conv2dTransposeAdd adds convT(gy, w) into dx (which must start zeroed for
// the 1x1 identity path, since that path overwrites).
func conv2dTransposeAdd[T Float](dx, gy, w []T, g ConvGeom, ws *Workspace) {
	if g.depthwise() {
		depthwiseTransposeAdd(dx, gy, w, &g, ws)
		return
	}
	p := g.OutH() * g.OutW()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	rows := cg * g.KH * g.KW
	per, nChunks := g.chunking()
	ident := g.identityCols()
	hw := g.H * g.W
	parallelChunks(nChunks, g.serial(), func() (func(int), func()) {
		var col, gyc []T
		if !(ident && per == 1) {
			col = wsGet[T](ws, rows*per*p)
		}
		if per > 1 {
			gyc = wsGet[T](ws, kg*per*p)
		}
		body := func(chunk int) {
			n0 := chunk * per
			nb := min(per, g.N-n0)
			ld := nb * p
			for grp := 0; grp < g.Groups; grp++ {
				wg := w[grp*kg*rows : (grp+1)*kg*rows]
				var a []T
				if per == 1 {
					a = gy[(n0*g.K+grp*kg)*p : (n0*g.K+grp*kg+kg)*p]
				} else {
					gatherGy(gyc, gy, &g, n0, nb, grp, p)
					a = gyc[:kg*ld]
				}
				if ident && nb == 1 {
					c := dx[(n0*g.C+grp*cg)*hw : (n0*g.C+grp*cg+cg)*hw]
					convGemm(true, false, rows, ld, kg, wg, rows, a, ld, 1, c, ld)
					continue
				}
				convGemm(true, false, rows, ld, kg, wg, rows, a, ld, 0, col, ld)
				col2im(dx, col[:rows*ld], &g, n0, nb, grp)
			}
		}
		return body, func() { wsPut(ws, col); wsPut(ws, gyc) }
	})
}

// Conv2dWeightGrad returns dw = convW(x, gy), the adjoint of w -> conv(x, w):
// for every w and gy, <conv(x, w), gy> = <w, convW(x, gy)>, i.e.
//
//	dw[k,c,i,j] = sum_{n, oh, ow} gy[n,k,oh,ow] * x[n, gr*Cg+c, oh*SH-PH+i*DH, ow*SW-PW+j*DW]
//
// computed per work chunk as gy_g [Kg, nb*P] x im2col(x_g)^T; the partial sums
// of the chunks (fixed by the geometry) are added in chunk order, so the
// result does not depend on GOMAXPROCS. x is [N,C,H,W], gy [N,K,OH,OW], the
// result [K, C/G, KH, KW].
func Conv2dWeightGrad[T Float](x, gy *Tensor[T], g ConvGeom, ws *Workspace) *Tensor[T] {
	return Conv2dWeightGradCols(x, gy, g, ws, nil)
}

// Conv2dWeightGradCols is Conv2dWeightGrad reading x's im2col matrices from
// cols, as kept by Conv2dKeepCols for the same x and geometry, instead of
// rebuilding them (nil: rebuild). The result is the same, bit for bit.
func Conv2dWeightGradCols[T Float](x, gy *Tensor[T], g ConvGeom, ws *Workspace, cols []T) *Tensor[T] {
	return Conv2dWeightGradEach(x, gy, g, ws, cols, nil)
}

// Conv2dWeightGradEach is Conv2dWeightGradCols that also calls each(n0, nb)
// (when not nil) for every work chunk, images n0..n0+nb-1, on the worker
// that has just run the chunk's products, while the chunk's gy is in cache:
// the place for other reductions of gy, such as a bias gradient. Calls for
// different chunks may run concurrently; each covers its own images.
func Conv2dWeightGradEach[T Float](x, gy *Tensor[T], g ConvGeom, ws *Workspace, cols []T, each func(n0, nb int)) *Tensor[T] {
	g.norm()
	g.mustShapes("Conv2dWeightGrad", x.Shape, nil, gy.Shape)
	if cols != nil && len(cols) != g.ColsLen() {
		panic(fmt.Sprintf("tensor: Conv2dWeightGradCols: %d kept columns, want %d", len(cols), g.ColsLen()))
	}
	dw := Make[T](ws, g.WShape()...)
	conv2dWeightGradInto(dw.Data, x.Data, gy.Data, g, ws, cols, each)
	return dw
}

func conv2dWeightGradInto[T Float](dw, x, gy []T, g ConvGeom, ws *Workspace, kept []T, each func(n0, nb int)) {
	if g.depthwise() {
		depthwiseWeightGrad(dw, x, gy, &g, ws)
		if each != nil && g.N > 0 {
			each(0, g.N)
		}
		return
	}
	p := g.OutH() * g.OutW()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	rows := cg * g.KH * g.KW
	per, nChunks := g.chunking()
	if nChunks == 0 {
		clear(dw)
		return
	}
	ident := g.identityCols()
	hw := g.H * g.W
	nw := len(dw)
	var partial []T
	if nChunks > 1 {
		partial = wsGet[T](ws, nChunks*nw)
	}
	// With few kernel rows (the first layer of a net: C*KH*KW = 9) and many
	// output channels, the transposed product keeps the gemm's wide
	// dimension on the columns. The choice depends on the geometry only.
	// Where the product is exact under transposition (the SIMD path,
	// float32: the bits are the same either way) the operand with fewer
	// rows goes on the columns instead, because B (op(B) = a transposed
	// matrix here) is the one gathered column by column into packed
	// slivers, and A is read in place: transposed when rows > Kg (layers
	// 2-4 of Conv-4: 64 columns of gy_g^T to gather instead of 576 of the
	// columns), not on the first layer (9 columns instead of 64).
	// BenchmarkSIMDKernels, Intel Xeon family 6 model 207: 576x64x588
	// 208-222 GFLOP/s against 164-189 for 64x576x588, 64x9x784 29-31
	// against 22-24 for 9x64x784.
	transposed := rows < 16 && kg >= 2*rows
	if isF32[T]() && gemm.TransposeExact() {
		transposed = rows > kg
	}
	// Transposed products with several chunks leave each chunk's partial
	// in the transposed layout (dw_g^T per group) and the sum of the
	// partials is transposed once, after the reduction: a transpose moves
	// values without arithmetic, so every element is the same sum in the
	// same chunk order, and nChunks-1 transposes are saved (24 of the 25
	// on Conv-4's second layer at 75 images).
	partialT := transposed && nChunks > 1
	parallelChunks(nChunks, g.serial(), func() (func(int), func()) {
		var col, gyc, dwt []T
		if !(ident && per == 1) && kept == nil {
			col = wsGet[T](ws, rows*per*p)
		}
		if per > 1 {
			gyc = wsGet[T](ws, kg*per*p)
		}
		if transposed && !partialT {
			dwt = wsGet[T](ws, rows*kg)
		}
		body := func(chunk int) {
			n0 := chunk * per
			nb := min(per, g.N-n0)
			ld := nb * p
			out := dw
			if nChunks > 1 {
				out = partial[chunk*nw : (chunk+1)*nw]
			}
			for grp := 0; grp < g.Groups; grp++ {
				var a, b []T
				if per == 1 {
					a = gy[(n0*g.K+grp*kg)*p : (n0*g.K+grp*kg+kg)*p]
				} else {
					gatherGy(gyc, gy, &g, n0, nb, grp, p)
					a = gyc[:kg*ld]
				}
				if ident && nb == 1 {
					b = x[(n0*g.C+grp*cg)*hw : (n0*g.C+grp*cg+cg)*hw]
				} else if kept != nil {
					b = chunkCols(kept, rows, per, p, chunk, nb)
				} else {
					im2col(col, x, &g, n0, nb, grp)
					b = col[:rows*ld]
				}
				if !transposed {
					convGemm(false, true, kg, rows, ld, a, ld, b, ld, 0, out[grp*kg*rows:], rows)
					continue
				}
				// dw_g^T [rows, Kg] = im2col [rows, ld] x gy_g^T
				if partialT {
					convGemm(false, true, rows, kg, ld, b, ld, a, ld, 0, out[grp*kg*rows:], kg)
					continue
				}
				convGemm(false, true, rows, kg, ld, b, ld, a, ld, 0, dwt, kg)
				transposeInto(out[grp*kg*rows:(grp+1)*kg*rows], dwt, rows, kg)
			}
			if each != nil {
				each(n0, nb)
			}
		}
		return body, func() { wsPut(ws, col); wsPut(ws, gyc); wsPut(ws, dwt) }
	})
	if nChunks > 1 {
		// dw = sum of the chunks' partials in chunk order, element by
		// element; blocks of elements are independent, so they are split
		// over the workers without changing any sum.
		// Transposed partials are summed into the first chunk's, which
		// is then transposed into dw (the same additions as copying it to
		// dw and adding the others there).
		sum := dw
		if partialT {
			sum = partial[:nw]
		}
		const blk = 4096
		nBlk := (nw + blk - 1) / blk
		parallelChunks(nBlk, nw*nChunks < 1<<16, func() (func(int), func()) {
			return func(b int) {
				lo, hi := b*blk, min((b+1)*blk, nw)
				d := sum[lo:hi]
				if !partialT {
					copy(d, partial[lo:hi])
				}
				for c := 1; c < nChunks; c++ {
					addTo(d, partial[c*nw+lo:c*nw+hi])
				}
			}, nil
		})
		if partialT {
			for grp := 0; grp < g.Groups; grp++ {
				transposeInto(dw[grp*kg*rows:(grp+1)*kg*rows], sum[grp*kg*rows:(grp+1)*kg*rows], rows, kg)
			}
		}
		wsPut(ws, partial)
	}
}

// transposeInto sets dst[k*rows+r] = src[r*cols+k] (dst [cols, rows], src
// [rows, cols]) in blocks of 16 rows of src, which stay in L1 while each
// block's column becomes 16 consecutive values of dst.
func transposeInto[T Float](dst, src []T, rows, cols int) {
	const bs = 16
	for r0 := 0; r0 < rows; r0 += bs {
		r1 := min(r0+bs, rows)
		for k := 0; k < cols; k++ {
			d := dst[k*rows+r0 : k*rows+r1]
			s := src[r0*cols+k:]
			for i := range d {
				d[i] = s[i*cols]
			}
		}
	}
}

// addConst adds c to every element of x (the same float additions in either
// precision).
func addConst[T Float](x []T, c T) {
	if isF32[T]() {
		vec.AddConst(asF32(x), float32(c))
		return
	}
	for i := range x {
		x[i] += c
	}
}
