//go:build goexperiment.simd && amd64

package vec

import "simd/archsimd"

// The AVX-512 bodies: the main loops run 16 floats (two Float64x8 halves)
// per step for the reductions and 8 per step for the maps; tails are done by
// the scalar code on the same lanes, so the result is that of the scalar
// body bit for bit. archsimd.X86 reads flags filled in at start-up, so the
// per-call check costs a couple of loads.

// Path names the body in use.
func Path() string {
	switch {
	case archsimd.X86.AVX512():
		return "avx512"
	case archsimd.X86.AVX2():
		return "avx2"
	}
	return "scalar"
}

func load8(s []float32) archsimd.Float64x8 {
	return archsimd.LoadFloat32x8Slice(s).ConvertToFloat64()
}

// SumF64 is Σ x in float64, in the package's fixed order.
func SumF64(x []float32) float64 {
	if !archsimd.X86.AVX512() || len(x) < 2*Lanes {
		if archsimd.X86.AVX2() && len(x) >= 2*Lanes {
			return sumF64AVX2(x)
		}
		return sumScalar(x)
	}
	var lo, hi archsimd.Float64x8
	n := len(x) &^ (Lanes - 1)
	for i := 0; i < n; i += Lanes {
		lo = lo.Add(load8(x[i : i+8]))
		hi = hi.Add(load8(x[i+8 : i+16]))
	}
	var l [Lanes]float64
	lo.Store((*[8]float64)(l[:8]))
	hi.Store((*[8]float64)(l[8:]))
	archsimd.ClearAVXUpperBits() // back to SSE code without the transition penalty
	for j := 0; n+j < len(x); j++ {
		l[j] += float64(x[n+j])
	}
	return treeSum(&l)
}

// DotF64 is Σ x·y in float64.
func DotF64(x, y []float32) float64 {
	if !archsimd.X86.AVX512() || len(x) < 2*Lanes {
		if archsimd.X86.AVX2() && len(x) >= 2*Lanes {
			return dotF64AVX2(x, y)
		}
		return dotScalar(x, y)
	}
	y = y[:len(x)]
	var lo, hi archsimd.Float64x8
	n := len(x) &^ (Lanes - 1)
	for i := 0; i < n; i += Lanes {
		lo = lo.Add(load8(x[i : i+8]).Mul(load8(y[i : i+8])))
		hi = hi.Add(load8(x[i+8 : i+16]).Mul(load8(y[i+8 : i+16])))
	}
	var l [Lanes]float64
	lo.Store((*[8]float64)(l[:8]))
	hi.Store((*[8]float64)(l[8:]))
	archsimd.ClearAVXUpperBits() // back to SSE code without the transition penalty
	for j := 0; n+j < len(x); j++ {
		l[j] += float64(x[n+j]) * float64(y[n+j])
	}
	return treeSum(&l)
}

// SqDevF64 is Σ (x-μ)² in float64.
func SqDevF64(x []float32, mu float64) float64 {
	if !archsimd.X86.AVX512() || len(x) < 2*Lanes {
		if archsimd.X86.AVX2() && len(x) >= 2*Lanes {
			return sqDevF64AVX2(x, mu)
		}
		return sqDevScalar(x, mu)
	}
	m := archsimd.BroadcastFloat64x8(mu)
	var lo, hi archsimd.Float64x8
	n := len(x) &^ (Lanes - 1)
	for i := 0; i < n; i += Lanes {
		d0 := load8(x[i : i+8]).Sub(m)
		d1 := load8(x[i+8 : i+16]).Sub(m)
		lo = lo.Add(d0.Mul(d0))
		hi = hi.Add(d1.Mul(d1))
	}
	var l [Lanes]float64
	lo.Store((*[8]float64)(l[:8]))
	hi.Store((*[8]float64)(l[8:]))
	archsimd.ClearAVXUpperBits() // back to SSE code without the transition penalty
	for j := 0; n+j < len(x); j++ {
		d := float64(x[n+j]) - mu
		l[j] += d * d
	}
	return treeSum(&l)
}

