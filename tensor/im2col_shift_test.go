package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestShiftPlansMatchPlanes: im2col and col2im through the per-call tap
// plans give, bit for bit, what the per-plane functions give, on "same"
// stride-1 geometries with padding, dilation and kernels of several sizes.
func TestShiftPlansMatchPlanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, g := range []ConvGeom{
		{N: 3, C: 4, H: 14, W: 14, K: 8, KH: 3, KW: 3, PadH: 1, PadW: 1},
		{N: 2, C: 3, H: 7, W: 7, K: 4, KH: 3, KW: 3, PadH: 1, PadW: 1},
		{N: 2, C: 2, H: 9, W: 9, K: 4, KH: 5, KW: 5, PadH: 2, PadW: 2},
		{N: 2, C: 2, H: 8, W: 8, K: 4, KH: 3, KW: 3, PadH: 2, PadW: 2, DilH: 2, DilW: 2},
		{N: 1, C: 2, H: 6, W: 5, K: 4, KH: 3, KW: 1, PadH: 1, PadW: 0},
		{N: 2, C: 1, H: 28, W: 28, K: 4, KH: 3, KW: 3, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 5, W: 5, K: 2, KH: 3, KW: 3, PadH: 3, PadW: 3, DilH: 3, DilW: 3},
	} {
		g.norm()
		if err := g.Validate(); err != nil {
			t.Fatal(err)
		}
		oh, ow := g.OutH(), g.OutW()
		if shiftPlans(&g, oh, ow) == nil {
			t.Fatalf("%+v: no shift plans", g)
		}
		p := oh * ow
		if p <= smallPlane {
			t.Fatalf("%+v: takes the table path", g)
		}
		x := make([]float32, g.N*g.C*g.H*g.W)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		rows := g.C * g.KH * g.KW
		ld := g.N * p
		got := make([]float32, rows*ld)
		for i := range got {
			got[i] = float32(math.NaN())
		}
		im2col(got, x, &g, 0, g.N, 0)
		want := make([]float32, rows*ld)
		row := 0
		for c := 0; c < g.C; c++ {
			for i := 0; i < g.KH; i++ {
				for j := 0; j < g.KW; j++ {
					for b := 0; b < g.N; b++ {
						im2colPlane(want[row*ld+b*p:row*ld+(b+1)*p], x[(b*g.C+c)*g.H*g.W:][:g.H*g.W], &g, i, j, oh, ow)
					}
					row++
				}
			}
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: im2col element %d: %v, planes %v", g, i, got[i], want[i])
			}
		}
		// col2im of random columns into random images
		src := make([]float32, rows*ld)
		for i := range src {
			src[i] = float32(rng.NormFloat64())
		}
		src2 := append([]float32(nil), src...)
		dx := make([]float32, len(x))
		for i := range dx {
			dx[i] = float32(rng.NormFloat64())
		}
		dx2 := append([]float32(nil), dx...)
		col2im(dx, src, &g, 0, g.N, 0)
		row = 0
		for c := 0; c < g.C; c++ {
			for i := 0; i < g.KH; i++ {
				for j := 0; j < g.KW; j++ {
					for b := 0; b < g.N; b++ {
						col2imPlane(dx2[(b*g.C+c)*g.H*g.W:][:g.H*g.W], src2[row*ld+b*p:row*ld+(b+1)*p], &g, i, j, oh, ow)
					}
					row++
				}
			}
		}
		for i := range dx {
			if math.Float32bits(dx[i]) != math.Float32bits(dx2[i]) {
				t.Fatalf("%+v: col2im element %d: %v, planes %v", g, i, dx[i], dx2[i])
			}
		}
	}
}
