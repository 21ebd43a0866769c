package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// depthwiseCases: the depthwise geometries of convCases and those of the
// DARTS search space (separable and dilated 3x3 and 5x5, stride 1 and 2, on
// 28x28 and 14x14 maps, whole rows above a vector's width), plus random ones.
func depthwiseCases(rng *rand.Rand) []ConvGeom {
	var cs []ConvGeom
	for _, g := range convCases {
		g.norm()
		if g.depthwise() {
			cs = append(cs, g)
		}
	}
	for _, hw := range []int{28, 14, 35} {
		for _, s := range []int{1, 2} {
			for _, k := range []struct{ k, d int }{{3, 1}, {5, 1}, {3, 2}, {5, 2}} {
				p := k.d * (k.k - 1) / 2
				cs = append(cs, ConvGeom{N: 2, C: 3, H: hw, W: hw, K: 3, KH: k.k, KW: k.k,
					StrideH: s, StrideW: s, PadH: p, PadW: p, DilH: k.d, DilW: k.d, Groups: 3})
			}
		}
	}
	for len(cs) < 80 {
		g := ConvGeom{N: 1 + rng.IntN(3), C: 1 + rng.IntN(4), H: 1 + rng.IntN(40), W: 1 + rng.IntN(40),
			KH: 1 + rng.IntN(5), KW: 1 + rng.IntN(5), StrideH: 1 + rng.IntN(3), StrideW: 1 + rng.IntN(3),
			PadH: rng.IntN(5), PadW: rng.IntN(5), DilH: 1 + rng.IntN(2), DilW: 1 + rng.IntN(2)}
		g.K, g.Groups = g.C, g.C
		if g.C < 2 || g.Validate() != nil {
			continue
		}
		cs = append(cs, g)
	}
	return cs
}

// sameBits is the first index where a and b differ (-1 if none); zeros of
// either sign count as equal (a padding product may turn a -0 sum into +0).
func sameBits[T Float](a, b []T) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// The row-kernel depthwise convolution adds the products of the direct
// loops in their order: forward and input gradient equal the reference bit
// for bit in both precisions; the weight gradient sums in its own order and
// agrees to rounding.
func TestDepthwiseMatchesDirectLoops(t *testing.T) {
	checkDepthwise[float32](t, 1e-5)
	checkDepthwise[float64](t, 1e-13)
}

func checkDepthwise[T Float](t *testing.T, tol float64) {
	rng := rand.New(rand.NewPCG(11, 12))
	for ci, g := range depthwiseCases(rng) {
		x := randT[T](rng, g.XShape()...).Data
		w := randT[T](rng, g.WShape()...).Data
		gy := randT[T](rng, g.YShape()...).Data
		y, yr := make([]T, len(gy)), make([]T, len(gy))
		depthwiseForward(y, x, w, &g, nil)
		refDepthwiseForward(yr, x, w, &g)
		if i := sameBits(y, yr); i >= 0 {
			t.Fatalf("case %d %+v: forward[%d] = %v, direct loops %v", ci, g, i, y[i], yr[i])
		}
		dx := randT[T](rng, g.XShape()...).Data
		dxr := append([]T(nil), dx...)
		depthwiseTransposeAdd(dx, gy, w, &g, nil)
		refDepthwiseTransposeAdd(dxr, gy, w, &g)
		if i := sameBits(dx, dxr); i >= 0 {
			t.Fatalf("case %d %+v: dx[%d] = %v, direct loops %v", ci, g, i, dx[i], dxr[i])
		}
		dw, dwr := make([]T, len(w)), make([]T, len(w))
		depthwiseWeightGrad(dw, x, gy, &g, nil)
		refDepthwiseWeightGrad(dwr, x, gy, &g)
		for i := range dw {
			if d := math.Abs(float64(dw[i]-dwr[i])) / (1 + math.Abs(float64(dwr[i]))); d > tol {
				t.Fatalf("case %d %+v: dw[%d] = %v, direct loops %v", ci, g, i, dw[i], dwr[i])
			}
		}
	}
}