// SumDevF64 is (Σ g, Σ g·(x-μ)) in float64.
func SumDevF64(g, x []float32, mu float64) (float64, float64) {
	if !archsimd.X86.AVX512() || len(g) < 2*Lanes {
		if archsimd.X86.AVX2() && len(g) >= 2*Lanes {
			return sumDevF64AVX2(g, x, mu)
		}
		return sumDevScalar(g, x, mu)
	}
	x = x[:len(g)]
	m := archsimd.BroadcastFloat64x8(mu)
	var alo, ahi, blo, bhi archsimd.Float64x8
	n := len(g) &^ (Lanes - 1)
	for i := 0; i < n; i += Lanes {
		g0, g1 := load8(g[i:i+8]), load8(g[i+8:i+16])
		alo = alo.Add(g0)
		ahi = ahi.Add(g1)
		blo = blo.Add(g0.Mul(load8(x[i : i+8]).Sub(m)))
		bhi = bhi.Add(g1.Mul(load8(x[i+8 : i+16]).Sub(m)))
	}
	var a, b [Lanes]float64
	alo.Store((*[8]float64)(a[:8]))
	ahi.Store((*[8]float64)(a[8:]))
	blo.Store((*[8]float64)(b[:8]))
	bhi.Store((*[8]float64)(b[8:]))
	archsimd.ClearAVXUpperBits()
	for j := 0; n+j < len(g); j++ {
		gv := float64(g[n+j])
		a[j] += gv
		b[j] += gv * (float64(x[n+j]) - mu)
	}
	return treeSum(&a), treeSum(&b)
}

// Affine sets dst = (x-μ)·r + t, computed in float64.
func Affine(dst, x []float32, mu, r, t float64) {
	if !archsimd.X86.AVX512() {
		if archsimd.X86.AVX2() {
			affineAVX2(dst, x, mu, r, t)
			return
		}
		affineScalar(dst, x, mu, r, t)
		return
	}
	dst = dst[:len(x)]
	vm, vr, vt := archsimd.BroadcastFloat64x8(mu), archsimd.BroadcastFloat64x8(r), archsimd.BroadcastFloat64x8(t)
	n := len(x) &^ 7
	for i := 0; i < n; i += 8 {
		load8(x[i : i+8]).Sub(vm).Mul(vr).Add(vt).ConvertToFloat32().StoreSlice(dst[i : i+8])
	}
	archsimd.ClearAVXUpperBits()
	affineScalar(dst[n:], x[n:], mu, r, t)
}

// BNDx sets dst = a·(g - mg - (x-μ)·coef), computed in float64.
func BNDx(dst, g, x []float32, a, mg, mu, coef float64) {
	if !archsimd.X86.AVX512() {
		if archsimd.X86.AVX2() {
			bnDxAVX2(dst, g, x, a, mg, mu, coef)
			return
		}
		bnDxScalar(dst, g, x, a, mg, mu, coef)
		return
	}
	dst, x = dst[:len(g)], x[:len(g)]
	va, vmg := archsimd.BroadcastFloat64x8(a), archsimd.BroadcastFloat64x8(mg)
	vmu, vc := archsimd.BroadcastFloat64x8(mu), archsimd.BroadcastFloat64x8(coef)
	n := len(g) &^ 7
	for i := 0; i < n; i += 8 {
		d := load8(x[i : i+8]).Sub(vmu).Mul(vc)
		va.Mul(load8(g[i : i+8]).Sub(vmg).Sub(d)).ConvertToFloat32().StoreSlice(dst[i : i+8])
	}
	archsimd.ClearAVXUpperBits()
	bnDxScalar(dst[n:], g[n:], x[n:], a, mg, mu, coef)
}

// FMA2 sets dst = a·x + b·y + s, computed in float64.
func FMA2(dst, x, y []float32, a, b, s float64) {
	if !archsimd.X86.AVX512() {
		if archsimd.X86.AVX2() {
			fma2AVX2(dst, x, y, a, b, s)
			return
		}
		fma2Scalar(dst, x, y, a, b, s)
		return
	}
	dst, y = dst[:len(x)], y[:len(x)]
	va, vb, vs := archsimd.BroadcastFloat64x8(a), archsimd.BroadcastFloat64x8(b), archsimd.BroadcastFloat64x8(s)
	n := len(x) &^ 7
	for i := 0; i < n; i += 8 {
		va.Mul(load8(x[i : i+8])).Add(vb.Mul(load8(y[i : i+8]))).Add(vs).ConvertToFloat32().StoreSlice(dst[i : i+8])
	}
	archsimd.ClearAVXUpperBits()
	fma2Scalar(dst[n:], x[n:], y[n:], a, b, s)
}

// deinterleave puts the even lanes of a Float32x16 in its low half and the
// odd lanes in its high half.
var deinterleave = [16]uint32{0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15}

