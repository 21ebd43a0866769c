//go:build goexperiment.simd && amd64

package vec

import "simd/archsimd"

// The AVX2 bodies, for CPUs without AVX-512: the same lanes and the same
// float64 operations as the AVX-512 bodies, four float64s (or eight
// float32s) per register, so every path gives the scalar body's bits. The
// reductions keep the package's 16 lanes in four Float64x4 accumulators.

func load4(s []float32) archsimd.Float64x4 {
	return archsimd.LoadFloat32x4Slice(s).ConvertToFloat64()
}

// lanes4 is a reduction's 16 partial sums in four registers.
type lanes4 [4]archsimd.Float64x4

func (l *lanes4) store(out *[Lanes]float64) {
	for q := range l {
		l[q].Store((*[4]float64)(out[4*q : 4*q+4]))
	}
}

func sumF64AVX2(x []float32) float64 {
	var acc lanes4
	n := len(x) &^ (Lanes - 1)
	for i := 0; i < n; i += Lanes {
		acc[0] = acc[0].Add(load4(x[i : i+4]))
		acc[1] = acc[1].Add(load4(x[i+4 : i+8]))
		acc[2] = acc[2].Add(load4(x[i+8 : i+12]))
		acc[3] = acc[3].Add(load4(x[i+12 : i+16]))
	}
	var l [Lanes]float64
	acc.store(&l)
	archsimd.ClearAVXUpperBits()
	for j := 0; n+j < len(x); j++ {
		l[j] += float64(x[n+j])
	}
	return treeSum(&l)
}

func dotF64AVX2(x, y []float32) float64 {
	y = y[:len(x)]
	var acc lanes4
	n := len(x) &^ (Lanes - 1)
	for i := 0; i < n; i += Lanes {
		for q := range 4 {
			o := i + 4*q
			acc[q] = acc[q].Add(load4(x[o : o+4]).Mul(load4(y[o : o+4])))
		}
	}
	var l [Lanes]float64
	acc.store(&l)
	archsimd.ClearAVXUpperBits()
	for j := 0; n+j < len(x); j++ {
		l[j] += float64(x[n+j]) * float64(y[n+j])
	}
	return treeSum(&l)
}

func sqDevF64AVX2(x []float32, mu float64) float64 {
	m := archsimd.BroadcastFloat64x4(mu)
	var acc lanes4
	n := len(x) &^ (Lanes - 1)
	for i := 0; i < n; i += Lanes {
		for q := range 4 {
			o := i + 4*q
			d := load4(x[o : o+4]).Sub(m)
			acc[q] = acc[q].Add(d.Mul(d))
		}
	}
	var l [Lanes]float64
	acc.store(&l)
	archsimd.ClearAVXUpperBits()
	for j := 0; n+j < len(x); j++ {
		d := float64(x[n+j]) - mu
		l[j] += d * d
	}
	return treeSum(&l)
}

func sumDevF64AVX2(g, x []float32, mu float64) (float64, float64) {
	x = x[:len(g)]
	m := archsimd.BroadcastFloat64x4(mu)
	var sa, sb lanes4
	n := len(g) &^ (Lanes - 1)
	for i := 0; i < n; i += Lanes {
		for q := range 4 {
			o := i + 4*q
			gv := load4(g[o : o+4])
			sa[q] = sa[q].Add(gv)
			sb[q] = sb[q].Add(gv.Mul(load4(x[o : o+4]).Sub(m)))
		}
	}
	var a, b [Lanes]float64
	sa.store(&a)
	sb.store(&b)
	archsimd.ClearAVXUpperBits()
	for j := 0; n+j < len(g); j++ {
		gv := float64(g[n+j])
		a[j] += gv
		b[j] += gv * (float64(x[n+j]) - mu)
	}
	return treeSum(&a), treeSum(&b)
}

func affineAVX2(dst, x []float32, mu, r, t float64) {
	dst = dst[:len(x)]
	vm, vr, vt := archsimd.BroadcastFloat64x4(mu), archsimd.BroadcastFloat64x4(r), archsimd.BroadcastFloat64x4(t)
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		load4(x[i : i+4]).Sub(vm).Mul(vr).Add(vt).ConvertToFloat32().StoreSlice(dst[i : i+4])
	}
	archsimd.ClearAVXUpperBits()
	affineScalar(dst[n:], x[n:], mu, r, t)
}

