package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// naive computes alpha*op(A)*op(B) + beta*C with a float64 triple loop.
func naive(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) []float64 {
	out := make([]float64, len(c))
	copy(out, c)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float64
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				out[i*ldc+j] = alpha * s
			} else {
				out[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
	return out
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float64
	pad            int // extra leading-dimension padding
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,%dx%dx%d,alpha=%g,beta=%g,pad=%d", tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.pad)
}

// operands returns A, B, C in float64 and their leading dimensions.
func (tc gemmCase) operands(rng *rand.Rand) (a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc = ac+tc.pad, bc+tc.pad, tc.n+tc.pad
	fill := func(rows, ld int) []float64 {
		x := make([]float64, max(0, rows*ld))
		for i := range x {
			x[i] = rng.Float64()*2 - 1
		}
		return x
	}
	lda, ldb, ldc = max(lda, 1), max(ldb, 1), max(ldc, 1)
	return fill(ar, lda), lda, fill(br, ldb), ldb, fill(tc.m, ldc), ldc
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func gemmCases() []gemmCase {
	var cases []gemmCase
	shapes := [][3]int{{1, 1, 1}, {3, 5, 7}, {4, 32, 16}, {5, 33, 17}, {17, 31, 300}, {130, 70, 513}, {7, 600, 9}, {129, 1, 257}, {1, 65, 3}, {2, 3, 0}}
	ab := [][2]float64{{1, 0}, {1, 1}, {-0.5, 0.25}, {0, 2}}
	for si, s := range shapes {
		for t := 0; t < 4; t++ {
			for ai, x := range ab {
				if (si+ai)%2 == 1 && t%2 == 1 {
					continue // keep the run short; every flag/alpha/beta combination still occurs
				}
				cases = append(cases, gemmCase{t&1 == 1, t&2 == 2, s[0], s[1], s[2], x[0], x[1], (si + t) % 3})
			}
		}
	}
	return cases
}

// checkF32 runs f on every case against the naive product, with a
// tolerance scaled by k (float32 accumulation).
func checkF32(t *testing.T, f func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range gemmCases() {
		a, lda, b, ldb, c, ldc := tc.operands(rng)
		want := naive(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
		c32 := to32(c)
		if tc.beta == 0 {
			for i := range c32 {
				c32[i] = float32(math.NaN()) // beta == 0 must not read C
			}
		}
		f(tc.transA, tc.transB, tc.m, tc.n, tc.k, float32(tc.alpha), to32(a), lda, to32(b), ldb, float32(tc.beta), c32, ldc)
		tol := 1e-5 * float64(tc.k+4)
		for i := 0; i < tc.m; i++ {
			for j := 0; j < ldc; j++ {
				got, w := float64(c32[i*ldc+j]), want[i*ldc+j]
				if j >= tc.n {
					w = c[i*ldc+j] // padding between rows is never written
					if tc.beta == 0 {
						if !math.IsNaN(got) {
							t.Fatalf("%v: padding C[%d,%d] written", tc, i, j)
						}
						continue
					}
				}
				if math.Abs(got-w) > tol || math.IsNaN(got) {
					t.Fatalf("%v: C[%d,%d] = %g, want %g", tc, i, j, got, w)
				}
			}
		}
	}
}

func TestF32(t *testing.T) {
	t.Logf("path %s", Path())
	checkF32(t, F32)
}

func TestGonumF32(t *testing.T) { checkF32(t, gonumF32) }

// TestF32ConvShapes checks F32 on the products the Conv-4 convolutions
// issue (benchShapes, each with beta 0 and 1, all four transpose flags) in
// whatever kernels the path runs: OpenBLAS's differ per CPU family (see
// SuggestedCore), so the check runs under the OPENBLAS_CORETYPE in force.
func TestF32ConvShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("large products")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range benchShapes {
		if s.m*s.n*s.k > 50_000_000 {
			continue // the naive float64 product would take seconds
		}
		for flags := 0; flags < 4; flags++ {
			tc := s
			tc.transA, tc.transB, tc.beta, tc.pad = flags&1 == 1, flags&2 == 2, float64(flags%2), flags%3
			a, lda, b, ldb, c, ldc := tc.operands(rng)
			want := naive(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
			c32 := to32(c)
			F32(tc.transA, tc.transB, tc.m, tc.n, tc.k, float32(tc.alpha), to32(a), lda, to32(b), ldb, float32(tc.beta), c32, ldc)
			for i := 0; i < tc.m; i++ {
				for j := 0; j < tc.n; j++ {
					// float32 rounding of the operands and of k products
					if d := math.Abs(float64(c32[i*ldc+j]) - want[i*ldc+j]); d > 1e-6*float64(tc.k+4) {
						t.Fatalf("%s %v: C[%d,%d] off by %g", Path(), tc, i, j, d)
					}
				}
			}
		}
	}
}

func TestF64(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range gemmCases() {
		a, lda, b, ldb, c, ldc := tc.operands(rng)
		want := naive(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
		F64(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				if d := math.Abs(c[i*ldc+j] - want[i*ldc+j]); d > 1e-12*float64(tc.k+4) {
					t.Fatalf("%v: C[%d,%d] off by %g", tc, i, j, d)
				}
			}
		}
	}
}

// TestDeterministic checks that F32 gives bit-identical results for
// GOMAXPROCS 1 and 2 on shapes large enough to run in parallel.
func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []gemmCase{
		{false, false, 333, 97, 600, 1, 0, 0},
		{true, false, 300, 64, 700, 1, 1, 1},
		{false, true, 64, 1100, 576, 0.5, 0.5, 0},
		{true, true, 257, 129, 513, 1, 0, 2},
	} {
		a, lda, b, ldb, c, ldc := tc.operands(rng)
		a32, b32 := to32(a), to32(b)
		var got [2][]float32
		for i, procs := range []int{1, 2} {
			old := runtime.GOMAXPROCS(procs)
			got[i] = to32(c)
			F32(tc.transA, tc.transB, tc.m, tc.n, tc.k, float32(tc.alpha), a32, lda, b32, ldb, float32(tc.beta), got[i], ldc)
			runtime.GOMAXPROCS(old)
		}
		for i := range got[0] {
			if math.Float32bits(got[0][i]) != math.Float32bits(got[1][i]) {
				t.Fatalf("%v: element %d differs between GOMAXPROCS 1 and 2: %g vs %g", tc, i, got[0][i], got[1][i])
			}
		}
	}
}

func TestArgumentPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("short C did not panic")
		}
	}()
	F32(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
}