var evenOffsets = [8]int32{0, 2, 4, 6, 8, 10, 12, 14}

func keys8(v archsimd.Float32x8) archsimd.Int32x8 {
	b := v.AsInt32x8()
	neg := b.ShiftAllRight(31)
	m := b.And(archsimd.BroadcastInt32x8(0x7fffffff))
	k := m.Xor(neg).Sub(neg)
	nan := m.Greater(archsimd.BroadcastInt32x8(0x7f800000))
	return archsimd.BroadcastInt32x8(0x7fffffff).Merge(k, nan)
}

// maxPool2x2Row does 8 outputs per step: the 16 inputs of each row are split
// into even and odd columns (VPERMPS), the four candidates compared as
// integer keys in window order with strict "greater", and values and
// indices selected by the same masks as in the scalar body. A short last
// step uses partial loads and stores.
func maxPool2x2Row(ys []float32, is []int32, r0, r1 []float32, off0, off1 int32) {
	if !archsimd.X86.AVX512() || len(ys) < 4 {
		if archsimd.X86.AVX2() && len(ys) >= 4 {
			maxPool2x2RowAVX2(ys, is, r0, r1, off0, off1)
			return
		}
		maxPool2x2RowScalar(ys, is, r0, r1, off0, off1)
		return
	}
	n := len(ys)
	is, r0, r1 = is[:n], r0[:2*n], r1[:2*n]
	perm := archsimd.LoadUint32x16(&deinterleave)
	lanes := archsimd.LoadInt32x8(&evenOffsets)
	for c := 0; c < n; c += 8 {
		var x0, x1 archsimd.Float32x16
		if c+8 <= n {
			x0 = archsimd.LoadFloat32x16Slice(r0[2*c : 2*c+16])
			x1 = archsimd.LoadFloat32x16Slice(r1[2*c : 2*c+16])
		} else {
			x0 = archsimd.LoadFloat32x16SlicePart(r0[2*c:])
			x1 = archsimd.LoadFloat32x16SlicePart(r1[2*c:])
		}
		x0, x1 = x0.Permute(perm), x1.Permute(perm)
		a0, a1, b0, b1 := x0.GetLo(), x0.GetHi(), x1.GetLo(), x1.GetHi()
		i00 := archsimd.BroadcastInt32x8(off0 + int32(2*c)).Add(lanes)
		i10 := archsimd.BroadcastInt32x8(off1 + int32(2*c)).Add(lanes)
		one := archsimd.BroadcastInt32x8(1)
		best, bi, bv := keys8(a0), i00, a0
		k := keys8(a1)
		sel := k.Greater(best)
		best, bi, bv = k.Merge(best, sel), i00.Add(one).Merge(bi, sel), a1.Merge(bv, sel)
		k = keys8(b0)
		sel = k.Greater(best)
		best, bi, bv = k.Merge(best, sel), i10.Merge(bi, sel), b0.Merge(bv, sel)
		k = keys8(b1)
		sel = k.Greater(best)
		bi, bv = i10.Add(one).Merge(bi, sel), b1.Merge(bv, sel)
		if c+8 <= n {
			bv.StoreSlice(ys[c : c+8])
			bi.StoreSlice(is[c : c+8])
		} else {
			bv.StoreSlicePart(ys[c:])
			bi.StoreSlicePart(is[c:])
		}
	}
	archsimd.ClearAVXUpperBits()
}

// interleave is the inverse of deinterleave: lanes 0..7 go to the even
// positions, lanes 8..15 to the odd ones.
var interleave = [16]uint32{0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15}

