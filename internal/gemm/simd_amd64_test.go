//go:build goexperiment.simd && amd64

package gemm

import (
	"simd/archsimd"
	"testing"
)

// simdKernels returns the microkernels this CPU can run, by name.
func simdKernels() []kernel {
	var ks []kernel
	if archsimd.X86.AVX512() {
		ks = append(ks, kernel{"simd-avx512", 32, kernelAVX512x4x32})
	}
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		ks = append(ks, kernel{"simd-avx2", 16, kernelAVX2x4x16})
	}
	return ks
}

// TestSIMDKernels checks every microkernel the CPU supports (not only the
// one F32 picks) against the naive product.
func TestSIMDKernels(t *testing.T) {
	ks := simdKernels()
	if len(ks) == 0 {
		t.Skip("CPU has neither AVX-512 nor AVX2+FMA; F32 uses gonum")
	}
	for _, kern := range ks {
		t.Run(kern.name, func(t *testing.T) {
			checkF32(t, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				simdF32(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			})
		})
	}
}

// TestSIMDSelected checks that a GOEXPERIMENT=simd build really runs the
// SIMD path on a capable CPU (so `make test` exercises it).
func TestSIMDSelected(t *testing.T) {
	ks := simdKernels()
	if len(ks) == 0 {
		if Path() != "gonum" && Path() != "openblas" {
			t.Fatalf("Path() = %q on a CPU without AVX2", Path())
		}
		return
	}
	if p := Path(); p != ks[0].name && p != "openblas" {
		t.Fatalf("Path() = %q, want %q", p, ks[0].name)
	}
}

// BenchmarkSIMDKernels measures each supported microkernel through the
// full blocked driver.
func BenchmarkSIMDKernels(b *testing.B) {
	for _, kern := range simdKernels() {
		b.Run(kern.name, func(b *testing.B) {
			benchF32(b, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, bm []float32, ldb int, beta float32, c []float32, ldc int) {
				simdF32(kern, transA, transB, m, n, k, alpha, a, lda, bm, ldb, beta, c, ldc)
			})
		})
	}
}
