// Package gemm is the single entry point for dense matrix products in
// metabench. Every convolution and linear layer of the engine goes through
// F32 or F64, so the matrix-product path (pure-Go gonum by default, faster
// paths selected by build tags or GOEXPERIMENT) is chosen in one place and
// reported by `metabench perf`.
//
// All matrices are row-major:
//
//	C = alpha * op(A) * op(B) + beta * C
//
// with op(X) = X or X^T, op(A) m x k, op(B) k x n, C m x n.
package gemm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Path names the matrix-product implementation compiled into this binary.
func Path() string { return "gonum" }

func tr(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// F32 computes C = alpha*op(A)*op(B) + beta*C in float32.
func F32(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	gonum.Implementation{}.Sgemm(tr(transA), tr(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// F64 computes C = alpha*op(A)*op(B) + beta*C in float64.
func F64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	gonum.Implementation{}.Dgemm(tr(transA), tr(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
