//go:build !(goexperiment.simd && amd64)

package vec

// Path names the body in use.
func Path() string { return "scalar" }

// SumF64 is Σ x in float64, in the package's fixed order.
func SumF64(x []float32) float64 { return sumScalar(x) }

// DotF64 is Σ x·y in float64.
func DotF64(x, y []float32) float64 { return dotScalar(x, y) }

// SqDevF64 is Σ (x-μ)² in float64.
func SqDevF64(x []float32, mu float64) float64 { return sqDevScalar(x, mu) }

// SumDevF64 is (Σ g, Σ g·(x-μ)) in float64.
func SumDevF64(g, x []float32, mu float64) (float64, float64) { return sumDevScalar(g, x, mu) }

// Affine sets dst = (x-μ)·r + t, computed in float64.
func Affine(dst, x []float32, mu, r, t float64) { affineScalar(dst, x, mu, r, t) }

// BNDx sets dst = a·(g - mg - (x-μ)·coef), computed in float64.
func BNDx(dst, g, x []float32, a, mg, mu, coef float64) { bnDxScalar(dst, g, x, a, mg, mu, coef) }

// FMA2 sets dst = a·x + b·y + s, computed in float64.
func FMA2(dst, x, y []float32, a, b, s float64) { fma2Scalar(dst, x, y, a, b, s) }

func maxPool2x2Row(ys []float32, is []int32, r0, r1 []float32, off0, off1 int32) {
	maxPool2x2RowScalar(ys, is, r0, r1, off0, off1)
}

func maskedUnpool2x2Row(r0, r1, gs []float32, is []int32, off0, off1 int32) {
	maskedUnpool2x2RowScalar(r0, r1, gs, is, off0, off1)
}

// AddConst adds c to every element of x (float32 arithmetic).
func AddConst(x []float32, c float32) {
	for i := range x {
		x[i] += c
	}
}

// Sum2 sets dst[i] = a[i] + b[i] (float32 arithmetic).
func Sum2(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// Add sets dst[i] += src[i] (float32 arithmetic).
func Add(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// Taps is y[r·ys+k] (+)= Σ_t w[t]·x[r·xs+offs[t]+k] (see taps.go).
func Taps(y []float32, ys int, x []float32, xs int, rows, n int, offs []int32, w []float32, add bool) {
	TapsOf(y, ys, x, xs, rows, n, offs, w, add)
}

// LaneDots adds the products of rows of g and x to 64 float64 lanes (see
// taps.go).
func LaneDots(acc *[DotLanes]float64, g []float64, gs int, x []float64, xs int, rows, n int) {
	laneDotsScalar(acc, g, gs, x, xs, rows, n)
}

// MulAdd is dst (+)= a·x (see MulAddOf).
func MulAdd(dst, x []float32, a float32, add bool) { MulAddOf(dst, x, a, add) }

// MaxTaps is the argmax of a max pool over integer keys (see maxtaps.go).
func MaxTaps(bi []int32, bs int, keys []int32, ks, rows, n int, offs, io []int32, ir, ic int32) {
	MaxTapsOf(bi, bs, keys, ks, rows, n, offs, io, ir, ic)
}

// ReLU sets dst[i] = src[i] where src[i] > 0 or is NaN, else +0.
func ReLU(dst, src []float32) { reluScalar(dst, src) }

// StepMask sets dst[i] = g[i] where ref[i] > 0 (not NaN), else +0.
func StepMask(dst, g, ref []float32) { stepMaskScalar(dst, g, ref) }

// Widen sets dst[i] = float64(src[i]) (exact).
func Widen(dst []float64, src []float32) { widenScalar(dst, src) }
