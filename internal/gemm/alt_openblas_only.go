//go:build openblas && cgo && !(goexperiment.simd && amd64)

package gemm

// altF32: an OpenBLAS build without the SIMD kernels has nothing faster
// than OpenBLAS to fall back to (gonum is slower than any OpenBLAS family).
func altF32() (name string, f f32Func, ok bool) { return "", nil, false }
