package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refMaxPool32 is the float32 max pool as the window loops compute it:
// keys in row-major window order, the first strictly greater one wins.
func refMaxPool32(x []float32, g PoolGeom) ([]float32, []int32) {
	oh, ow := g.OutH(), g.OutW()
	hw, p := g.H*g.W, oh*ow
	y, idx := make([]float32, g.N*g.C*p), make([]int32, g.N*g.C*p)
	for pl := 0; pl < g.N*g.C; pl++ {
		xs := x[pl*hw : (pl+1)*hw]
		for r := 0; r < oh; r++ {
			hs, he := window(r, g.StrideH, g.PadH, g.KH, g.H)
			for c := 0; c < ow; c++ {
				ws, we := window(c, g.StrideW, g.PadW, g.KW, g.W)
				best, bi := int64(math.MinInt64), 0
				for ih := hs; ih < he; ih++ {
					for iw := ws; iw < we; iw++ {
						if k := poolKey32(xs[ih*g.W+iw]); k > best {
							best, bi = k, ih*g.W+iw
						}
					}
				}
				y[pl*p+r*ow+c], idx[pl*p+r*ow+c] = xs[bi], int32(pl*hw+bi)
			}
		}
	}
	return y, idx
}

// The float32 max pool through vec.MaxTaps picks the elements and indices
// of the window loops, with ties (the first maximum wins), signed zeros,
// infinities and NaNs (the first NaN wins), on the DARTS pools and random
// geometries.
func TestMaxPoolMatchesWindowLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	gs := searchPoolCases(rng)
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), -float32(math.NaN())}
	for ci, g := range gs {
		x := New[float32](g.XShape()...)
		for i := range x.Data {
			if rng.IntN(3) == 0 {
				x.Data[i] = special[rng.IntN(len(special))]
			} else {
				x.Data[i] = float32(rng.IntN(3))
			}
		}
		y, idx := MaxPool2dIn(x, g, nil)
		ry, ridx := refMaxPool32(x.Data, g)
		for o := range idx {
			if idx[o] != ridx[o] || math.Float32bits(y.Data[o]) != math.Float32bits(ry[o]) {
				t.Fatalf("case %d %+v: output %d = %v at %d, window loops %v at %d", ci, g, o, y.Data[o], idx[o], ry[o], ridx[o])
			}
		}
	}
}
