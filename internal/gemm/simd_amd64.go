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
	// fnS, when not nil, is fn reading the MR x kc A panel in place:
	// element (r, p) at byte offset r*ars + p*aps of a. The driver uses it
	// instead of packing A when alpha is 1 (packing would copy the values
	// unchanged), for every full MR-row sliver; the same FMAs as fn on the
	// packed panel, so the same bits.
	fnS func(kc int, a []float32, ars, aps int, b []float32, ldb int, c []float32, ldc int, add bool)
}

// simdKernel picks the microkernel for this CPU. archsimd.X86 reads flags the
// runtime filled in at start-up, so the check is a couple of loads and needs
// no cached state.
func simdKernel() (kernel, bool) {
	switch {
	case archsimd.X86.AVX512():
		return kernel{"simd-avx512", 8, 32, kernelAVX512x8x32, kernelAVX512x8x32S}, true
	case archsimd.X86.AVX2() && archsimd.X86.FMA():
		return kernel{"simd-avx2", 6, 16, kernelAVX2x6x16, nil}, true
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
	tm, tn, rowTiles, colTiles := tileGrid(m, n, kern.mr, kern.nr, flops(m, n, k))
	g := &gemmJob{
		kern: kern, transA: transA, transB: transB, m: m, n: n, k: k, kc: kc, tm: tm, tn: tn, colTiles: colTiles,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
		inPlaceA: kern.fnS != nil && alpha == 1,
	}
	// B is packed once for the whole call when several row tiles would
	// each pack the same slivers (and it is small enough to stay in L2),
	// unless the tiles read it in place (directB). A transposed B is
	// gathered column by column; a B packed by row copies (the input
	// gradient's W^T gy, 576 rows in 5 row tiles on Conv-4) was packed by
	// each tile just before use, while in L1, but packing it once measured
	// 5-9% faster on those products (best of 300-400 interleaved calls
	// under load, 576x{171,392,539,588}x64, AVX-512 and AVX2).
	nSl := ceilDiv(n, kern.nr)
	if rowTiles > 1 && (transB || !g.directB(tm)) && nSl*kern.nr*k <= prepackMax {
		g.prepackB(nSl)
	}
	// Likewise alpha*op(A), when several column tiles would each pack it
	// and the tiles do not read it in place (the forward convolution's
	// weights: 4 column tiles of 64x588x576). In isolation (best of
	// interleaved calls under load) this measured 5-15% slower on those
	// shapes, but the Conv-4 workloads ran faster with it than without
	// (docs/PERFORMANCE.md, History, 2026-12-07 evening); the workloads
	// decided.
	nMs := ceilDiv(m, kern.mr)
	if colTiles > 1 && !(g.inPlaceA && tn <= inPlaceMaxCols) && nMs*kern.mr*k <= prepackMax {
		g.prepackA(nMs)
	}
	forTiles(tileCount(m, n, tm, tn), flops(m, n, k), g.newWorkspace, g.tile)
	for _, b := range g.bufs {
		packPool.Put(b)
	}
}

// inPlaceMaxCols is the widest tile whose A slivers are read in place:
// a packed sliver is read once per B sliver of the tile, so packing pays
// when there are many (BenchmarkComparePaths, best of 200 interleaved
// calls, Intel Xeon family 6 model 207 under load: 64x588x576 83 GFLOP/s
// in place against 103 packed, 576x64x588 with B transposed 121 against
// 104).
const inPlaceMaxCols = 128

// prepackMax bounds the floats of a B packed once per call (1 MiB).
const prepackMax = 1 << 18

// directB reports whether tiles of at most tm rows read a non-transposed B
// in place: its slivers are used by few A slivers (packing would cost as
// much as it saves) and its rows do not alias in L1 (ldb not a multiple of
// 64 floats).
func (g *gemmJob) directB(tm int) bool { return !g.transB && tm <= 64 && g.ldb%64 != 0 }

// packBuf is a pooled buffer of size floats, returned to the pool with
// the job's others when the call ends (g.bufs); the workers of a parallel
// product take theirs concurrently.
func (g *gemmJob) packBuf(size int) []float32 {
	buf := packPool.Get().(*[]float32)
	if cap(*buf) < size {
		*buf = make([]float32, size)
	}
	g.mu.Lock()
	g.bufs = append(g.bufs, buf)
	g.mu.Unlock()
	return (*buf)[:size]
}

// prepackA packs all of alpha*op(A) into g.pa: k block kb, sliver s (rows
// s*MR..) at g.pa[(kb*nMs+s)*kc*MR:], kb groups of MR values, zero past m.
func (g *gemmJob) prepackA(nMs int) {
	mr := g.kern.mr
	nKb := ceilDiv(g.k, g.kc)
	size := nKb * nMs * g.kc * mr
	g.pa, g.nMs = g.packBuf(size), nMs
	forTiles(nKb*nMs, flops(g.m, g.n, g.k), func() struct{} { return struct{}{} }, func(_ struct{}, u int) {
		kb, s := u/nMs, u%nMs
		p0, i0 := kb*g.kc, s*mr
		packA(g.pa[u*g.kc*mr:], g.a, g.lda, g.transA, i0, min(mr, g.m-i0), p0, min(g.kc, g.k-p0), mr, g.alpha)
	})
}

// prepackB packs all of op(B) into g.pb: k block kb, sliver s (columns
// s*NR..) at g.pb[(kb*nSl+s)*kc*NR:], kb rows of NR values, zero past n.
// The slivers are packed in parallel when the product is.
func (g *gemmJob) prepackB(nSl int) {
	nr := g.kern.nr
	nKb := ceilDiv(g.k, g.kc)
	size := nKb * nSl * g.kc * nr
	g.pb, g.nSl = g.packBuf(size), nSl
	forTiles(nKb*nSl, flops(g.m, g.n, g.k), func() struct{} { return struct{}{} }, func(_ struct{}, u int) {
		kb, s := u/nSl, u%nSl
		p0, j0 := kb*g.kc, s*nr
		packB(g.pb[u*g.kc*nr:], g.b, g.ldb, g.transB, p0, min(g.kc, g.k-p0), j0, min(nr, g.n-j0), nr)
	})
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

	inPlaceA bool      // full A slivers are read in place by kern.fnS (alpha 1)
	pb       []float32 // all of op(B), packed once (prepackB), or nil
	nSl      int       // B slivers per k block in pb
	pa       []float32 // all of alpha*op(A), packed once (prepackA), or nil
	nMs      int       // A slivers per k block in pa

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
	buf := g.packBuf(n)
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
	direct := g.directB(mb)
	// Rows [0, full) of the tile are read in place (full slivers, alpha
	// 1), the rest packed: with A read in place only a ragged last sliver.
	full := 0
	if g.inPlaceA && nb <= inPlaceMaxCols && g.pa == nil {
		full = mb / mr * mr
	}
	// Byte strides of A's rows and steps, read in place.
	ars, aps := 4*g.lda, 4
	if g.transA {
		ars, aps = 4, 4*g.lda
	}
	for p0, kbi := 0, 0; p0 < g.k; p0, kbi = p0+g.kc, kbi+1 {
		kb := min(g.kc, g.k-p0)
		if full < mb && g.pa == nil {
			packA(w.pa[full*kb:], g.a, g.lda, g.transA, i0+full, mb-full, p0, kb, mr, g.alpha)
		}
		// One B sliver at a time (it stays in L1), A slivers inside (from L2).
		for jr := 0; jr < nb; jr += nr {
			ncols := min(nr, nb-jr)
			bs, ldb := w.pb[:kb*nr], nr
			switch {
			case g.pb != nil:
				bs = g.pb[(kbi*g.nSl+(j0+jr)/nr)*g.kc*nr:][:kb*nr]
			case direct && ncols == nr:
				bs, ldb = g.b[p0*g.ldb+j0+jr:], g.ldb
			default:
				packB(bs, g.b, g.ldb, g.transB, p0, kb, j0+jr, ncols, nr)
			}
			for ir := 0; ir < mb; ir += mr {
				nrows := min(mr, mb-ir)
				dst, ldc, addHere := cTile[ir*g.ldc+jr:], g.ldc, add
				if nrows < mr || ncols < nr {
					// Ragged edge: the full tile into the scratch, then the valid part into C.
					dst, ldc, addHere = w.edge, nr, false
				}
				if ir < full {
					off := (i0+ir)*g.lda + p0
					if g.transA {
						off = p0*g.lda + i0 + ir
					}
					g.kern.fnS(kb, g.a[off:], ars, aps, bs, ldb, dst, ldc, addHere)
				} else if g.pa != nil {
					g.kern.fn(kb, g.pa[(kbi*g.nMs+(i0+ir)/mr)*g.kc*mr:][:kb*mr], bs, ldb, dst, ldc, addHere)
				} else {
					g.kern.fn(kb, w.pa[ir*kb:(ir+mr)*kb], bs, ldb, dst, ldc, addHere)
				}
				if nrows == mr && ncols == nr {
					continue
				}
				for r := 0; r < nrows; r++ {
					d := cTile[(ir+r)*g.ldc+jr : (ir+r)*g.ldc+jr+ncols]
					src := w.edge[r*nr : r*nr+ncols]
					if !add {
						copy(d, src)
						continue
					}
					for j := range d {
						d[j] += src[j]
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
	if nb < nr {
		for p := 0; p < kb; p++ {
			clear(s[p*nr+nb : p*nr+nr])
		}
	}
}
