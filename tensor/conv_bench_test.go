package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Conv-4 Omniglot shapes (batch 25, 3x3 pad 1): 1->64 at 28x28, then
// 64->64 at 14x14, 7x7 and 3x3.
var conv4Bench = []ConvGeom{
	{N: 25, C: 1, H: 28, W: 28, K: 64, KH: 3, KW: 3, PadH: 1, PadW: 1},
	{N: 25, C: 64, H: 14, W: 14, K: 64, KH: 3, KW: 3, PadH: 1, PadW: 1},
	{N: 25, C: 64, H: 7, W: 7, K: 64, KH: 3, KW: 3, PadH: 1, PadW: 1},
	{N: 25, C: 64, H: 3, W: 3, K: 64, KH: 3, KW: 3, PadH: 1, PadW: 1},
}

func BenchmarkConv4(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, g := range conv4Bench {
		g.norm()
		x := randT[float32](rng, g.XShape()...)
		w := randT[float32](rng, g.WShape()...)
		gy := randT[float32](rng, g.YShape()...)
		ws := NewWorkspace()
		name := fmt.Sprintf("%dto%d_%dx%d", g.C, g.K, g.H, g.W)
		flops := float64(2 * g.N * g.K * g.C * g.KH * g.KW * g.OutH() * g.OutW())
		report := func(b *testing.B) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		b.Run(name+"/fwd", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Conv2d(x, w, g, ws)
			}
			report(b)
		})
		b.Run(name+"/dx", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Conv2dTranspose(gy, w, g, ws)
			}
			report(b)
		})
		b.Run(name+"/dw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Conv2dWeightGrad(x, gy, g, ws)
			}
			report(b)
		})
	}
}

func BenchmarkMaxPool2x2(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	g, _ := PoolGeomFor([]int{25, 64, 28, 28}, 2, 2, 2, 2, 0, 0)
	x := randT[float32](rng, g.XShape()...)
	gy := randT[float32](rng, g.YShape()...)
	b.Run("fwd", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			MaxPool2d(x, g)
		}
	})
	_, idx := MaxPool2d(x, g)
	b.Run("scatter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			MaxPoolScatter(gy, idx, g)
		}
	})
}

// DARTS-style depthwise convs (batch 64, 16 channels, 32x32).
func BenchmarkDepthwise(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, g := range []ConvGeom{
		{N: 64, C: 16, H: 32, W: 32, K: 16, KH: 3, KW: 3, PadH: 1, PadW: 1, Groups: 16},
		{N: 64, C: 16, H: 32, W: 32, K: 16, KH: 5, KW: 5, PadH: 4, PadW: 4, DilH: 2, DilW: 2, Groups: 16},
	} {
		g.norm()
		x := randT[float32](rng, g.XShape()...)
		w := randT[float32](rng, g.WShape()...)
		gy := randT[float32](rng, g.YShape()...)
		name := fmt.Sprintf("k%d_d%d", g.KH, g.DilH)
		b.Run(name+"/fwd", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Conv2d(x, w, g, nil)
			}
		})
		b.Run(name+"/dx", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Conv2dTranspose(gy, w, g, nil)
			}
		})
		b.Run(name+"/dw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Conv2dWeightGrad(x, gy, g, nil)
			}
		})
	}
}
