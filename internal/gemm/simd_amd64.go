//go:build goexperiment.simd && amd64

package gemm

import (
	"runtime"
	"simd/archsimd"
	"sync"
	"sync/atomic"
)

// Blocking parameters of the SIMD path (see doc.go). They are constants: the
// only one that changes rounding is kcMax (how the k reduction is cut), and
// it depends on nothing but k.
const (
	mr     = 4       // rows of a microkernel tile (both kernels)
	kcMax  = 256     // depth of one packed block: a 4 x kc A sliver + an NR x kc B sliver stay in L1
	mcTile = 128     // rows of one C tile: its packed A block (mc x kc) stays in L2
	ncTile = 512     // columns of one C tile: its packed B block (kc x nc) stays in L2/L3
	minPar = 1 << 20 // flops (2mnk) below which one goroutine does all tiles
)

// kernel is one register-blocked microkernel and its tile width.
type kernel struct {
	name string
	nr   int
	fn   func(kc int, a, b, c []float32, ldc int)
}

// simdKernel picks the microkernel for this CPU. archsimd.X86 reads flags the
// runtime filled in at start-up, so the check is a couple of loads and needs
// no cached state.
func simdKernel() (kernel, bool) {
	switch {
	case archsimd.X86.AVX512():
		return kernel{"simd-avx512", 32, kernelAVX512x4x32}, true
	case archsimd.X86.AVX2() && archsimd.X86.FMA():
		return kernel{"simd-avx2", 16, kernelAVX2x4x16}, true
	}
	return kernel{}, false
}

// kBlocks returns the depth of the k blocks: k is cut into ceil(k/kcMax)
// blocks of (almost) equal depth, so the last block is not a sliver.
func kBlocks(k int) int {
	nb := (k + kcMax - 1) / kcMax
	return (k + nb - 1) / nb
}

// simdF32 is the blocked, packed, parallel float32 product with the given
// microkernel. C is cut into fixed mcTile x ncTile tiles; each tile is
// computed entirely (all of k, in the same order) by whichever goroutine
// takes it, so the result is bit-identical for any GOMAXPROCS.
func simdF32(kern kernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if k == 0 || alpha == 0 {
		scaleF32(m, n, beta, c, ldc)
		return
	}
	kc := kBlocks(k)
	tm := min(mcTile, roundUp(m, mr))
	tn := min(ncTile, roundUp(n, kern.nr))
	rowTiles := (m + tm - 1) / tm
	colTiles := (n + tn - 1) / tn
	tiles := rowTiles * colTiles
	g := &gemmJob{
		kern: kern, transA: transA, transB: transB, m: m, n: n, k: k, kc: kc, tm: tm, tn: tn, colTiles: colTiles,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
	}
	workers := 1
	if 2*float64(m)*float64(n)*float64(k) >= minPar {
		workers = min(runtime.GOMAXPROCS(0), tiles)
	}
	if workers <= 1 {
		w := g.newWorkspace()
		for t := 0; t < tiles; t++ {
			g.tile(w, t)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			w := g.newWorkspace()
			for {
				t := int(next.Add(1) - 1)
				if t >= tiles {
					return
				}
				g.tile(w, t)
			}
		})
	}
	wg.Wait()
}

func roundUp(x, q int) int { return (x + q - 1) / q * q }

// gemmJob is one call's arguments and blocking, shared read-only by workers.
type gemmJob struct {
	kern                kernel
	transA, transB      bool
	m, n, k, kc, tm, tn int
	colTiles            int
	alpha, beta         float32
	a, b, c             []float32
	lda, ldb, ldc       int
}

// workspace is one worker's packing buffers, sized for this call.
type workspace struct {
	pa   []float32 // packed A block: tm x kc, in mr-row slivers
	pb   []float32 // one packed B sliver: kc x nr
	edge []float32 // one mr x nr tile for the ragged edges of C
}

func (g *gemmJob) newWorkspace() *workspace {
	nr := g.kern.nr
	buf := make([]float32, g.tm*g.kc+g.kc*nr+mr*nr)
	return &workspace{
		pa:   buf[:g.tm*g.kc],
		pb:   buf[g.tm*g.kc : g.tm*g.kc+g.kc*nr],
		edge: buf[g.tm*g.kc+g.kc*nr:],
	}
}

