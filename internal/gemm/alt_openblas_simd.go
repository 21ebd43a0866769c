//go:build openblas && cgo && goexperiment.simd && amd64

package gemm

// altF32 is what an OpenBLAS build with the SIMD kernels runs instead of an
// OpenBLAS kernel family older than the CPU: the SIMD kernels, when this
// CPU has them (ok false otherwise).
func altF32() (name string, f f32Func, ok bool) {
	kern, ok := simdKernel()
	if !ok {
		return "", nil, false
	}
	return kern.name, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		simdF32(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}, true
}
