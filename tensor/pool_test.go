package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

var poolCases = []PoolGeom{
	{N: 2, C: 3, H: 6, W: 6, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
	{N: 2, C: 3, H: 5, W: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{N: 2, C: 3, H: 7, W: 7, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
	{N: 3, C: 2, H: 9, W: 8, KH: 3, KW: 2, StrideH: 2, StrideW: 3, PadH: 1, PadW: 1},
	{N: 1, C: 1, H: 7, W: 5, KH: 2, KW: 2, StrideH: 2, StrideW: 2},    // odd sizes: last row/col dropped
	{N: 8, C: 16, H: 28, W: 28, KH: 2, KW: 2, StrideH: 2, StrideW: 2}, // parallel
}

func naivePool(x []float64, g PoolGeom) (maxY, avgY []float64, arg []int) {
	oh, ow := g.OutH(), g.OutW()
	for n := 0; n < g.N; n++ {
		for c := 0; c < g.C; c++ {
			for r := 0; r < oh; r++ {
				for q := 0; q < ow; q++ {
					best, bi, s, cnt := math.Inf(-1), -1, 0.0, 0
					for i := 0; i < g.KH; i++ {
						for j := 0; j < g.KW; j++ {
							ih, iw := r*g.StrideH-g.PadH+i, q*g.StrideW-g.PadW+j
							if ih < 0 || iw < 0 || ih >= g.H || iw >= g.W {
								continue
							}
							k := ((n*g.C+c)*g.H+ih)*g.W + iw
							if x[k] > best {
								best, bi = x[k], k
							}
							s += x[k]
							cnt++
						}
					}
					maxY = append(maxY, best)
					arg = append(arg, bi)
					avgY = append(avgY, s/float64(cnt))
				}
			}
		}
	}
	return
}

func TestPoolKernelsMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for ci, g0 := range poolCases {
		g, err := PoolGeomFor(g0.XShape(), g0.KH, g0.KW, g0.StrideH, g0.StrideW, g0.PadH, g0.PadW)
		if err != nil {
			t.Fatal(err)
		}
		x := randT[float64](rng, g.XShape()...)
		gy := randT[float64](rng, g.YShape()...)
		u := randT[float64](rng, g.XShape()...)
		mY, aY, arg := naivePool(x.Data, g)
		y, idx := MaxPool2d(x, g)
		for i := range mY {
			if y.Data[i] != mY[i] || int(idx[i]) != arg[i] {
				t.Fatalf("case %d: max out %d: %v@%d want %v@%d", ci, i, y.Data[i], idx[i], mY[i], arg[i])
			}
		}
		if e := maxRel(AvgPool2d(x, g).Data, aY); e > 1e-14 {
			t.Errorf("case %d: avg err %g", ci, e)
		}
		// adjoint identities: <scatter(gy), u> = <gy, gather(u)>, <avg(u), gy> = <u, avgT(gy)>
		dot := func(a, b []float64) (s float64) {
			for i := range a {
				s += a[i] * b[i]
			}
			return
		}
		if l, r := dot(MaxPoolScatter(gy, idx, g).Data, u.Data), dot(gy.Data, MaxPoolGather(u, idx, g).Data); math.Abs(l-r) > 1e-10*(1+math.Abs(r)) {
			t.Errorf("case %d: scatter/gather not adjoint: %v %v", ci, l, r)
		}
		if l, r := dot(AvgPool2d(u, g).Data, gy.Data), dot(u.Data, AvgPool2dAdjoint(gy, g).Data); math.Abs(l-r) > 1e-10*(1+math.Abs(r)) {
			t.Errorf("case %d: avg adjoint: %v %v", ci, l, r)
		}
	}
	if _, err := PoolGeomFor([]int{1, 1, 5, 5}, 2, 2, 1, 1, 2, 2); err == nil {
		t.Error("padding over half the kernel: want error")
	}
}

func TestConvAdjointIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for ci, g := range convCases {
		g.norm()
		x := randT[float64](rng, g.XShape()...)
		w := randT[float64](rng, g.WShape()...)
		gy := randT[float64](rng, g.YShape()...)
		dot := func(a, b []float64) (s float64) {
			for i := range a {
				s += a[i] * b[i]
			}
			return
		}
		f := dot(Conv2d(x, w, g, nil).Data, gy.Data)
		fx := dot(x.Data, Conv2dTranspose(gy, w, g, nil).Data)
		fw := dot(w.Data, Conv2dWeightGrad(x, gy, g, nil).Data)
		if math.Abs(f-fx) > 1e-10*(1+math.Abs(f)) || math.Abs(f-fw) > 1e-10*(1+math.Abs(f)) {
			t.Errorf("case %d: <conv(x,w),gy>=%v <x,convT>=%v <w,convW>=%v", ci, f, fx, fw)
		}
	}
}

// Special values: ties (first maximum wins, -0 == +0), -inf, NaN (wins,
// whatever its sign bit), in the 2x2 fast path and the general path, for
// both element types.
func TestMaxPoolSpecialValues(t *testing.T) {
	negNaN := math.Float64frombits(0xfff8000000000000)
	ninf := math.Inf(-1)
	negZero := math.Copysign(0, -1)
	// one 4x4 plane; 2x2 windows: [1 1;0 1], [-0 +0;+0 -0], [-inf -inf;-inf -inf], [-2 NaN;5 negNaN]
	x := []float64{
		1, 1, negZero, 0,
		0, 1, 0, negZero,
		ninf, ninf, -2, math.NaN(),
		ninf, ninf, 5, negNaN,
	}
	check := func(t *testing.T, y []float64, idx []int32, wantIdx []int32) {
		for o, w := range wantIdx {
			if w < 0 {
				if !math.IsNaN(y[o]) || !math.IsNaN(x[idx[o]]) {
					t.Errorf("window %d: got %v@%d, want NaN", o, y[o], idx[o])
				}
				continue
			}
			if idx[o] != w || math.Float64bits(y[o]) != math.Float64bits(x[w]) {
				t.Errorf("window %d: got %v@%d, want %v@%d", o, y[o], idx[o], x[w], w)
			}
		}
	}
	g, _ := PoolGeomFor([]int{1, 1, 4, 4}, 2, 2, 2, 2, 0, 0)
	want := []int32{0, 2, 8, -1}
	y, idx := MaxPool2d(FromSlice(x, 1, 1, 4, 4), g)
	check(t, y.Data, idx, want)
	y32, idx32 := MaxPool2d(Convert[float32](FromSlice(x, 1, 1, 4, 4)), g)
	check(t, Convert[float64](y32).Data, idx32, want)
	// general path: 2x1 windows, stride (2, 1)
	g2, _ := PoolGeomFor([]int{1, 1, 4, 4}, 2, 1, 2, 1, 0, 0)
	y2, idx2 := MaxPool2d(FromSlice(x, 1, 1, 4, 4), g2)
	// columns of each 2-row band: (1,0)->0, (1,1)->1, (-0,0)->2, (0,-0)->3, then -inf band, (-2,5)->14, (NaN,negNaN)->NaN
	check(t, y2.Data, idx2, []int32{0, 1, 2, 3, 8, 9, 14, -1})
}
