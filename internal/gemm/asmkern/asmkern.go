// Package asmkern holds the matrix-product microkernels written in Go
// assembly. They live apart from package gemm because a package that uses
// cgo (gemm with the openblas tag) may not hold Go assembly.
//
// AVX512x8x32 computes an 8 x 32 tile of C over kc steps: A packed as kc
// groups of 8 values (a[8p+r] is row r at step p), B as kc rows of 32
// values ldb floats apart; every element is the chain acc = a_p * b_p + acc
// of fused multiply-adds from zero over p = 0..kc-1, then C = acc (add
// false) or C += acc (add true), C's rows ldc floats apart. The caller
// checks the CPU (AVX-512F) and the bounds: kc >= 1, len(a) >= 8kc,
// len(b) >= (kc-1)ldb+32, len(c) >= 7ldc+32.
package asmkern
