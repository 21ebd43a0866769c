//go:build goexperiment.simd && amd64

package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"simd/archsimd"
	"strings"
	"testing"
	"time"
)

// simdKernels returns the microkernels this CPU can run, by name.
func simdKernels() []kernel {
	var ks []kernel
	if archsimd.X86.AVX512() {
		ks = append(ks, kernel{"simd-avx512", 8, 32, kernelAVX512x8x32, kernelAVX512x8x32S}, kernel{"simd-avx512-packedA", 8, 32, kernelAVX512x8x32, nil}, kernel{"simd-avx512-4x32", 4, 32, kernelAVX512x4x32, nil})
	}
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		ks = append(ks, kernel{"simd-avx2", 6, 16, kernelAVX2x6x16, nil}, kernel{"simd-avx2-4x16", 4, 16, kernelAVX2x4x16, nil})
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
		if Path() != "gonum" && !strings.HasPrefix(Path(), "openblas/") {
			t.Fatalf("Path() = %q on a CPU without AVX2", Path())
		}
		return
	}
	// an OpenBLAS build runs OpenBLAS, or the SIMD kernels with the reason
	if p := Path(); p != ks[0].name && !strings.HasPrefix(p, "openblas/") && !strings.HasPrefix(p, ks[0].name+" (openblas/") {
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

// BenchmarkComparePaths times, for each shape, the SIMD kernels, the path
// F32 selected (OpenBLAS in an openblas build) and gonum, interleaved call
// by call, and reports each one's best time as GFLOP/s: on a shared machine
// the minimum of interleaved runs is the fairest comparison.
func BenchmarkComparePaths(b *testing.B) {
	type path struct {
		name string
		f    f32Func
	}
	var paths []path
	for _, kern := range simdKernels() {
		paths = append(paths, path{kern.name, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, bm []float32, ldb int, beta float32, c []float32, ldc int) {
			simdF32(kern, transA, transB, m, n, k, alpha, a, lda, bm, ldb, beta, c, ldc)
		}})
	}
	if p := Path(); p != "gonum" && !strings.HasPrefix(p, "simd") {
		paths = append(paths, path{p, F32})
	}
	paths = append(paths, path{"gonum", gonumF32})
	for _, tc := range benchShapes {
		b.Run(fmt.Sprintf("%dx%dx%d_tA%v_tB%v", tc.m, tc.n, tc.k, tc.transA, tc.transB), func(b *testing.B) {
			a, lda, bm, ldb, c, ldc := tc.operands(rand.New(rand.NewPCG(7, 8)))
			a32, b32, c32 := to32(a), to32(bm), to32(c)
			best := make([]time.Duration, len(paths))
			for b.Loop() {
				for i, p := range paths {
					start := time.Now()
					p.f(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, a32, lda, b32, ldb, 0, c32, ldc)
					if d := time.Since(start); best[i] == 0 || d < best[i] {
						best[i] = d
					}
				}
			}
			for i, p := range paths {
				b.ReportMetric(flops(tc.m, tc.n, tc.k)/best[i].Seconds()/1e9, p.name+"-GFLOP/s")
			}
		})
	}
}

// TestAVX512TilesAgreeBitForBit: the 8x32 assembly kernel gives every
// element of C bit for bit what the 4x32 Go kernel gives (the same FMA
// chain over k), for ragged shapes, every transposition, k over one packed
// block, alpha and beta, so switching kernels moves no committed result.
func TestAVX512TilesAgreeBitForBit(t *testing.T) {
	if !archsimd.X86.AVX512() {
		t.Skip("no AVX-512")
	}
	tilesAgree(t, kernel{"8x32", 8, 32, kernelAVX512x8x32, kernelAVX512x8x32S}, kernel{"4x32", 4, 32, kernelAVX512x4x32, nil})
	tilesAgree(t, kernel{"8x32-packedA", 8, 32, kernelAVX512x8x32, nil}, kernel{"4x32", 4, 32, kernelAVX512x4x32, nil})
}

// TestAVX2TilesAgreeBitForBit: the 6x16 assembly kernel against the 4x16
// Go kernel, as above.
func TestAVX2TilesAgreeBitForBit(t *testing.T) {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		t.Skip("no AVX2 with FMA")
	}
	tilesAgree(t, kernel{"6x16", 6, 16, kernelAVX2x6x16, nil}, kernel{"4x16", 4, 16, kernelAVX2x4x16, nil})
}

// tilesAgree checks that kernels k8 and k4 give every element of C bit for
// bit the same through the driver.
func tilesAgree(t *testing.T, k8, k4 kernel) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	for _, sh := range [][3]int{{1, 1, 1}, {8, 32, 1}, {64, 576, 49}, {13, 70, 300}, {576, 100, 64}, {9, 33, 513}, {64, 64, 1000}, {130, 530, 27}, {576, 64, 588}, {300, 70, 200}, {576, 588, 64}, {21, 45, 9}} {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {1, 0.25}} {
				a, b := make([]float32, m*k), make([]float32, k*n)
				for i := range a {
					a[i] = float32(r.NormFloat64())
				}
				for i := range b {
					b[i] = float32(r.NormFloat64())
				}
				c8, c4 := make([]float32, m*n), make([]float32, m*n)
				for i := range c8 {
					c8[i] = float32(r.NormFloat64())
					c4[i] = c8[i]
				}
				lda, ldb := k, n
				if tr[0] {
					lda = m
				}
				if tr[1] {
					ldb = k
				}
				simdF32(k8, tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], c8, n)
				simdF32(k4, tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], c4, n)
				for i := range c8 {
					if math.Float32bits(c8[i]) != math.Float32bits(c4[i]) {
						t.Fatalf("%dx%dx%d trans %v alpha/beta %v: element %d: %s %v, %s %v", m, n, k, tr, ab, i, k8.name, c8[i], k4.name, c4[i])
					}
				}
			}
		}
	}
}
