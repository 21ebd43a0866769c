package gemm

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// Path names the matrix-product implementation this binary uses for float32
// on this CPU: "gonum", "simd-avx512", "simd-avx2" or "openblas/CORE", CORE
// the kernel family OpenBLAS runs (for example "openblas/SkylakeX").
func Path() string { return path() }

// flopCount is the number of floating-point operations (2mnk per product)
// F32 and F64 have performed in this process. It is the package's one piece
// of state: instrumentation for `metabench perf`'s roofline numbers, read as
// a difference around a workload (FLOPs), never an input to any result.
var flopCount atomic.Int64

// FLOPs returns the floating-point operations (a multiply and an add per
// term: 2mnk per product) of every F32 and F64 call so far in this process.
// Read it before and after a piece of work run alone to count that work's
// matrix-product operations.
func FLOPs() int64 { return flopCount.Load() }

// SuggestedCore returns an OpenBLAS kernel family (a value for the
// OPENBLAS_CORETYPE environment variable) faster on this CPU than the one
// OpenBLAS runs, and false when there is none (no OpenBLAS in this build, or
// its choice is already its best here). It is advice only: OpenBLAS reads
// the variable once, when the library is loaded, and some machines set it
// on purpose because old OpenBLAS builds misbehave on CPUs newer than
// themselves; check the kernels (go test ./internal/gemm/ and the goldens)
// with the variable set before training with it.
func SuggestedCore() (string, bool) { return suggestedCore() }

// TransposeExact reports whether F32 with alpha 1 computes every element of
// C as the same chain of fused multiply-adds over k (in the same k blocks)
// whichever operand plays A: then the product for C^T = op(B)^T op(A)^T
// gives C^T bit for bit, and a caller may pick the orientation that packs
// less (the SIMD path; not gonum's or OpenBLAS's kernels).
func TransposeExact() bool { return strings.HasPrefix(path(), "simd-") }

// F32 computes C = alpha*op(A)*op(B) + beta*C in float32.
//
// A is m x k (k x m when transA), B is k x n (n x k when transB), C is m x n,
// all row-major with leading dimensions lda, ldb, ldc. As in BLAS, when
// beta == 0 C is not read (NaNs in C are overwritten) and when alpha == 0 or
// k == 0 A and B are not read.
func F32(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	flopCount.Add(2 * int64(m) * int64(n) * int64(k))
	f32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// F64 computes C = alpha*op(A)*op(B) + beta*C in float64 (same conventions
// as F32).
func F64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkArgs(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	flopCount.Add(2 * int64(m) * int64(n) * int64(k))
	f64(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkArgs panics with a "gemm: ..." message on a caller mistake, before
// any path (some of which are cgo) touches memory.
func checkArgs(transA, transB bool, m, n, k, na, lda, nb, ldb, nc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	need := func(name string, rows, cols, ld, have int) {
		if ld < max(1, cols) {
			panic(fmt.Sprintf("gemm: ld%s=%d < %d", name, ld, max(1, cols)))
		}
		if rows > 0 && cols > 0 && have < (rows-1)*ld+cols {
			panic(fmt.Sprintf("gemm: len(%s)=%d too short for %dx%d with ld %d", name, have, rows, cols, ld))
		}
	}
	if transA {
		need("a", k, m, lda, na)
	} else {
		need("a", m, k, lda, na)
	}
	if transB {
		need("b", n, k, ldb, nb)
	} else {
		need("b", k, n, ldb, nb)
	}
	need("c", m, n, ldc, nc)
}

// f32Func is the signature of a float32 product path.
type f32Func func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
