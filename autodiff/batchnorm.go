package autodiff

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/metabench/metabench/internal/vec"
	"github.com/metabench/metabench/tensor"
)

// Channel-wise helpers on tensors laid out [N, C, rest...] (NCHW and [N, C]):
// channel c of image n is the contiguous block data[(n*C+c)*inner:][:inner].
//
//	chanReduce(x, s)[c]  = s * sum_{n,rest} x[n,c,...]        adjoint: chanExpand(., s)
//	chanExpand(v, s)     = s * v[c] broadcast over n, rest   adjoint: chanReduce(., s)
//	chanScale(x, v)      = x[n,c,...] * v[c]                 backward(g) = (chanScale(g, v), chanDot(g, x))
//	chanDot(a, b)[c]     = sum_{n,rest} a*b                  backward(u) = (chanScale(b, u), chanScale(a, u))
//
// Reductions accumulate in float64 in a fixed order (n, then rest).

func chanDims(shape []int) (n, c, inner int) {
	if len(shape) < 2 {
		panic(fmt.Sprintf("autodiff: channel op on shape %v (want [N, C, ...])", shape))
	}
	inner = 1
	for _, d := range shape[2:] {
		inner *= d
	}
	return shape[0], shape[1], inner
}

// forChannels runs f(c) for every channel, on several goroutines when the
// work is large; channels are independent, so results do not depend on
// GOMAXPROCS.
func forChannels(c, work int, f func(c int)) {
	workers := min(runtime.GOMAXPROCS(0), c)
	if work < 1<<15 || workers <= 1 {
		for i := 0; i < c; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= c {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// Fixed-order float64 reductions with four interleaved accumulators (the
// latency of one dependent add chain would bound the loop otherwise); the
// order depends only on the length, never on the number of workers.

func chanSumF64[T Float](x []T) float64 {
	if isF32[T]() {
		return vec.SumF64(asF32(x))
	}
	var a0, a1, a2, a3 float64
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		q := x[i : i+4 : i+4]
		a0 += float64(q[0])
		a1 += float64(q[1])
		a2 += float64(q[2])
		a3 += float64(q[3])
	}
	for _, v := range x[n:] {
		a0 += float64(v)
	}
	return (a0 + a1) + (a2 + a3)
}

func chanDotF64[T Float](x, y []T) float64 {
	if isF32[T]() {
		return vec.DotF64(asF32(x), asF32(y))
	}
	y = y[:len(x)]
	var a0, a1, a2, a3 float64
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		p, q := x[i:i+4:i+4], y[i:i+4:i+4]
		a0 += float64(p[0]) * float64(q[0])
		a1 += float64(p[1]) * float64(q[1])
		a2 += float64(p[2]) * float64(q[2])
		a3 += float64(p[3]) * float64(q[3])
	}
	for i := n; i < len(x); i++ {
		a0 += float64(x[i]) * float64(y[i])
	}
	return (a0 + a1) + (a2 + a3)
}

// chanSqDevF64 is sum (x - mu)^2.
func chanSqDevF64[T Float](x []T, mu float64) float64 {
	if isF32[T]() {
		return vec.SqDevF64(asF32(x), mu)
	}
	var a0, a1, a2, a3 float64
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		q := x[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(q[0])-mu, float64(q[1])-mu, float64(q[2])-mu, float64(q[3])-mu
		a0 += d0 * d0
		a1 += d1 * d1
		a2 += d2 * d2
		a3 += d3 * d3
	}
	for _, v := range x[n:] {
		d := float64(v) - mu
		a0 += d * d
	}
	return (a0 + a1) + (a2 + a3)
}

// chanSumDevF64 returns sum g and sum g*(x - mu).
func chanSumDevF64[T Float](g, x []T, mu float64) (sg, sgx float64) {
	if isF32[T]() {
		return vec.SumDevF64(asF32(g), asF32(x), mu)
	}
	x = x[:len(g)]
	var a0, a1, a2, a3, b0, b1, b2, b3 float64
	n := len(g) &^ 3
	for i := 0; i < n; i += 4 {
		p, q := g[i:i+4:i+4], x[i:i+4:i+4]
		g0, g1, g2, g3 := float64(p[0]), float64(p[1]), float64(p[2]), float64(p[3])
		a0 += g0
		a1 += g1
		a2 += g2
		a3 += g3
		b0 += g0 * (float64(q[0]) - mu)
		b1 += g1 * (float64(q[1]) - mu)
		b2 += g2 * (float64(q[2]) - mu)
		b3 += g3 * (float64(q[3]) - mu)
	}
	for i := n; i < len(g); i++ {
		a0 += float64(g[i])
		b0 += float64(g[i]) * (float64(x[i]) - mu)
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

func checkChanVec[T Float](op string, v *Var[T], c int) {
	if len(v.val.Shape) != 1 || v.val.Shape[0] != c {
		panic(fmt.Sprintf("autodiff: %s: per-channel vector has shape %v, want [%d]", op, v.val.Shape, c))
	}
}

func chanReduce[T Float](x *Var[T], s float64) *Var[T] {
	n, c, inner := chanDims(x.val.Shape)
	out := tensor.MakeRaw[T](x.tape.work, c) // every element is written
	xd := x.val.Data
	forChannels(c, len(xd), func(ch int) {
		var acc float64
		for i := 0; i < n; i++ {
			acc += chanSumF64(xd[(i*c+ch)*inner:][:inner])
		}
		out.Data[ch] = T(acc * s)
	})
	return chanReduceOp(x, out, s)
}

// chanPlaneSums sets sums[i*C+ch] = chanSumF64 of plane (i, ch) of x for
// images i in [n0, n0+nb): the per-plane partial sums of chanReduce, for a
// kernel that reads x anyway (the conv weight gradient) to compute while
// the planes are in cache.
func chanPlaneSums[T Float](sums []float64, x *Var[T], n0, nb int) {
	_, c, inner := chanDims(x.val.Shape)
	xd := x.val.Data
	for i := n0; i < n0+nb; i++ {
		for ch := 0; ch < c; ch++ {
			sums[i*c+ch] = chanSumF64(xd[(i*c+ch)*inner:][:inner])
		}
	}
}

// chanReduceFromSums is chanReduce(x, s) from the plane sums of
// chanPlaneSums, added in chanReduce's order: the same value, bit for bit,
// and the same node.
func chanReduceFromSums[T Float](x *Var[T], sums []float64, s float64) *Var[T] {
	n, c, _ := chanDims(x.val.Shape)
	out := tensor.MakeRaw[T](x.tape.work, c) // every element is written
	for ch := 0; ch < c; ch++ {
		var acc float64
		for i := 0; i < n; i++ {
			acc += sums[i*c+ch]
		}
		out.Data[ch] = T(acc * s)
	}
	return chanReduceOp(x, out, s)
}

// chanReduceOp records out = chanReduce(x, s) as an op.
func chanReduceOp[T Float](x *Var[T], out *tensor.Tensor[T], s float64) *Var[T] {
	shape := cloneShape(x.val.Shape)
	return NewOp(x.tape, out, []*Var[T]{x}, func(g *Var[T]) []*Var[T] {
		return []*Var[T]{chanExpand(g, shape, s)}
	})
}

func chanExpand[T Float](v *Var[T], shape []int, s float64) *Var[T] {
	n, c, inner := chanDims(shape)
	checkChanVec("chanExpand", v, c)
	out := tensor.MakeRaw[T](v.tape.work, shape...) // every element is written
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			val := T(float64(v.val.Data[ch]) * s)
			blk := out.Data[(i*c+ch)*inner:][:inner]
			for k := range blk {
				blk[k] = val
			}
		}
	}
	return NewOp(v.tape, out, []*Var[T]{v}, func(g *Var[T]) []*Var[T] {
		return []*Var[T]{chanReduce(g, s)}
	})
}

func chanDot[T Float](a, b *Var[T]) *Var[T] {
	if !tensor.SameShape(a.val.Shape, b.val.Shape) {
		panic(fmt.Sprintf("autodiff: chanDot: shapes %v and %v", a.val.Shape, b.val.Shape))
	}
	n, c, inner := chanDims(a.val.Shape)
	out := tensor.MakeRaw[T](a.tape.work, c) // every element is written
	ad, bd := a.val.Data, b.val.Data
	forChannels(c, len(ad), func(ch int) {
		var acc float64
		for i := 0; i < n; i++ {
			off := (i*c + ch) * inner
			acc += chanDotF64(ad[off:off+inner], bd[off:off+inner])
		}
		out.Data[ch] = T(acc)
	})
	return NewOp(a.tape, out, []*Var[T]{a, b}, func(u *Var[T]) []*Var[T] {
		var ga, gb *Var[T]
		if a.requiresGrad {
			ga = chanScale(b, u)
		}
		if b.requiresGrad {
			gb = chanScale(a, u)
		}
		return []*Var[T]{ga, gb}
	})
}

// chanFMA is the fused per-channel affine combination
//
//	y[n,c,...] = sum_i s_i[c] * x_i[n,c,...] + d[c]
//
// of full-size tensors x_i (all of one shape [N, C, ...]) with per-channel
// coefficients s_i [C] and an optional per-channel shift d [C] (nil: 0). It
// makes one full-size output and no broadcast copy of any vector; each
// element is computed in float64 and rounded once. It is linear in each
// x_i and in each s_i, d separately, so its backward for an upstream u is
//
//	dx_i = chanFMA(u; s_i)      (u[n,c,...] * s_i[c], one term)
//	ds_i = chanDot(u, x_i)      (sum over n and rest of u * x_i)
//	dd   = chanReduce(u, 1)     (sum over n and rest of u)
//
// all differentiable, so derivatives of any order stay exact.
func chanFMA[T Float](xs, ss []*Var[T], d *Var[T]) *Var[T] {
	if len(xs) == 0 || len(xs) != len(ss) {
		panic(fmt.Sprintf("autodiff: chanFMA: %d tensors for %d coefficients", len(xs), len(ss)))
	}
	shape := xs[0].val.Shape
	n, c, inner := chanDims(shape)
	for i := range xs {
		if !tensor.SameShape(xs[i].val.Shape, shape) {
			panic(fmt.Sprintf("autodiff: chanFMA: shapes %v and %v", shape, xs[i].val.Shape))
		}
		checkChanVec("chanFMA", ss[i], c)
	}
	if d != nil {
		checkChanVec("chanFMA", d, c)
	}
	out := tensor.MakeRaw[T](xs[0].tape.work, shape...) // every element is written
	forChannels(c, len(out.Data)*len(xs), func(ch int) {
		shift := 0.0
		if d != nil {
			shift = float64(d.val.Data[ch])
		}
		for i := 0; i < n; i++ {
			off := (i*c + ch) * inner
			dst := out.Data[off : off+inner]
			switch len(xs) {
			case 1:
				a := float64(ss[0].val.Data[ch])
				if isF32[T]() { // (v - 0)*a + shift = a*v + shift
					vec.Affine(asF32(dst), asF32(xs[0].val.Data[off:off+inner]), 0, a, shift)
					continue
				}
				for k, v := range xs[0].val.Data[off : off+inner] {
					dst[k] = T(a*float64(v) + shift)
				}
			case 2:
				a, b := float64(ss[0].val.Data[ch]), float64(ss[1].val.Data[ch])
				y := xs[1].val.Data[off : off+inner]
				if isF32[T]() {
					vec.FMA2(asF32(dst), asF32(xs[0].val.Data[off:off+inner]), asF32(y), a, b, shift)
					continue
				}
				for k, v := range xs[0].val.Data[off : off+inner] {
					dst[k] = T(a*float64(v) + b*float64(y[k]) + shift)
				}
			default:
				for k := range dst {
					acc := 0.0
					for j, x := range xs {
						acc += float64(ss[j].val.Data[ch]) * float64(x.val.Data[off+k])
					}
					dst[k] = T(acc + shift)
				}
			}
		}
	})
	parents := make([]*Var[T], 0, 2*len(xs)+1)
	parents = append(parents, xs...)
	parents = append(parents, ss...)
	parents = append(parents, d)
	k := len(xs)
	return NewOp(xs[0].tape, out, parents, func(u *Var[T]) []*Var[T] {
		gs := make([]*Var[T], len(parents))
		for i := 0; i < k; i++ {
			if xs[i].requiresGrad {
				gs[i] = chanFMA([]*Var[T]{u}, []*Var[T]{ss[i]}, nil)
			}
			if ss[i].requiresGrad {
				gs[k+i] = chanDot(u, xs[i])
			}
		}
		if d != nil && d.requiresGrad {
			gs[2*k] = chanReduce(u, 1)
		}
		return gs
	})
}

// chanScale is x[n,c,...] * v[c] (chanFMA with one term and no shift).
func chanScale[T Float](x, v *Var[T]) *Var[T] {
	return chanFMA([]*Var[T]{x}, []*Var[T]{v}, nil)
}

// BatchNormStats returns the per-channel batch mean and biased variance
// (divide by N*H*W) of x [N, C, ...], accumulated in float64.
func BatchNormStats[T Float](x *tensor.Tensor[T]) (mean, variance []float64) {
	n, c, inner := chanDims(x.Shape)
	mean = make([]float64, c)
	variance = make([]float64, c)
	m := float64(n * inner)
	forChannels(c, len(x.Data), func(ch int) {
		var s float64
		for i := 0; i < n; i++ {
			s += chanSumF64(x.Data[(i*c+ch)*inner:][:inner])
		}
		mu := s / m
		var q float64
		for i := 0; i < n; i++ {
			q += chanSqDevF64(x.Data[(i*c+ch)*inner:][:inner], mu)
		}
		mean[ch], variance[ch] = mu, q/m
	})
	return mean, variance
}

// BatchNorm is batch normalisation in training mode over x [N, C, H, W] (or
// [N, C]): with M = N*H*W and per channel c
//
//	mu = mean_{n,h,w} x,  var = mean_{n,h,w} (x - mu)^2 (biased),  r = 1/sqrt(var + eps)
//	xhat = (x - mu) * r,   y = gamma[c]*xhat + beta[c]
//
// gamma and beta may be nil (affine=false, or either alone); eps is
// typically 1e-5. For an upstream gradient g,
//
//	dbeta = sum g,  dgamma = sum g*xhat,  dx = r * (g' - mean(g') - xhat * mean(g'*xhat)),  g' = gamma*g
//
// When the backward is not recorded (first order) this is one fused kernel
// (two passes over g). When it is recorded (create_graph), dx is built from
// differentiable ops on g, xhat (an op over x whose backward is the formula
// above) and r (an op over x with dr/dx = -(r^2/M) * xhat, the mean term
// cancelling because sum(x - mu) = 0), so BatchNorm is differentiable to any
// order.
func BatchNorm[T Float](x, gamma, beta *Var[T], eps float64) *Var[T] {
	if len(x.val.Shape) < 2 {
		panic(fmt.Sprintf("autodiff: BatchNorm: input shape %v, want [N, C, ...]", x.val.Shape))
	}
	_, c, _ := chanDims(x.val.Shape)
	if gamma != nil {
		checkChanVec("BatchNorm", gamma, c)
	}
	if beta != nil {
		checkChanVec("BatchNorm", beta, c)
	}
	mean, rstd := bnStats(x.val, eps)
	if gamma == nil && beta == nil {
		return bnNormalizeOp(x, bnApply(x.tape.work, x.val, mean, rstd, nil, nil), rstd)
	}
	return bnAffineOp(x, gamma, beta, mean, rstd)
}

// bnStats returns the batch mean and r = 1/sqrt(var + eps) per channel.
func bnStats[T Float](x *tensor.Tensor[T], eps float64) (mean []float64, rstd *tensor.Tensor[T]) {
	n, c, inner := chanDims(x.Shape)
	if n*inner == 0 {
		panic("autodiff: BatchNorm: empty batch")
	}
	mean, variance := BatchNormStats(x)
	rstd = tensor.New[T](c)
	for ch := range rstd.Data {
		rstd.Data[ch] = T(1 / math.Sqrt(variance[ch]+eps))
	}
	return mean, rstd
}

// bnApply returns (x - mu)*r*gamma + beta per channel (gamma, beta nil: 1, 0),
// computed in float64 and rounded once.
func bnApply[T Float](ws *tensor.Workspace, x *tensor.Tensor[T], mean []float64, rstd *tensor.Tensor[T], gamma, beta *Var[T]) *tensor.Tensor[T] {
	n, c, inner := chanDims(x.Shape)
	y := tensor.MakeRaw[T](ws, x.Shape...) // every element is written
	forChannels(c, len(y.Data), func(ch int) {
		r, t := float64(rstd.Data[ch]), 0.0
		if gamma != nil {
			r *= float64(gamma.val.Data[ch])
		}
		if beta != nil {
			t = float64(beta.val.Data[ch])
		}
		mu := mean[ch]
		for i := 0; i < n; i++ {
			off := (i*c + ch) * inner
			dst := y.Data[off : off+inner]
			if isF32[T]() {
				vec.Affine(asF32(dst), asF32(x.Data[off:off+inner]), mu, r, t)
				continue
			}
			for k, v := range x.Data[off : off+inner] {
				dst[k] = T((float64(v)-mu)*r + t)
			}
		}
	})
	return y
}

// bnAffineOp is y = gamma[c]*xhat + beta[c] as one op over x, gamma, beta
// (gamma or beta may be nil). It keeps only the per-channel mean and r, not
// xhat. Its first-order backward is one fused kernel:
//
//	dbeta = sum g,  dgamma = sum g*xhat,  dx = r*gamma*(g - dbeta/M - xhat*dgamma/M)
//
// and its recorded backward goes through the differentiable xhat op
// (bnNormalizeOp, with xhat recomputed).
func bnAffineOp[T Float](x, gamma, beta *Var[T], mean []float64, rstd *tensor.Tensor[T]) *Var[T] {
	y := bnApply(x.tape.work, x.val, mean, rstd, gamma, beta)
	tp := x.tape
	return NewOp(tp, y, []*Var[T]{x, gamma, beta}, func(g *Var[T]) []*Var[T] {
		needX := x.requiresGrad
		needG := gamma != nil && gamma.requiresGrad
		needB := beta != nil && beta.requiresGrad
		var gx, gg, gb *Var[T]
		if !tp.Recording() {
			dx, dg, db := bnAffineBackwardFused(g.tape.work, g.val, x.val, mean, rstd, gamma, needX)
			if needX {
				gx = tp.Const(dx)
			}
			if needG {
				gg = tp.Const(dg)
			}
			if needB {
				gb = tp.Const(db)
			}
			return []*Var[T]{gx, gg, gb}
		}
		xh := bnNormalizeOp(x, bnApply(x.tape.work, x.val, mean, rstd, nil, nil), rstd)
		if needX {
			n, _, inner := chanDims(x.val.Shape)
			invM := 1 / float64(n*inner)
			gx = bnDxRecorded(g, xh, bnRstd(x, xh, rstd, invM), gamma, invM)
		}
		if needG {
			gg = chanDot(g, xh)
		}
		if needB {
			gb = chanReduce(g, 1)
		}
		return []*Var[T]{gx, gg, gb}
	})
}

// bnAffineBackwardFused computes the first-order gradients of bnAffineOp
// from x, the mean and r (xhat = (x - mu)*r is never stored).
func bnAffineBackwardFused[T Float](ws *tensor.Workspace, g, x *tensor.Tensor[T], mean []float64, rstd *tensor.Tensor[T], gamma *Var[T], needX bool) (dx, dgamma, dbeta *tensor.Tensor[T]) {
	n, c, inner := chanDims(g.Shape)
	m := float64(n * inner)
	dgamma, dbeta = tensor.New[T](c), tensor.New[T](c)
	if needX {
		dx = tensor.MakeRaw[T](ws, g.Shape...) // every element is written
	}
	forChannels(c, 2*len(g.Data), func(ch int) {
		mu, r := mean[ch], float64(rstd.Data[ch])
		var sg, sgx float64 // sum g, sum g*(x - mu)
		for i := 0; i < n; i++ {
			off := (i*c + ch) * inner
			a, b := chanSumDevF64(g.Data[off:off+inner], x.Data[off:off+inner], mu)
			sg += a
			sgx += b
		}
		dbeta.Data[ch], dgamma.Data[ch] = T(sg), T(sgx*r)
		if !needX {
			return
		}
		// dx = r*gamma*(g - sg/M - (x-mu) * r^2 * sgx/M)
		rg := r
		if gamma != nil {
			rg *= float64(gamma.val.Data[ch])
		}
		mg, coef := sg/m, r*r*sgx/m
		for i := 0; i < n; i++ {
			off := (i*c + ch) * inner
			xs := x.Data[off : off+inner]
			dst := dx.Data[off : off+inner]
			if isF32[T]() {
				vec.BNDx(asF32(dst), asF32(g.Data[off:off+inner]), asF32(xs), rg, mg, mu, coef)
				continue
			}
			for k, v := range g.Data[off : off+inner] {
				dst[k] = T(rg * (float64(v) - mg - (float64(xs[k])-mu)*coef))
			}
		}
	})
	return dx, dgamma, dbeta
}

// bnNormalizeOp is the non-affine part xhat = (x - mu) * r as an op over x,
// with value and r already computed by bnForward.
func bnNormalizeOp[T Float](x *Var[T], out, rstd *tensor.Tensor[T]) *Var[T] {
	n, _, inner := chanDims(x.val.Shape)
	m := n * inner
	tp := x.tape
	var xhat *Var[T]
	xhat = NewOp(tp, out, []*Var[T]{x}, func(g *Var[T]) []*Var[T] {
		if !tp.Recording() {
			return []*Var[T]{tp.Const(bnBackwardFused(tp.work, g.val, out, rstd))}
		}
		invM := 1 / float64(m)
		return []*Var[T]{bnDxRecorded(g, xhat, bnRstd(x, xhat, rstd, invM), nil, invM)}
	})
	return xhat
}

// bnDxRecorded is the input gradient of y = gamma*xhat + beta as a
// differentiable function (gamma nil: 1), with a = r*gamma per channel:
//
//	dx = r*(g' - mean(g') - xhat*mean(g'*xhat)),  g' = gamma*g
//	   = a[c]*g + (-a*mean(g*xhat))[c]*xhat + (-a*mean(g))[c]
//
// i.e. one chanFMA over the full-size g and xhat whose coefficients are
// small per-channel expressions (chanReduce, chanDot and [C]-vector
// products), so no full-size broadcast or intermediate tensor is made.
func bnDxRecorded[T Float](g, xhat, r, gamma *Var[T], invM float64) *Var[T] {
	a := r
	if gamma != nil {
		a = Mul(r, gamma)
	}
	meanG := chanReduce(g, invM)
	meanGX := Scale(chanDot(g, xhat), T(invM))
	return chanFMA([]*Var[T]{g, xhat}, []*Var[T]{a, Neg(Mul(a, meanGX))}, Neg(Mul(a, meanG)))
}

// bnRstd is r = 1/sqrt(var(x) + eps) as a differentiable function of x, with
// value taken from the forward pass: dr_c/dx = -r_c^3 (x - mu_c)/M =
// -(r_c^2/M) * xhat (the mean term cancels because sum(x - mu) = 0).
func bnRstd[T Float](x, xhat *Var[T], rstd *tensor.Tensor[T], invM float64) *Var[T] {
	var r *Var[T]
	r = NewOp(x.tape, rstd, []*Var[T]{x}, func(u *Var[T]) []*Var[T] {
		coef := Mul(Mul(u, Mul(r, r)), x.tape.Scalar(T(-invM)))
		return []*Var[T]{chanScale(xhat, coef)}
	})
	return r
}

// bnBackwardFused is r * (g - mean(g) - xhat*mean(g*xhat)) in two passes.
func bnBackwardFused[T Float](ws *tensor.Workspace, g, xhat, rstd *tensor.Tensor[T]) *tensor.Tensor[T] {
	n, c, inner := chanDims(g.Shape)
	m := float64(n * inner)
	out := tensor.MakeRaw[T](ws, g.Shape...) // every element is written
	forChannels(c, 2*len(g.Data), func(ch int) {
		var sg, sgx float64
		for i := 0; i < n; i++ {
			off := (i*c + ch) * inner
			a, b := chanSumDevF64(g.Data[off:off+inner], xhat.Data[off:off+inner], 0)
			sg += a
			sgx += b
		}
		mg, mgx := sg/m, sgx/m
		r := float64(rstd.Data[ch])
		for i := 0; i < n; i++ {
			off := (i*c + ch) * inner
			xs := xhat.Data[off : off+inner]
			dst := out.Data[off : off+inner]
			if isF32[T]() { // (x - 0)*mgx = x*mgx: the same formula
				vec.BNDx(asF32(dst), asF32(g.Data[off:off+inner]), asF32(xs), r, mg, 0, mgx)
				continue
			}
			for k, v := range g.Data[off : off+inner] {
				dst[k] = T(r * (float64(v) - mg - float64(xs[k])*mgx))
			}
		}
	})
	return out
}
