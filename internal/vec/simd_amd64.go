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
	if archsimd.X86.AVX512() {
		return "avx512"
	}
	return "scalar"
}

func load8(s []float32) archsimd.Float64x8 {
	return archsimd.LoadFloat32x8Slice(s).ConvertToFloat64()
}

// SumF64 is Σ x in float64, in the package's fixed order.
func SumF64(x []float32) float64 {
	if !archsimd.X86.AVX512() || len(x) < 2*Lanes {
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
