//go:build !(goexperiment.simd && amd64)

package gemm

// fmaLoop: a build without SIMD kernels measures the scalar loop.
func fmaLoop() (func(iters int) float64, string) { return scalarFMALoop, "scalar" }
