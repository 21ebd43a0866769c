//go:build goexperiment.simd && amd64

package gemm

import (
	"simd/archsimd"
	"sync"
)

// Blocking parameters of the SIMD path (see doc.go). They are constants: the
// only one that changes rounding is kcMax (how the k reduction is cut), and
// it depends on nothing but k.
const (
	kcMax = 256 // depth of one packed block: an MR x kc A sliver + a kc x NR B sliver stay in L1
)

// kernel is one register-blocked microkernel and its tile: mr rows by nr
// columns of C.
type kernel struct {
	name   string
	mr, nr int
	fn     func(kc int, a, b []float32, ldb int, c []float32, ldc int, add bool)
}

// simdKernel picks the microkernel for this CPU. archsimd.X86 reads flags the
// runtime filled in at start-up, so the check is a couple of loads and needs
// no cached state.
func simdKernel() (kernel, bool) {
	switch {
	case archsimd.X86.AVX512():
		return kernel{"simd-avx512", 8, 32, kernelAVX512x8x32}, true
	case archsimd.X86.AVX2() && archsimd.X86.FMA():
		return kernel{"simd-avx2", 6, 16, kernelAVX2x6x16}, true
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
// microkernel. C is cut into tiles (tileGrid); each tile is
// computed entirely (all of k, in the same order) by whichever goroutine
// takes it, so the result is bit-identical for any GOMAXPROCS.
func simdF32(kern kernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if k == 0 || alpha == 0 {
		scaleF32(m, n, beta, c, ldc)
		return
	}
	kc := kBlocks(k)
	tm, tn, _, colTiles := tileGrid(m, n, kern.mr, kern.nr, flops(m, n, k))
	g := &gemmJob{
		kern: kern, transA: transA, transB: transB, m: m, n: n, k: k, kc: kc, tm: tm, tn: tn, colTiles: colTiles,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
	}
	forTiles(tileCount(m, n, tm, tn), flops(m, n, k), g.newWorkspace, g.tile)
	for _, b := range g.bufs {
		packPool.Put(b)
	}
}

// packPool recycles packing buffers across calls: a fresh one per worker per
// call was ~160 KB of garbage each time, which in a second-order task added
// up to gigabytes and inflated the heap the garbage collector let grow. The
// pool holds scratch memory only; nothing in it affects a result.
var packPool = sync.Pool{New: func() any { return new([]float32) }}

// gemmJob is one call's arguments and blocking, shared read-only by workers.
type gemmJob struct {
	kern                kernel
	transA, transB      bool
	m, n, k, kc, tm, tn int
	colTiles            int
	alpha, beta         float32
	a, b, c             []float32
	lda, ldb, ldc       int

	mu   sync.Mutex
	bufs []*[]float32 // packing buffers taken from packPool, returned after the call
}

// workspace is one worker's packing buffers, sized for this call.
type workspace struct {
	pa   []float32 // packed A block: tm x kc, in MR-row slivers
	pb   []float32 // one packed B sliver: kc x NR
	edge []float32 // one MR x NR tile for the ragged edges of C
}

func (g *gemmJob) newWorkspace() *workspace {
	mr, nr := g.kern.mr, g.kern.nr
	n := g.tm*g.kc + g.kc*nr + mr*nr
	pb := packPool.Get().(*[]float32)
	if cap(*pb) < n {
		*pb = make([]float32, n)
	}
	buf := (*pb)[:n]
	g.mu.Lock()
	g.bufs = append(g.bufs, pb)
	g.mu.Unlock()
	return &workspace{
		pa:   buf[:g.tm*g.kc],
		pb:   buf[g.tm*g.kc : g.tm*g.kc+g.kc*nr],
		edge: buf[g.tm*g.kc+g.kc*nr:],
	}
}

// tile computes tile t of C (row-major over the tile grid) over all of k.
func (g *gemmJob) tile(w *workspace, t int) {
	mr, nr := g.kern.mr, g.kern.nr
	i0 := (t / g.colTiles) * g.tm
	j0 := (t % g.colTiles) * g.tn
	mb := min(g.tm, g.m-i0)
	nb := min(g.tn, g.n-j0)
	cTile := g.c[i0*g.ldc+j0:]
	// The first k block stores its product (beta == 0: C is never read) or
	// adds it to beta*C; later blocks add.
	add := g.beta != 0
	if add && g.beta != 1 {
		scaleF32(mb, nb, g.beta, cTile, g.ldc)
	}
	// A non-transposed B is read in place when its slivers are used by few A
	// slivers (packing would cost as much as it saves) and its rows do not
	// alias in L1 (ldb not a multiple of 64 floats).
	direct := !g.transB && mb <= 64 && g.ldb%64 != 0
	for p0 := 0; p0 < g.k; p0 += g.kc {
		kb := min(g.kc, g.k-p0)
		packA(w.pa, g.a, g.lda, g.transA, i0, mb, p0, kb, mr, g.alpha)
		// One B sliver at a time (it stays in L1), A slivers inside (from L2).
		for jr := 0; jr < nb; jr += nr {
			ncols := min(nr, nb-jr)
			bs, ldb := w.pb[:kb*nr], nr
			if direct && ncols == nr {
				bs, ldb = g.b[p0*g.ldb+j0+jr:], g.ldb
			} else {
				packB(bs, g.b, g.ldb, g.transB, p0, kb, j0+jr, ncols, nr)
			}
			for ir := 0; ir < mb; ir += mr {
				as := w.pa[ir*kb : (ir+mr)*kb]
				nrows := min(mr, mb-ir)
				if nrows == mr && ncols == nr {
					g.kern.fn(kb, as, bs, ldb, cTile[ir*g.ldc+jr:], g.ldc, add)
					continue
				}
				// Ragged edge: the full tile into the scratch, then the valid part into C.
				g.kern.fn(kb, as, bs, ldb, w.edge, nr, false)
				for r := 0; r < nrows; r++ {
					dst := cTile[(ir+r)*g.ldc+jr : (ir+r)*g.ldc+jr+ncols]
					src := w.edge[r*nr : r*nr+ncols]
					if !add {
						copy(dst, src)
						continue
					}
					for j := range dst {
						dst[j] += src[j]
					}
				}
			}
		}
		add = true
	}
}

// packA copies alpha*op(A)[i0:i0+mb, p0:p0+kb] into dst as ceil(mb/mr)
// slivers, each kb groups of mr consecutive rows (zero past row mb).
func packA(dst, a []float32, lda int, trans bool, i0, mb, p0, kb, mr int, alpha float32) {
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
		if rows == mr {
			// Four rows of A side by side at a time, then any left one by one.
			q := 0
			for ; q+4 <= mr; q += 4 {
				pack4Rows(s, mr, q, a, (i0+ir+q)*lda+p0, lda, kb, alpha)
			}
			for ; q < mr; q++ {
				for p, v := range a[(i0+ir+q)*lda+p0 : (i0+ir+q)*lda+p0+kb] {
					s[p*mr+q] = alpha * v
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
			for p, v := range src {
				s[p*mr+r] = alpha * v
			}
		}
	}
}

// pack4Rows interleaves the kb values of four rows of A (the first at
// a[base:], the others lda apart), times alpha, into s at columns q..q+3 of
// rows of mr values: s[p*mr+q+r] = alpha*row_r[p].
func pack4Rows(s []float32, mr, q int, a []float32, base, lda, kb int, alpha float32) {
	r0 := a[base : base+kb]
	r1 := a[base+lda : base+lda+kb]
	r2 := a[base+2*lda : base+2*lda+kb]
	r3 := a[base+3*lda : base+3*lda+kb]
	if alpha == 1 {
		for p := range r0 {
			d := s[p*mr+q : p*mr+q+4 : p*mr+q+4]
			d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		}
		return
	}
	for p := range r0 {
		d := s[p*mr+q : p*mr+q+4 : p*mr+q+4]
		d[0], d[1], d[2], d[3] = alpha*r0[p], alpha*r1[p], alpha*r2[p], alpha*r3[p]
	}
}

// packB copies op(B)[p0:p0+kb, j0:j0+nb] (nb <= nr) into dst as one sliver
// of kb rows of nr consecutive columns (zero past column nb).
func packB(dst, b []float32, ldb int, trans bool, p0, kb, j0, nb, nr int) {
	s := dst[:kb*nr]
	if !trans {
		for p := 0; p < kb; p++ {
			d := s[p*nr : p*nr+nr]
			copy(d, b[(p0+p)*ldb+j0:(p0+p)*ldb+j0+nb])
			clear(d[nb:])
		}
		return
	}
	// op(B)[p][j] = b[j*ldb+p]: walk four columns of op(B) down at a time.
	j := 0
	for ; j+4 <= nb; j += 4 {
		base := (j0+j)*ldb + p0
		c0 := b[base : base+kb]
		c1 := b[base+ldb : base+ldb+kb]
		c2 := b[base+2*ldb : base+2*ldb+kb]
		c3 := b[base+3*ldb : base+3*ldb+kb]
		for p := range c0 {
			d := s[p*nr+j : p*nr+j+4 : p*nr+j+4]
			d[0], d[1], d[2], d[3] = c0[p], c1[p], c2[p], c3[p]
		}
	}
	for ; j < nb; j++ {
		src := b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kb]
		for p, v := range src {
			s[p*nr+j] = v
		}
	}
	for ; j < nr; j++ {
		for p := 0; p < kb; p++ {
			s[p*nr+j] = 0
		}
	}
}