func bnDxAVX2(dst, g, x []float32, a, mg, mu, coef float64) {
	dst, x = dst[:len(g)], x[:len(g)]
	va, vmg := archsimd.BroadcastFloat64x4(a), archsimd.BroadcastFloat64x4(mg)
	vmu, vc := archsimd.BroadcastFloat64x4(mu), archsimd.BroadcastFloat64x4(coef)
	n := len(g) &^ 3
	for i := 0; i < n; i += 4 {
		d := load4(x[i : i+4]).Sub(vmu).Mul(vc)
		va.Mul(load4(g[i : i+4]).Sub(vmg).Sub(d)).ConvertToFloat32().StoreSlice(dst[i : i+4])
	}
	archsimd.ClearAVXUpperBits()
	bnDxScalar(dst[n:], g[n:], x[n:], a, mg, mu, coef)
}

func fma2AVX2(dst, x, y []float32, a, b, s float64) {
	dst, y = dst[:len(x)], y[:len(x)]
	va, vb, vs := archsimd.BroadcastFloat64x4(a), archsimd.BroadcastFloat64x4(b), archsimd.BroadcastFloat64x4(s)
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		va.Mul(load4(x[i : i+4])).Add(vb.Mul(load4(y[i : i+4]))).Add(vs).ConvertToFloat32().StoreSlice(dst[i : i+4])
	}
	archsimd.ClearAVXUpperBits()
	fma2Scalar(dst[n:], x[n:], y[n:], a, b, s)
}

// deinterleave8 puts the even lanes of a Float32x8 in its low half and the
// odd lanes in its high half; interleave8 undoes it.
var (
	deinterleave8 = [8]uint32{0, 2, 4, 6, 1, 3, 5, 7}
	interleave8   = [8]uint32{0, 4, 1, 5, 2, 6, 3, 7}
)

// evensOdds splits 16 consecutive floats into their 8 even and 8 odd
// positions.
func evensOdds(lo, hi archsimd.Float32x8, perm archsimd.Uint32x8) (ev, od archsimd.Float32x8) {
	lo, hi = lo.Permute(perm), hi.Permute(perm)
	return archsimd.Float32x8{}.SetLo(lo.GetLo()).SetHi(hi.GetLo()), archsimd.Float32x8{}.SetLo(lo.GetHi()).SetHi(hi.GetHi())
}

