//go:build goexperiment.simd && amd64 && !(openblas && cgo)

package gemm

// GOEXPERIMENT=simd on amd64 without the openblas tag: float32 goes through
// the archsimd kernels when the CPU has AVX-512 or AVX2+FMA (checked on every
// call; the check reads a flag the runtime set at start-up), else gonum.
// float64 stays on gonum.

// suggestedCore: no OpenBLAS in this build.
func suggestedCore() (string, bool) { return "", false }

func path() string {
	if kern, ok := simdKernel(); ok {
		return kern.name
	}
	return "gonum"
}

func f32(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if kern, ok := simdKernel(); ok {
		simdF32(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gonumF32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func f64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gonumF64(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
