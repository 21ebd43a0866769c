package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The depthwise weight gradient of the search's dil_conv_5x5 on 75 images
// at the map sizes of the perf workload (28) and the shipped search (14, 7).
func BenchmarkDepthwiseWeightGrad(b *testing.B) {
	for _, hw := range []int{28, 14, 7} {
		g := ConvGeom{N: 75, C: 8, H: hw, W: hw, K: 8, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadH: 4, PadW: 4, DilH: 2, DilW: 2, Groups: 8}
		rng := rand.New(rand.NewPCG(1, 2))
		x := randT[float32](rng, g.XShape()...)
		gy := randT[float32](rng, g.YShape()...)
		dw := make([]float32, 8*25)
		b.Run(fmt.Sprintf("%dx%d", hw, hw), func(b *testing.B) {
			for b.Loop() {
				depthwiseWeightGrad(dw, x.Data, gy.Data, &g, nil)
			}
		})
	}
}
