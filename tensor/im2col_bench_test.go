package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkIm2colSmall compares, on Conv-4's 7x7 and 3x3 planes, the
// per-call tap table (im2col/col2im for OH*OW <= smallPlane) with
// im2colPlane's row copies.
func BenchmarkIm2colSmall(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, h := range []int{7, 3} {
		g := ConvGeom{N: 5, C: 64, H: h, W: h, K: 64, KH: 3, KW: 3, PadH: 1, PadW: 1}
		g.norm()
		x := randT[float32](rng, g.XShape()...)
		oh, ow := g.OutH(), g.OutW()
		p := oh * ow
		col := make([]float32, g.C*9*g.N*p)
		b.Run(fmt.Sprintf("%dx%d/table", h, h), func(b *testing.B) {
			for b.Loop() {
				im2col(col, x.Data, &g, 0, g.N, 0)
			}
		})
		b.Run(fmt.Sprintf("%dx%d/rows", h, h), func(b *testing.B) {
			for b.Loop() {
				row := 0
				for c := 0; c < g.C; c++ {
					for i := 0; i < 3; i++ {
						for j := 0; j < 3; j++ {
							dr := col[row*g.N*p : (row+1)*g.N*p]
							for n := 0; n < g.N; n++ {
								im2colPlane(dr[n*p:(n+1)*p], x.Data[(n*g.C+c)*h*h:][:h*h], &g, i, j, oh, ow)
							}
							row++
						}
					}
				}
			}
		})
		dx := make([]float32, len(x.Data))
		b.Run(fmt.Sprintf("%dx%d/col2im-table", h, h), func(b *testing.B) {
			for b.Loop() {
				col2im(dx, col, &g, 0, g.N, 0)
			}
		})
		b.Run(fmt.Sprintf("%dx%d/col2im-rows", h, h), func(b *testing.B) {
			for b.Loop() {
				row := 0
				for c := 0; c < g.C; c++ {
					for i := 0; i < 3; i++ {
						for j := 0; j < 3; j++ {
							sr := col[row*g.N*p : (row+1)*g.N*p]
							for n := 0; n < g.N; n++ {
								col2imPlane(dx[(n*g.C+c)*h*h:][:h*h], sr[n*p:(n+1)*p], &g, i, j, oh, ow)
							}
							row++
						}
					}
				}
			}
		})
	}
}

// BenchmarkIm2colConv4 times im2col and col2im on the chunks Conv2d gives
// Conv-4's row-copy layers at batch 25 (3x3, pad 1): the 28x28 first layer
// (1 channel, one image a chunk) and the 14x14 second layer (64 channels,
// three images a chunk).
func BenchmarkIm2colConv4(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ h, ch, nb int }{{28, 1, 1}, {14, 64, 3}} {
		g := ConvGeom{N: c.nb, C: c.ch, H: c.h, W: c.h, K: 64, KH: 3, KW: 3, PadH: 1, PadW: 1}
		g.norm()
		x := randT[float32](rng, g.XShape()...)
		col := make([]float32, g.C*9*g.N*g.OutH()*g.OutW())
		b.Run(fmt.Sprintf("%dx%dx%d/im2col", c.ch, c.h, c.h), func(b *testing.B) {
			for b.Loop() {
				im2col(col, x.Data, &g, 0, g.N, 0)
			}
		})
		dx := make([]float32, len(x.Data))
		b.Run(fmt.Sprintf("%dx%dx%d/col2im", c.ch, c.h, c.h), func(b *testing.B) {
			for b.Loop() {
				col2im(dx, col, &g, 0, g.N, 0)
			}
		})
	}
}