// tile computes tile t of C (row-major over the tile grid) over all of k.
func (g *gemmJob) tile(w *workspace, t int) {
	nr := g.kern.nr
	i0 := (t / g.colTiles) * g.tm
	j0 := (t % g.colTiles) * g.tn
	mb := min(g.tm, g.m-i0)
	nb := min(g.tn, g.n-j0)
	cTile := g.c[i0*g.ldc+j0:]
	scaleF32(mb, nb, g.beta, cTile, g.ldc)
	for p0 := 0; p0 < g.k; p0 += g.kc {
		kb := min(g.kc, g.k-p0)
		packA(w.pa, g.a, g.lda, g.transA, i0, mb, p0, kb, g.alpha)
		// One B sliver at a time (it stays in L1), A slivers inside (from L2).
		for jr := 0; jr < nb; jr += nr {
			ncols := min(nr, nb-jr)
			bs := w.pb[:kb*nr]
			packB(bs, g.b, g.ldb, g.transB, p0, kb, j0+jr, ncols, nr)
			for ir := 0; ir < mb; ir += mr {
				as := w.pa[ir*kb : (ir+mr)*kb]
				nrows := min(mr, mb-ir)
				if nrows == mr && ncols == nr {
					g.kern.fn(kb, as, bs, cTile[ir*g.ldc+jr:], g.ldc)
					continue
				}
				// Ragged edge: full tile into the scratch, then add the valid part.
				clear(w.edge)
				g.kern.fn(kb, as, bs, w.edge, nr)
				for r := 0; r < nrows; r++ {
					dst := cTile[(ir+r)*g.ldc+jr : (ir+r)*g.ldc+jr+ncols]
					src := w.edge[r*nr : r*nr+ncols]
					for j := range dst {
						dst[j] += src[j]
					}
				}
			}
		}
	}
}

// packA copies alpha*op(A)[i0:i0+mb, p0:p0+kb] into dst as ceil(mb/mr)
// slivers, each kb groups of mr consecutive rows (zero past row mb).
func packA(dst, a []float32, lda int, trans bool, i0, mb, p0, kb int, alpha float32) {
	for ir := 0; ir < mb; ir += mr {
		s := dst[ir*kb : (ir+mr)*kb]
		rows := min(mr, mb-ir)
		if trans {
			// op(A)[i][p] = a[p*lda+i]: the mr values of one p are contiguous.
			for p := 0; p < kb; p++ {
				src := a[(p0+p)*lda+i0+ir:]
				d := s[p*mr : p*mr+mr]
				for r := 0; r < rows; r++ {
					d[r] = alpha * src[r]
				}
				for r := rows; r < mr; r++ {
					d[r] = 0
				}
			}
			continue
		}
		for r := 0; r < mr; r++ {
			if r >= rows {
				for p := 0; p < kb; p++ {
					s[p*mr+r] = 0
				}
				continue
			}
			src := a[(i0+ir+r)*lda+p0 : (i0+ir+r)*lda+p0+kb]
			if alpha == 1 {
				for p, v := range src {
					s[p*mr+r] = v
				}
			} else {
				for p, v := range src {
					s[p*mr+r] = alpha * v
				}
			}
		}
	}
}

// packB copies op(B)[p0:p0+kb, j0:j0+nb] into dst as ceil(nb/nr) slivers,
// each kb rows of nr consecutive columns (zero past column nb).
func packB(dst, b []float32, ldb int, trans bool, p0, kb, j0, nb, nr int) {
	for jr := 0; jr < nb; jr += nr {
		s := dst[jr*kb : (jr+nr)*kb]
		cols := min(nr, nb-jr)
		if !trans {
			for p := 0; p < kb; p++ {
				d := s[p*nr : p*nr+nr]
				copy(d, b[(p0+p)*ldb+j0+jr:(p0+p)*ldb+j0+jr+cols])
				clear(d[cols:])
			}
			continue
		}
		// op(B)[p][j] = b[j*ldb+p]: walk each column of op(B) down.
		for j := 0; j < nr; j++ {
			if j >= cols {
				for p := 0; p < kb; p++ {
					s[p*nr+j] = 0
				}
				continue
			}
			src := b[(j0+jr+j)*ldb+p0 : (j0+jr+j)*ldb+p0+kb]
			for p, v := range src {
				s[p*nr+j] = v
			}
		}
	}
}