// maxPool2x2RowAVX2 is maxPool2x2Row with the even and odd columns split by
// two VPERMPS per row instead of one 16-wide one; the comparisons are the
// same.
func maxPool2x2RowAVX2(ys []float32, is []int32, r0, r1 []float32, off0, off1 int32) {
	n := len(ys)
	is, r0, r1 = is[:n], r0[:2*n], r1[:2*n]
	perm := archsimd.LoadUint32x8(&deinterleave8)
	lanes := archsimd.LoadInt32x8(&evenOffsets)
	one := archsimd.BroadcastInt32x8(1)
	for c := 0; c < n; c += 8 {
		var x0l, x0h, x1l, x1h archsimd.Float32x8
		if c+8 <= n {
			x0l, x0h = archsimd.LoadFloat32x8Slice(r0[2*c:2*c+8]), archsimd.LoadFloat32x8Slice(r0[2*c+8:2*c+16])
			x1l, x1h = archsimd.LoadFloat32x8Slice(r1[2*c:2*c+8]), archsimd.LoadFloat32x8Slice(r1[2*c+8:2*c+16])
		} else {
			x0l, x0h = archsimd.LoadFloat32x8SlicePart(r0[2*c:]), archsimd.LoadFloat32x8SlicePart(r0[min(2*c+8, 2*n):])
			x1l, x1h = archsimd.LoadFloat32x8SlicePart(r1[2*c:]), archsimd.LoadFloat32x8SlicePart(r1[min(2*c+8, 2*n):])
		}
		a0, a1 := evensOdds(x0l, x0h, perm)
		b0, b1 := evensOdds(x1l, x1h, perm)
		i00 := archsimd.BroadcastInt32x8(off0 + int32(2*c)).Add(lanes)
		i10 := archsimd.BroadcastInt32x8(off1 + int32(2*c)).Add(lanes)
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

// interleave8Halves joins 8 even and 8 odd values into 16 consecutive ones.
func interleave8Halves(ev, od archsimd.Float32x8, perm archsimd.Uint32x8) (lo, hi archsimd.Float32x8) {
	lo = archsimd.Float32x8{}.SetLo(ev.GetLo()).SetHi(od.GetLo()).Permute(perm)
	hi = archsimd.Float32x8{}.SetLo(ev.GetHi()).SetHi(od.GetHi()).Permute(perm)
	return lo, hi
}

// maskedUnpool2x2RowAVX2 is maskedUnpool2x2Row with each 16-float output
// row written as two 8-float halves.
func maskedUnpool2x2RowAVX2(r0, r1, gs []float32, is []int32, off0, off1 int32) {
	n := len(gs)
	is, r0, r1 = is[:n], r0[:2*n], r1[:2*n]
	perm := archsimd.LoadUint32x8(&interleave8)
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
			// padding lanes read index 0, which none of their cells has
			g, idx = archsimd.LoadFloat32x8SlicePart(gs[c:]), archsimd.LoadInt32x8SlicePart(is[c:])
		}
		i00 := archsimd.BroadcastInt32x8(off0 + int32(2*c)).Add(lanes)
		i10 := archsimd.BroadcastInt32x8(off1 + int32(2*c)).Add(lanes)
		e0 := g.Merge(zero, idx.Equal(i00))
		o0 := g.Merge(zero, idx.Equal(i00.Add(one)))
		e1 := g.Merge(zero, idx.Equal(i10))
		o1 := g.Merge(zero, idx.Equal(i10.Add(one)))
		l0, h0 := interleave8Halves(e0, o0, perm)
		l1, h1 := interleave8Halves(e1, o1, perm)
		if full {
			l0.StoreSlice(r0[2*c : 2*c+8])
			h0.StoreSlice(r0[2*c+8 : 2*c+16])
			l1.StoreSlice(r1[2*c : 2*c+8])
			h1.StoreSlice(r1[2*c+8 : 2*c+16])
		} else {
			l0.StoreSlicePart(r0[2*c:])
			h0.StoreSlicePart(r0[min(2*c+8, 2*n):])
			l1.StoreSlicePart(r1[2*c:])
			h1.StoreSlicePart(r1[min(2*c+8, 2*n):])
		}
	}
	archsimd.ClearAVXUpperBits()
}

func addConstAVX2(x []float32, c float32) {
	vc := archsimd.BroadcastFloat32x8(c)
	n := len(x) &^ 7
	for i := 0; i < n; i += 8 {
		archsimd.LoadFloat32x8Slice(x[i : i+8]).Add(vc).StoreSlice(x[i : i+8])
	}
	archsimd.ClearAVXUpperBits()
	for i := n; i < len(x); i++ {
		x[i] += c
	}
}

func sum2AVX2(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	n := len(dst) &^ 7
	for i := 0; i < n; i += 8 {
		archsimd.LoadFloat32x8Slice(a[i : i+8]).Add(archsimd.LoadFloat32x8Slice(b[i : i+8])).StoreSlice(dst[i : i+8])
	}
	archsimd.ClearAVXUpperBits()
	for i := n; i < len(dst); i++ {
		dst[i] = a[i] + b[i]
	}
}

func addAVX2(dst, src []float32) {
	src = src[:len(dst)]
	n := len(dst) &^ 7
	for i := 0; i < n; i += 8 {
		archsimd.LoadFloat32x8Slice(dst[i : i+8]).Add(archsimd.LoadFloat32x8Slice(src[i : i+8])).StoreSlice(dst[i : i+8])
	}
	archsimd.ClearAVXUpperBits()
	for i := n; i < len(dst); i++ {
		dst[i] += src[i]
	}
}
