package asmkern

// AVX512x8x32 is the 8 x 32 AVX-512 microkernel (avx512_amd64.s): 16
// accumulators in Z0-Z15, the step's two B vectors in Z16-Z17, A's values
// broadcast by the FMAs from memory.
//
//go:noescape
func AVX512x8x32(kc int, a, b []float32, ldb int, c []float32, ldc int, add bool)

// AVX2x6x16 is the 6 x 16 AVX2+FMA microkernel (avx2_amd64.s): 12
// accumulators in Y0-Y11, the step's two B vectors in Y12-Y13, each A value
// broadcast into Y14; A is packed as kc groups of 6 values, B as kc rows of
// 16 values ldb floats apart; the same FMA chains as AVX512x8x32.
//
//go:noescape
func AVX2x6x16(kc int, a, b []float32, ldb int, c []float32, ldc int, add bool)

// AVX512x8x32S is AVX512x8x32 reading the 8 x kc A panel in place: element
// (r, p) at byte offset r*ars + p*aps of a (avx512_amd64.s). Same FMAs, same
// order, same bits as AVX512x8x32 on the packed panel.
//
//go:noescape
func AVX512x8x32S(kc int, a []float32, ars, aps int, b []float32, ldb int, c []float32, ldc int, add bool)
