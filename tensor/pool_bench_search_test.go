package tensor

import (
	"math/rand/v2"
	"testing"
)

// The DARTS avg_pool_3x3 on a search batch: 80 images, 8 channels, 28x28.
func BenchmarkAvgPoolSearch(b *testing.B) {
	g := PoolGeom{N: 80, C: 8, H: 28, W: 28, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	rng := rand.New(rand.NewPCG(1, 2))
	x := randT[float32](rng, g.XShape()...)
	gy := randT[float32](rng, g.YShape()...)
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			AvgPool2dIn(x, g, nil)
		}
	})
	b.Run("forward-loops", func(b *testing.B) {
		for b.Loop() {
			refAvgPool(x.Data, g)
		}
	})
	b.Run("adjoint", func(b *testing.B) {
		for b.Loop() {
			AvgPool2dAdjointIn(gy, g, nil)
		}
	})
	b.Run("adjoint-loops", func(b *testing.B) {
		for b.Loop() {
			refAvgPoolAdjoint(gy.Data, g)
		}
	})
}

// The DARTS max_pool_3x3 on a search batch.
func BenchmarkMaxPoolSearch(b *testing.B) {
	g := PoolGeom{N: 80, C: 8, H: 28, W: 28, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	x := randT[float32](rand.New(rand.NewPCG(1, 2)), g.XShape()...)
	b.Run("keys", func(b *testing.B) {
		for b.Loop() {
			MaxPool2dIn(x, g, nil)
		}
	})
	b.Run("loops", func(b *testing.B) {
		for b.Loop() {
			refMaxPool32(x.Data, g)
		}
	})
}
