package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the matrix products of DECISIONS D4 (im2col with rows =
// output pixels), then those tensor.Conv2d issues for Conv-4 (W [K, C*9] x
// col [C*9, images*pixels], several images per product): Omniglot batch 25
// forward layers 1-4, a layer-2 input gradient (W^T x gy) and weight
// gradient (gy x col^T), and mini-ImageNet (32 filters) layers 1-2.
var benchShapes = []gemmCase{
	{false, false, 1024, 1024, 1024, 1, 0, 0},
	{false, false, 4900, 64, 576, 1, 0, 0},
	{false, false, 1225, 64, 576, 1, 0, 0},
	{false, false, 64, 784, 9, 1, 0, 0},
	{false, false, 64, 588, 576, 1, 0, 0},
	{false, false, 64, 343, 576, 1, 0, 0},
	{false, false, 64, 63, 576, 1, 0, 0},
	{true, false, 576, 588, 64, 1, 0, 0},
	{false, true, 64, 576, 588, 1, 0, 0},
	{false, true, 576, 64, 588, 1, 0, 0},
	{false, true, 9, 64, 784, 1, 0, 0},
	{false, true, 64, 9, 784, 1, 0, 0},
	{false, false, 32, 7056, 27, 1, 0, 0},
	{false, false, 32, 1764, 288, 1, 0, 0},
}

func benchF32(b *testing.B, f f32Func) {
	for _, tc := range benchShapes {
		b.Run(fmt.Sprintf("%dx%dx%d_tA%v_tB%v", tc.m, tc.n, tc.k, tc.transA, tc.transB), func(b *testing.B) {
			a, lda, bm, ldb, c, ldc := tc.operands(rand.New(rand.NewPCG(7, 8)))
			a32, b32, c32 := to32(a), to32(bm), to32(c)
			b.ResetTimer()
			for b.Loop() {
				f(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, a32, lda, b32, ldb, 0, c32, ldc)
			}
			b.ReportMetric(2*float64(tc.m)*float64(tc.n)*float64(tc.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkF32 measures the path this binary selected (see Path).
func BenchmarkF32(b *testing.B) { b.Logf("path %s", Path()); benchF32(b, F32) }

// BenchmarkGonumF32 measures the portable path in any build.
func BenchmarkGonumF32(b *testing.B) { benchF32(b, gonumF32) }
