//go:build goexperiment.simd && amd64

package gemm

import "simd/archsimd"

// fmaLoop is the widest multiply-add loop the CPU runs: 12 independent
// chains of vector FMAs (more than latency x throughput needs on current
// cores, fewer than the 15 usable vector registers), no memory traffic.
func fmaLoop() (func(iters int) float64, string) {
	switch {
	case archsimd.X86.AVX512():
		return fmaLoopAVX512, "avx512"
	case archsimd.X86.AVX2() && archsimd.X86.FMA():
		return fmaLoopAVX2, "avx2"
	}
	return nil, ""
}

func fmaLoopAVX512(iters int) float64 {
	x := archsimd.BroadcastFloat32x16(0.999999)
	y := archsimd.BroadcastFloat32x16(1e-7)
	c0, c1, c2, c3 := y, y, y, y
	c4, c5, c6, c7 := y, y, y, y
	c8, c9, c10, c11 := y, y, y, y
	for range iters {
		c0 = c0.MulAdd(x, y)
		c1 = c1.MulAdd(x, y)
		c2 = c2.MulAdd(x, y)
		c3 = c3.MulAdd(x, y)
		c4 = c4.MulAdd(x, y)
		c5 = c5.MulAdd(x, y)
		c6 = c6.MulAdd(x, y)
		c7 = c7.MulAdd(x, y)
		c8 = c8.MulAdd(x, y)
		c9 = c9.MulAdd(x, y)
		c10 = c10.MulAdd(x, y)
		c11 = c11.MulAdd(x, y)
	}
	var out [16]float32
	c0.Add(c1).Add(c2).Add(c3).Add(c4).Add(c5).Add(c6).Add(c7).Add(c8).Add(c9).Add(c10).Add(c11).Store(&out)
	sink(out[0])
	return 2 * 16 * 12 * float64(iters)
}

func fmaLoopAVX2(iters int) float64 {
	x := archsimd.BroadcastFloat32x8(0.999999)
	y := archsimd.BroadcastFloat32x8(1e-7)
	c0, c1, c2, c3 := y, y, y, y
	c4, c5, c6, c7 := y, y, y, y
	c8, c9, c10, c11 := y, y, y, y
	for range iters {
		c0 = c0.MulAdd(x, y)
		c1 = c1.MulAdd(x, y)
		c2 = c2.MulAdd(x, y)
		c3 = c3.MulAdd(x, y)
		c4 = c4.MulAdd(x, y)
		c5 = c5.MulAdd(x, y)
		c6 = c6.MulAdd(x, y)
		c7 = c7.MulAdd(x, y)
		c8 = c8.MulAdd(x, y)
		c9 = c9.MulAdd(x, y)
		c10 = c10.MulAdd(x, y)
		c11 = c11.MulAdd(x, y)
	}
	var out [8]float32
	c0.Add(c1).Add(c2).Add(c3).Add(c4).Add(c5).Add(c6).Add(c7).Add(c8).Add(c9).Add(c10).Add(c11).Store(&out)
	sink(out[0])
	return 2 * 8 * 12 * float64(iters)
}
