package autodiff

import (
	"math"
	"runtime"
	"sync"

	"github.com/metabench/metabench/internal/vec"
	"github.com/metabench/metabench/tensor"
)

// Branch-free kernels for the ops whose branches follow the signs of
// activations (ReLU, its step mask, the masked pool scatter/gather): those
// signs are unpredictable, and a mispredicted branch per element cost more
// than the arithmetic. The float32 and float64 bodies work on the bit
// patterns: x > 0 exactly when the signed integer of the bits is positive
// and below the NaN range (posMask32, posMask64), so NaN > 0 is false here
// as in a float comparison.

func isF32[T Float]() bool { return tensor.IsFloat32[T]() }

func asF32[T Float](s []T) []float32 { return tensor.AsFloat32(s) }

func asF64[T Float](s []T) []float64 { return tensor.AsFloat64(s) }

// posMask32 is all ones when b, the bits of a float32 r, satisfy r > 0
// (r not NaN), else 0: b > 0 as an int32 and b below the NaN range.
func posMask32(b uint32) uint32 {
	i := int32(b)
	pos := uint32((-i)&^i) >> 31 // 1 when i > 0 (i = MinInt32, i.e. -0, gives 0)
	notNaN := uint32(int32(b-0x7f800001)) >> 31
	return -(pos & notNaN)
}

func posMask64(b uint64) uint64 {
	i := int64(b)
	pos := uint64((-i)&^i) >> 63
	notNaN := uint64(int64(b-0x7ff0000000000001)) >> 63
	return -(pos & notNaN)
}

// elemChunk is the number of elements one goroutine takes at a time in
// forElems; element-wise results do not depend on the split.
const elemChunk = 1 << 15

// forElems calls f(lo, hi) over [0, n) in chunks, on up to GOMAXPROCS
// goroutines when n is large enough to pay for them.
func forElems(n int, f func(lo, hi int)) {
	chunks := (n + elemChunk - 1) / elemChunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	if workers <= 1 || n < 2*elemChunk {
		f(0, n)
		return
	}
	per := (chunks + workers - 1) / workers * elemChunk
	var wg sync.WaitGroup
	for lo := per; lo < n; lo += per {
		wg.Go(func() { f(lo, min(lo+per, n)) })
	}
	f(0, min(per, n))
	wg.Wait()
}

// reluInto sets dst[i] = max(src[i], 0) (NaN stays NaN, -0 becomes +0).
func reluInto[T Float](dst, src []T) {
	forElems(len(src), func(lo, hi int) {
		if isF32[T]() {
			vec.ReLU(asF32(dst)[lo:hi], asF32(src)[lo:hi])
			return
		}
		d, s := asF64(dst)[lo:hi], asF64(src)[lo:hi]
		for i, v := range s {
			b := math.Float64bits(v)
			d[i] = math.Float64frombits(b & (posMask64(b) | nanMask64(b)))
		}
	})
}

// dropReLUInPlace is dropNonPositive(idx, v) followed by reluInto(v, v) in
// one parallel pass: idx[o] = -1 where v[o] is not > 0, then v[o] =
// max(v[o], 0) (NaN stays NaN). Both masks come from the same value, so the
// result is the two passes', bit for bit.
func dropReLUInPlace[T Float](idx []int32, v []T) {
	v = v[:len(idx)]
	forElems(len(idx), func(lo, hi int) {
		is := idx[lo:hi]
		if isF32[T]() {
			vs := asF32(v)[lo:hi]
			for o, x := range vs {
				b := math.Float32bits(x)
				pm := posMask32(b)
				keep := int32(pm)
				is[o] = is[o]&keep | ^keep
				vs[o] = math.Float32frombits(b & (pm | nanMask32(b)))
			}
			return
		}
		vs := asF64(v)[lo:hi]
		for o, x := range vs {
			b := math.Float64bits(x)
			pm := posMask64(b)
			keep := int32(pm)
			is[o] = is[o]&keep | ^keep
			vs[o] = math.Float64frombits(b & (pm | nanMask64(b)))
		}
	})
}

// nanMask32 is all ones when b are the bits of a NaN.
func nanMask32(b uint32) uint32 {
	return -(uint32(int32(0x7f800000-(b&0x7fffffff))) >> 31)
}

func nanMask64(b uint64) uint64 {
	return -(uint64(int64(0x7ff0000000000000-(b&0x7fffffffffffffff))) >> 63)
}

// stepMaskInto sets dst[i] = g[i] where ref[i] > 0, else 0.
func stepMaskInto[T Float](dst, g, ref []T) {
	forElems(len(g), func(lo, hi int) {
		if isF32[T]() {
			vec.StepMask(asF32(dst)[lo:hi], asF32(g)[lo:hi], asF32(ref)[lo:hi])
			return
		}
		d, gs, rs := asF64(dst)[lo:hi], asF64(g)[lo:hi], asF64(ref)[lo:hi]
		rs = rs[:len(gs)]
		for i, v := range gs {
			d[i] = math.Float64frombits(math.Float64bits(v) & posMask64(math.Float64bits(rs[i])))
		}
	})
}

// maskedScatterPlane does dx[midx[o]-base] += gy[o] over o in order for one
// plane, skipping midx[o] < 0, without a branch on the mask: a dropped
// output adds +0 to the plane's first cell, which leaves it unchanged
// (x + 0 == x for every x but -0, and the plane starts at +0 anyway where
// nothing else lands).
func maskedScatterPlane[T Float](dx, gy []T, midx []int32, base int32) {
	if isF32[T]() {
		d, g := asF32(dx), asF32(gy)
		g = g[:len(midx)]
		for o, i := range midx {
			keep := uint32(^(i >> 31)) // all ones when i >= 0
			j := (i - base) & int32(keep)
			d[j] += math.Float32frombits(math.Float32bits(g[o]) & keep)
		}
		return
	}
	d, g := asF64(dx), asF64(gy)
	g = g[:len(midx)]
	for o, i := range midx {
		keep := uint64(int64(^(i >> 31)))
		j := (i - base) & int32(keep)
		d[j] += math.Float64frombits(math.Float64bits(g[o]) & keep)
	}
}

// maskedGatherPlane sets out[o] = u[midx[o]-base], or 0 where midx[o] < 0.
func maskedGatherPlane[T Float](out, u []T, midx []int32, base int32) {
	if isF32[T]() {
		d, s := asF32(out), asF32(u)
		d = d[:len(midx)]
		for o, i := range midx {
			keep := uint32(^(i >> 31))
			j := (i - base) & int32(keep)
			d[o] = math.Float32frombits(math.Float32bits(s[j]) & keep)
		}
		return
	}
	d, s := asF64(out), asF64(u)
	d = d[:len(midx)]
	for o, i := range midx {
		keep := uint64(int64(^(i >> 31)))
		j := (i - base) & int32(keep)
		d[o] = math.Float64frombits(math.Float64bits(s[j]) & keep)
	}
}
