//go:build !(goexperiment.simd && amd64)

package gemm

// fmaLoop: a build without the SIMD kernels cannot issue vector
// multiply-adds, so it has no loop that measures the machine's peak (a
// scalar loop would understate it by the vector width, and OpenBLAS or
// gonum would appear to run above "peak").
func fmaLoop() (func(iters int) float64, string) { return nil, "" }
