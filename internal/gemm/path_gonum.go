//go:build !(openblas && cgo) && !(goexperiment.simd && amd64)

package gemm

// Neither the openblas tag (with cgo) nor GOEXPERIMENT=simd on amd64: the
// default pure-Go build.

// suggestedCore: no OpenBLAS in this build.
func suggestedCore() (string, bool) { return "", false }

func path() string { return "gonum" }

func f32(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gonumF32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func f64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gonumF64(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
