//go:build openblas && cgo

package gemm

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

// The openblas build tag with cgo: both precisions go through the system
// OpenBLAS (Debian: libopenblas-dev), which runs its own thread pool.
// OpenBLAS splits the output, not the k reduction, between its threads, so
// results do not depend on GOMAXPROCS.

func path() string { return "openblas" }

func cblasTrans(t bool) C.enum_CBLAS_TRANSPOSE {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

func f32(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if k == 0 || alpha == 0 {
		// BLAS does not read A or B here; neither do we (they may be empty).
		scaleF32(m, n, beta, c, ldc)
		return
	}
	C.cblas_sgemm(C.CblasRowMajor, cblasTrans(transA), cblasTrans(transB), C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(&a[0]), C.blasint(lda), (*C.float)(&b[0]), C.blasint(ldb),
		C.float(beta), (*C.float)(&c[0]), C.blasint(ldc))
}

func f64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if k == 0 || alpha == 0 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				if beta == 0 {
					row[j] = 0
				} else {
					row[j] *= beta
				}
			}
		}
		return
	}
	C.cblas_dgemm(C.CblasRowMajor, cblasTrans(transA), cblasTrans(transB), C.blasint(m), C.blasint(n), C.blasint(k),
		C.double(alpha), (*C.double)(&a[0]), C.blasint(lda), (*C.double)(&b[0]), C.blasint(ldb),
		C.double(beta), (*C.double)(&c[0]), C.blasint(ldc))
}