// maskedUnpool2x2Row does 8 windows per step: each of the four cells of a
// window gets g where the window's index equals that cell's index (masks
// from integer compares), the even and odd cells of a row are interleaved
// (VPERMPS) and stored as 16 floats.
func maskedUnpool2x2Row(r0, r1, gs []float32, is []int32, off0, off1 int32) {
	if !archsimd.X86.AVX512() || len(gs) < 4 {
		if archsimd.X86.AVX2() && len(gs) >= 4 {
			maskedUnpool2x2RowAVX2(r0, r1, gs, is, off0, off1)
			return
		}
		maskedUnpool2x2RowScalar(r0, r1, gs, is, off0, off1)
		return
	}
	n := len(gs)
	is, r0, r1 = is[:n], r0[:2*n], r1[:2*n]
	perm := archsimd.LoadUint32x16(&interleave)
	lanes := archsimd.LoadInt32x8(&evenOffsets)
	one := archsimd.BroadcastInt32x8(1)
	var zero archsimd.Float32x8
	for c := 0; c < n; c += 8 {
		var g archsimd.Float32x8
		var idx archsimd.Int32x8
		full := c+8 <= n
		if full {
			g, idx = archsimd.LoadFloat32x8Slice(gs[c:c+8]), archsimd.LoadInt32x8Slice(is[c:c+8])
		} else {
			// padding lanes read index 0, which no cell of theirs has
			// (their cells are at 2j > 0 past the row start), and are
			// not stored anyway
			g, idx = archsimd.LoadFloat32x8SlicePart(gs[c:]), archsimd.LoadInt32x8SlicePart(is[c:])
		}
		i00 := archsimd.BroadcastInt32x8(off0 + int32(2*c)).Add(lanes)
		i10 := archsimd.BroadcastInt32x8(off1 + int32(2*c)).Add(lanes)
		// zero.Merge(g, m) is g where the index matches (m false), 0 elsewhere.
		e0 := g.Merge(zero, idx.Equal(i00))
		o0 := g.Merge(zero, idx.Equal(i00.Add(one)))
		e1 := g.Merge(zero, idx.Equal(i10))
		o1 := g.Merge(zero, idx.Equal(i10.Add(one)))
		row0 := archsimd.Float32x16{}.SetLo(e0).SetHi(o0).Permute(perm)
		row1 := archsimd.Float32x16{}.SetLo(e1).SetHi(o1).Permute(perm)
		if full {
			row0.StoreSlice(r0[2*c : 2*c+16])
			row1.StoreSlice(r1[2*c : 2*c+16])
		} else {
			row0.StoreSlicePart(r0[2*c:])
			row1.StoreSlicePart(r1[2*c:])
		}
	}
	archsimd.ClearAVXUpperBits()
}

// AddConst adds c to every element of x (float32 arithmetic, as the scalar
// body).
func AddConst(x []float32, c float32) {
	if !archsimd.X86.AVX512() {
		if archsimd.X86.AVX2() {
			addConstAVX2(x, c)
			return
		}
		for i := range x {
			x[i] += c
		}
		return
	}
	vc := archsimd.BroadcastFloat32x16(c)
	n := len(x) &^ 15
	for i := 0; i < n; i += 16 {
		archsimd.LoadFloat32x16Slice(x[i : i+16]).Add(vc).StoreSlice(x[i : i+16])
	}
	archsimd.ClearAVXUpperBits()
	for i := n; i < len(x); i++ {
		x[i] += c
	}
}

// Sum2 sets dst[i] = a[i] + b[i] (float32 arithmetic, as the scalar body).
func Sum2(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if !archsimd.X86.AVX512() || len(dst) < 32 {
		if archsimd.X86.AVX2() && len(dst) >= 32 {
			sum2AVX2(dst, a, b)
			return
		}
		for i := range dst {
			dst[i] = a[i] + b[i]
		}
		return
	}
	n := len(dst) &^ 15
	for i := 0; i < n; i += 16 {
		archsimd.LoadFloat32x16Slice(a[i : i+16]).Add(archsimd.LoadFloat32x16Slice(b[i : i+16])).StoreSlice(dst[i : i+16])
	}
	archsimd.ClearAVXUpperBits()
	for i := n; i < len(dst); i++ {
		dst[i] = a[i] + b[i]
	}
}

// Add sets dst[i] += src[i] (float32 arithmetic, as the scalar body).
func Add(dst, src []float32) {
	src = src[:len(dst)]
	if !archsimd.X86.AVX512() || len(dst) < 32 {
		if archsimd.X86.AVX2() && len(dst) >= 32 {
			addAVX2(dst, src)
			return
		}
		for i := range dst {
			dst[i] += src[i]
		}
		return
	}
	n := len(dst) &^ 15
	for i := 0; i < n; i += 16 {
		archsimd.LoadFloat32x16Slice(dst[i : i+16]).Add(archsimd.LoadFloat32x16Slice(src[i : i+16])).StoreSlice(dst[i : i+16])
	}
	archsimd.ClearAVXUpperBits()
	for i := n; i < len(dst); i++ {
		dst[i] += src[i]
	}
}

