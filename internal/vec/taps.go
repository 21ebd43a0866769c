package vec

// Direct-convolution row kernels (the depthwise convolutions of the DARTS
// search space; see tensor/conv_depthwise.go for how planes are laid out).
//
//	Taps(y, ys, x, xs, rows, n, offs, w, add): for r < rows, k < n,
//	    y[r·ys+k] = (add ? y[r·ys+k] : +0) + Σ_t w[t]·x[r·xs+offs[t]+k]
//
// the taps added one at a time in the order t = 0, 1, ..., each product
// rounded and then added (no fused multiply-add), in the precision of the
// slices. Rows are independent, so a body may work on several at once (it
// does: the latency of the adds, not the arithmetic, bounds one row).
// Slack: the vector bodies read whole blocks of 32 columns of x, so x must
// extend to (rows-1)·xs + max(offs) + ⌈n/32⌉·32 (the values read past
// column n are never used).
//
//	LaneDots(acc, g, gs, x, xs, rows, n):
//	    acc[32·(r mod 2) + (k mod 32)] += g[r·gs+k]·x[r·xs+k]   (r < rows, k < n8)
//
// with n8 = ⌈n/8⌉·8: the caller pads each row of g with zeros from n to n8
// (and x must be readable there), so that the vector bodies read whole
// vectors; the definition adds those zero products too.
//
// on float64 rows (float32 data converted once, so that every product is
// exact), each lane adding its terms in the order r, then k. The 64 lanes
// are independent sums, so the adds of a row pair do not wait on one
// another. FoldLanes adds the lanes in a fixed tree.
//
// Every body (scalar, AVX2, AVX-512) gives the bits of TapsOf and
// laneDotsScalar.

// Float is the element type of the generic bodies.
type Float interface{ ~float32 | ~float64 }

// DotLanes is the number of partial sums of LaneDots.
const DotLanes = 64

// TapsOf is the definition of Taps, for either precision.
func TapsOf[T Float](y []T, ys int, x []T, xs int, rows, n int, offs []int32, w []T, add bool) {
	w = w[:len(offs)]
	for r := 0; r < rows; r++ {
		yr, xr := y[r*ys:r*ys+n], x[r*xs:]
		for k := range yr {
			var acc T
			if add {
				acc = yr[k]
			}
			for t, o := range offs {
				acc += w[t] * xr[int(o)+k]
			}
			yr[k] = acc
		}
	}
}

// laneDotsScalar is the definition of LaneDots.
func laneDotsScalar(acc *[DotLanes]float64, g []float64, gs int, x []float64, xs int, rows, n int) {
	n8 := (n + 7) &^ 7
	for r := 0; r < rows; r++ {
		gr, xr := g[r*gs:r*gs+n8], x[r*xs:r*xs+n8]
		l := acc[32*(r%2) : 32*(r%2)+32]
		for k, v := range gr {
			l[k%32] += v * xr[k]
		}
	}
}

// FoldLanes is the sum of the lanes, l[i] += l[i+32], then +16, +8, +4, +2,
// +1 (acc is consumed).
func FoldLanes(acc *[DotLanes]float64) float64 {
	for step := DotLanes / 2; step >= 1; step /= 2 {
		for i := 0; i < step; i++ {
			acc[i] += acc[i+step]
		}
	}
	return acc[0]
}

// MulAddOf is the definition of MulAdd: dst[i] = (add ? dst[i] : +0) + a·x[i],
// the product rounded before the add.
func MulAddOf[T Float](dst, x []T, a T, add bool) {
	x = x[:len(dst)]
	if !add {
		for i, v := range x {
			dst[i] = a * v
		}
		return
	}
	for i, v := range x {
		dst[i] += a * v
	}
}
