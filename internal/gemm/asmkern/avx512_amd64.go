package asmkern

// AVX512x8x32 is the 8 x 32 AVX-512 microkernel (avx512_amd64.s): 16
// accumulators in Z0-Z15, the step's two B vectors in Z16-Z17, A's values
// broadcast by the FMAs from memory.
//
//go:noescape
func AVX512x8x32(kc int, a, b []float32, ldb int, c []float32, ldc int, add bool)