// ReLU sets dst[i] = src[i] where src[i] > 0 or is NaN, else +0: the bits
// of src, masked by two integer compares.
func ReLU(dst, src []float32) {
	dst = dst[:len(src)]
	switch {
	case archsimd.X86.AVX512():
		reluAVX512(dst, src)
	case archsimd.X86.AVX2():
		reluAVX2(dst, src)
	default:
		reluScalar(dst, src)
	}
}

func reluAVX512(dst, src []float32) {
	var zero archsimd.Int32x16
	abs, inf := archsimd.BroadcastInt32x16(0x7fffffff), archsimd.BroadcastInt32x16(0x7f800000)
	n := len(src) &^ 15
	for i := 0; i < n; i += 16 {
		b := archsimd.LoadFloat32x16Slice(src[i : i+16]).AsInt32x16()
		keep := b.Greater(zero).Or(b.And(abs).Greater(inf))
		b.AsFloat32x16().Masked(keep).StoreSlice(dst[i : i+16])
	}
	archsimd.ClearAVXUpperBits()
	reluScalar(dst[n:], src[n:])
}

func reluAVX2(dst, src []float32) {
	var zero archsimd.Int32x8
	abs, inf := archsimd.BroadcastInt32x8(0x7fffffff), archsimd.BroadcastInt32x8(0x7f800000)
	n := len(src) &^ 7
	for i := 0; i < n; i += 8 {
		b := archsimd.LoadFloat32x8Slice(src[i : i+8]).AsInt32x8()
		keep := b.Greater(zero).Or(b.And(abs).Greater(inf))
		b.AsFloat32x8().Masked(keep).StoreSlice(dst[i : i+8])
	}
	archsimd.ClearAVXUpperBits()
	reluScalar(dst[n:], src[n:])
}

// StepMask sets dst[i] = g[i] where ref[i] > 0 (not NaN), else +0.
func StepMask(dst, g, ref []float32) {
	dst, ref = dst[:len(g)], ref[:len(g)]
	switch {
	case archsimd.X86.AVX512():
		stepMaskAVX512(dst, g, ref)
	case archsimd.X86.AVX2():
		stepMaskAVX2(dst, g, ref)
	default:
		stepMaskScalar(dst, g, ref)
	}
}

func stepMaskAVX512(dst, g, ref []float32) {
	var zero archsimd.Int32x16
	nan := archsimd.BroadcastInt32x16(0x7f800001)
	n := len(g) &^ 15
	for i := 0; i < n; i += 16 {
		r := archsimd.LoadFloat32x16Slice(ref[i : i+16]).AsInt32x16()
		keep := r.Greater(zero).And(nan.Greater(r))
		archsimd.LoadFloat32x16Slice(g[i : i+16]).Masked(keep).StoreSlice(dst[i : i+16])
	}
	archsimd.ClearAVXUpperBits()
	stepMaskScalar(dst[n:], g[n:], ref[n:])
}

func stepMaskAVX2(dst, g, ref []float32) {
	var zero archsimd.Int32x8
	nan := archsimd.BroadcastInt32x8(0x7f800001)
	n := len(g) &^ 7
	for i := 0; i < n; i += 8 {
		r := archsimd.LoadFloat32x8Slice(ref[i : i+8]).AsInt32x8()
		keep := r.Greater(zero).And(nan.Greater(r))
		archsimd.LoadFloat32x8Slice(g[i : i+8]).Masked(keep).StoreSlice(dst[i : i+8])
	}
	archsimd.ClearAVXUpperBits()
	stepMaskScalar(dst[n:], g[n:], ref[n:])
}

// Widen sets dst[i] = float64(src[i]) (exact).
func Widen(dst []float64, src []float32) {
	switch {
	case archsimd.X86.AVX512():
		widenAVX512(dst, src)
	case archsimd.X86.AVX2():
		widenAVX2(dst, src)
	default:
		widenScalar(dst, src)
	}
}

func widenAVX512(dst []float64, src []float32) {
	dst = dst[:len(src)]
	n := len(src) &^ 7
	for i := 0; i < n; i += 8 {
		load8(src[i : i+8]).StoreSlice(dst[i : i+8])
	}
	archsimd.ClearAVXUpperBits()
	widenScalar(dst[n:], src[n:])
}

func widenAVX2(dst []float64, src []float32) {
	dst = dst[:len(src)]
	n := len(src) &^ 3
	for i := 0; i < n; i += 4 {
		load4(src[i : i+4]).StoreSlice(dst[i : i+4])
	}
	archsimd.ClearAVXUpperBits()
	widenScalar(dst[n:], src[n:])
}
