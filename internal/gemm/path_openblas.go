//go:build openblas && cgo

package gemm

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

// The openblas build tag with cgo: both precisions go through the system
// OpenBLAS (Debian: libopenblas-dev).
//
// OpenBLAS is switched to one thread at start-up, and F32/F64 cut C into
// tiles over goroutines themselves (tileGrid, forTiles), as the SIMD path
// does, each tile one cblas call. Callers that already run products on
// several goroutines (tensor's convolutions split the batch) then do not
// oversubscribe the cores with OpenBLAS's own spinning threads, and the
// split, hence the result, depends on the shape only, never on GOMAXPROCS.
func init() { C.openblas_set_num_threads(1) }

// useOpenBLAS says whether the products go to OpenBLAS: when its kernel
// family is made for this CPU (openblasFits), or when this build has nothing
// better (no SIMD kernels for this CPU). Otherwise why names the family that
// was skipped. It asks OpenBLAS for its family on every call (a static
// string; OPENBLAS_CORETYPE changes it at start-up only).
func useOpenBLAS() (ok bool, why string) {
	ok, why = openblasFits(C.GoString(C.openblas_get_corename()), cpuISA())
	if !ok {
		if _, _, alt := altF32(); !alt {
			return true, ""
		}
	}
	return ok, why
}

// path is "openblas/CORE" when OpenBLAS runs, else the SIMD path that runs
// instead with the reason, e.g. "simd-avx512 (openblas/Prescott skipped:
// its SSE kernels are older than this CPU's AVX-512)".
func path() string {
	if ok, why := useOpenBLAS(); !ok {
		name, _, _ := altF32()
		return name + " (" + why + ")"
	}
	return "openblas/" + C.GoString(C.openblas_get_corename())
}

// suggestedCore: SkylakeX when OpenBLAS runs a kernel family narrower than
// AVX-512 (Haswell or Zen, or an old family such as Prescott that a
// DYNAMIC_ARCH build falls back to on a CPU newer than itself) on a CPU
// (and OS) with the AVX-512 subsets its SkylakeX kernels use.
func suggestedCore() (string, bool) {
	lv := coreISA(C.GoString(C.openblas_get_corename()))
	if lv == 0 || lv >= isaAVX512 || cpuISA() < isaAVX512 {
		return "", false
	}
	return "SkylakeX", true
}

func cblasTrans(t bool) C.enum_CBLAS_TRANSPOSE {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

// tileOffsets returns where tile t's rows of op(A), columns of op(B) and
// block of C start, and its size.
func tileOffsets(transA, transB bool, m, n, tm, tn, colTiles, lda, ldb, ldc, t int) (offA, offB, offC, mb, nb int) {
	i0, j0 := (t/colTiles)*tm, (t%colTiles)*tn
	offA, offB = i0*lda, j0
	if transA {
		offA = i0
	}
	if transB {
		offB = j0 * ldb
	}
	return offA, offB, i0*ldc + j0, min(tm, m-i0), min(tn, n-j0)
}

func f32(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if ok, _ := useOpenBLAS(); !ok {
		_, alt, _ := altF32()
		alt(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if k == 0 || alpha == 0 {
		// BLAS does not read A or B here; neither do we (they may be empty).
		scaleF32(m, n, beta, c, ldc)
		return
	}
	tm, tn, _, colTiles := tileGrid(m, n, 8, 32, flops(m, n, k))
	forTiles(tileCount(m, n, tm, tn), flops(m, n, k), func() struct{} { return struct{}{} }, func(_ struct{}, t int) {
		oa, ob, oc, mb, nb := tileOffsets(transA, transB, m, n, tm, tn, colTiles, lda, ldb, ldc, t)
		C.cblas_sgemm(C.CblasRowMajor, cblasTrans(transA), cblasTrans(transB), C.blasint(mb), C.blasint(nb), C.blasint(k),
			C.float(alpha), (*C.float)(&a[oa]), C.blasint(lda), (*C.float)(&b[ob]), C.blasint(ldb),
			C.float(beta), (*C.float)(&c[oc]), C.blasint(ldc))
	})
}

func f64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if ok, _ := useOpenBLAS(); !ok {
		gonumF64(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
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
	tm, tn, _, colTiles := tileGrid(m, n, 8, 32, flops(m, n, k))
	forTiles(tileCount(m, n, tm, tn), flops(m, n, k), func() struct{} { return struct{}{} }, func(_ struct{}, t int) {
		oa, ob, oc, mb, nb := tileOffsets(transA, transB, m, n, tm, tn, colTiles, lda, ldb, ldc, t)
		C.cblas_dgemm(C.CblasRowMajor, cblasTrans(transA), cblasTrans(transB), C.blasint(mb), C.blasint(nb), C.blasint(k),
			C.double(alpha), (*C.double)(&a[oa]), C.blasint(lda), (*C.double)(&b[ob]), C.blasint(ldb),
			C.double(beta), (*C.double)(&c[oc]), C.blasint(ldc))
	})
}
