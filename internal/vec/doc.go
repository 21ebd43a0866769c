// Package vec holds the float32 kernels of batch normalisation: per-channel
// reductions accumulated in float64 and per-element affine maps computed in
// float64 and rounded once, and the sign masks of ReLU. Each has a portable
// scalar body and, when built with GOEXPERIMENT=simd, archsimd bodies for
// AVX-512 and for AVX2 (chosen when the program runs); all give the same
// bits.
//
// Reductions use a fixed order that does not depend on the path: Lanes (16)
// partial sums, lane l adding x[16k+l] for k = 0, 1, ... in order (missing
// tail elements count as +0), then the lanes are summed in a fixed tree,
// l[i] += l[i+8], then +4, +2, +1. The element-wise maps do the same float64
// operations (no fused multiply-add) in both bodies, so they agree exactly.
//
//	SumF64(x)          = Σ x
//	DotF64(x, y)       = Σ x·y
//	SqDevF64(x, μ)     = Σ (x-μ)²
//	SumDevF64(g, x, μ) = (Σ g, Σ g·(x-μ))
//	Affine(dst, x, μ, r, t):           dst = (x-μ)·r + t
//	BNDx(dst, g, x, a, mg, μ, coef):   dst = a·(g - mg - (x-μ)·coef)
//	FMA2(dst, x, y, a, b, s):          dst = a·x + b·y + s
//	ReLU(dst, src):                    dst = src where src > 0 or NaN, else +0
//	StepMask(dst, g, ref):             dst = g where ref > 0, else +0
//	Widen(dst, src):                   dst = float64(src)
//
// The direct-convolution and pooling kernels of the search network (taps.go,
// maxtaps.go) have AVX-512 and AVX2 bodies and a generic definition they
// match bit for bit:
//
//	Taps:     y[r·ys+k] (+)= Σ_t w[t]·x[r·xs+offs[t]+k], taps in order
//	LaneDots: 64 float64 lanes of Σ g·x over rows (lane 32·(r mod 2) + k mod 32)
//	MaxTaps:  first strictly greatest integer key over the taps, its index
//	MulAdd:   dst (+)= a·x
package vec

// Lanes is the number of partial sums of every reduction.
const Lanes = 16

func treeSum(l *[Lanes]float64) float64 {
	// l[i] += l[i+8], then +4, +2, +1, written out (the loop form cost 2-3%
	// of a search iteration, whose reductions are over small planes)
	a0, a1, a2, a3 := l[0]+l[8], l[1]+l[9], l[2]+l[10], l[3]+l[11]
	a4, a5, a6, a7 := l[4]+l[12], l[5]+l[13], l[6]+l[14], l[7]+l[15]
	a0, a1, a2, a3 = a0+a4, a1+a5, a2+a6, a3+a7
	a0, a1 = a0+a2, a1+a3
	return a0 + a1
}
