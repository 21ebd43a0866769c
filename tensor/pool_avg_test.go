package tensor

import (
	"math/rand/v2"
	"testing"
)

// refAvgPool and refAvgPoolAdjoint are the average pool as first written:
// loops over each output's window clipped to the image.
func refAvgPool[T Float](x []T, g PoolGeom) []T {
	oh, ow := g.OutH(), g.OutW()
	hw, p := g.H*g.W, oh*ow
	y := make([]T, g.N*g.C*p)
	for pl := 0; pl < g.N*g.C; pl++ {
		xs, ys := x[pl*hw:(pl+1)*hw], y[pl*p:(pl+1)*p]
		for r := 0; r < oh; r++ {
			hs, he := window(r, g.StrideH, g.PadH, g.KH, g.H)
			for c := 0; c < ow; c++ {
				ws, we := window(c, g.StrideW, g.PadW, g.KW, g.W)
				var s T
				for ih := hs; ih < he; ih++ {
					for _, v := range xs[ih*g.W+ws : ih*g.W+we] {
						s += v
					}
				}
				ys[r*ow+c] = s / T((he-hs)*(we-ws))
			}
		}
	}
	return y
}

func refAvgPoolAdjoint[T Float](gy []T, g PoolGeom) []T {
	oh, ow := g.OutH(), g.OutW()
	hw, p := g.H*g.W, oh*ow
	dx := make([]T, g.N*g.C*hw)
	for pl := 0; pl < g.N*g.C; pl++ {
		ds, gs := dx[pl*hw:(pl+1)*hw], gy[pl*p:(pl+1)*p]
		for r := 0; r < oh; r++ {
			hs, he := window(r, g.StrideH, g.PadH, g.KH, g.H)
			for c := 0; c < ow; c++ {
				ws, we := window(c, g.StrideW, g.PadW, g.KW, g.W)
				v := gs[r*ow+c] / T((he-hs)*(we-ws))
				for ih := hs; ih < he; ih++ {
					row := ds[ih*g.W+ws : ih*g.W+we]
					for k := range row {
						row[k] += v
					}
				}
			}
		}
	}
	return dx
}

// searchPoolCases: the DARTS pools (3x3, stride 1 and 2, padding 1) on the map
// sizes of the search networks, then random valid geometries.
func searchPoolCases(rng *rand.Rand) []PoolGeom {
	var gs []PoolGeom
	for _, hw := range []int{28, 14, 7, 35} {
		for _, s := range []int{1, 2} {
			gs = append(gs, PoolGeom{N: 2, C: 3, H: hw, W: hw, KH: 3, KW: 3, StrideH: s, StrideW: s, PadH: 1, PadW: 1})
		}
	}
	for len(gs) < 60 {
		g := PoolGeom{N: 1 + rng.IntN(3), C: 1 + rng.IntN(4), H: 1 + rng.IntN(30), W: 1 + rng.IntN(30),
			KH: 1 + rng.IntN(4), KW: 1 + rng.IntN(4), StrideH: 1 + rng.IntN(3), StrideW: 1 + rng.IntN(3)}
		g.PadH, g.PadW = rng.IntN(g.KH/2+1), rng.IntN(g.KW/2+1)
		if g.Validate() != nil {
			continue
		}
		gs = append(gs, g)
	}
	return gs
}

// The average pool through the depthwise row kernels gives the bits of the
// window loops, forward and adjoint, in both precisions, on the DARTS pools
// (3x3, stride 1 and 2, padding 1) and random geometries.
func TestAvgPoolMatchesWindowLoops(t *testing.T) {
	checkAvgPool[float32](t)
	checkAvgPool[float64](t)
}

func checkAvgPool[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	gs := searchPoolCases(rng)
	for ci, g := range gs {
		x := randT[T](rng, g.XShape()...)
		y := AvgPool2dIn(x, g, nil)
		if i := sameBits(y.Data, refAvgPool(x.Data, g)); i >= 0 {
			t.Fatalf("case %d %+v: forward differs at %d", ci, g, i)
		}
		gy := randT[T](rng, g.YShape()...)
		dx := AvgPool2dAdjointIn(gy, g, nil)
		if i := sameBits(dx.Data, refAvgPoolAdjoint(gy.Data, g)); i >= 0 {
			t.Fatalf("case %d %+v: adjoint differs at %d", ci, g, i)
		}
	}
}
