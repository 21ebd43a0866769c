package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/metabench/metabench/internal/gemm"
	"github.com/metabench/metabench/internal/vec"
)

// Workspace is a small pool of scratch buffers (im2col columns, gathered
// gradients, partial weight gradients) owned by the caller and reused across
// calls of the convolution kernels, so that a training step allocates only
// its outputs. It is safe for concurrent use (a mutex guards the pool), but
// it is meant to be owned by one model or one tape: there is no package-level
// pool. A nil *Workspace is valid and means "allocate fresh buffers".
//
// Buffers handed out are not zeroed; the kernels overwrite them completely.
type Workspace struct {
	mu  sync.Mutex
	f32 [][]float32
	f64 [][]float64
	// The output arena (arena.go): buffers lent by Make while a scope is
	// open, and the idle ones by exact length.
	depth  int
	lent32 [][]float32
	lent64 [][]float64
	lentI  [][]int32
	idle32 map[int][][]float32
	idle64 map[int][][]float64
	idleI  map[int][][]int32
	// where maps the data pointer of each lent float buffer to its index in
	// lent32/lent64, for Recycle.
	where map[unsafe.Pointer]int
}

// NewWorkspace returns an empty workspace.
func NewWorkspace() *Workspace { return &Workspace{} }

// wsMaxBuffers bounds the number of idle buffers kept per element type.
const wsMaxBuffers = 32

func takeBuf[E any](pool *[][]E, n int) []E {
	best := -1
	for i, b := range *pool {
		if cap(b) >= n && (best < 0 || cap(b) < cap((*pool)[best])) {
			best = i
		}
	}
	if best < 0 {
		return make([]E, n)
	}
	b := (*pool)[best]
	last := len(*pool) - 1
	(*pool)[best] = (*pool)[last]
	(*pool)[last] = nil
	*pool = (*pool)[:last]
	return b[:n]
}

func giveBuf[E any](pool *[][]E, b []E) {
	if cap(b) == 0 {
		return
	}
	if len(*pool) >= wsMaxBuffers {
		// drop the smallest idle buffer
		small := 0
		for i, x := range *pool {
			if cap(x) < cap((*pool)[small]) {
				small = i
			}
		}
		if cap((*pool)[small]) >= cap(b) {
			return
		}
		(*pool)[small] = b
		return
	}
	*pool = append(*pool, b)
}

// IsFloat32 reports whether T is float32 (for kernels specialised by
// precision).
func IsFloat32[T Float]() bool { return isF32[T]() }

// AsFloat32 views s as []float32; T must be float32 (see IsFloat32).
func AsFloat32[T Float](s []T) []float32 { return asF32(s) }

// AsFloat64 views s as []float64; T must be float64.
func AsFloat64[T Float](s []T) []float64 { return asF64(s) }

func isF32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

func asF32[T Float](s []T) []float32 {
	if cap(s) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), cap(s))[:len(s)]
}

func asF64[T Float](s []T) []float64 {
	if cap(s) == 0 {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), cap(s))[:len(s)]
}

func fromF32[T Float](s []float32) []T {
	if cap(s) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), cap(s))[:len(s)]
}

func fromF64[T Float](s []float64) []T {
	if cap(s) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), cap(s))[:len(s)]
}

// wsGet returns a scratch buffer of length n (contents undefined).
func wsGet[T Float](ws *Workspace, n int) []T {
	if ws == nil {
		return make([]T, n)
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if isF32[T]() {
		return fromF32[T](takeBuf(&ws.f32, n))
	}
	return fromF64[T](takeBuf(&ws.f64, n))
}

// wsPut returns a buffer obtained from wsGet to the pool.
func wsPut[T Float](ws *Workspace, b []T) {
	if ws == nil || b == nil {
		return
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if isF32[T]() {
		giveBuf(&ws.f32, asF32(b))
	} else {
		giveBuf(&ws.f64, asF64(b))
	}
}

// convGemm is C = op(A) op(B) + beta*C through the project's single gemm
// entry point, for either element type.
func convGemm[T Float](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if isF32[T]() {
		gemm.F32(transA, transB, m, n, k, 1, asF32(a), lda, asF32(b), ldb, float32(beta), asF32(c), ldc)
	} else {
		gemm.F64(transA, transB, m, n, k, 1, asF64(a), lda, asF64(b), ldb, float64(beta), asF64(c), ldc)
	}
}

// parallelChunks runs body(chunk) for chunk = 0..nChunks-1 on at most
// runtime.GOMAXPROCS(0) goroutines. Each worker first calls setup to obtain
// its per-worker body (typically closing over scratch buffers) and calls the
// returned release when it has no more chunks. The chunks are fixed by the
// caller independently of the number of workers, and every chunk is processed
// by exactly one worker, so results do not depend on GOMAXPROCS. When serial
// is true everything runs on the calling goroutine.
func parallelChunks(nChunks int, serial bool, setup func() (body func(chunk int), release func())) {
	if nChunks <= 0 {
		return
	}
	workers := min(runtime.GOMAXPROCS(0), nChunks)
	if serial || workers <= 1 {
		body, release := setup()
		for c := 0; c < nChunks; c++ {
			body(c)
		}
		if release != nil {
			release()
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			body, release := setup()
			for {
				c := int(next.Add(1) - 1)
				if c >= nChunks {
					break
				}
				body(c)
			}
			if release != nil {
				release()
			}
		}()
	}
	wg.Wait()
}

// validRange returns the output positions o in [lo, hi) for which the input
// coordinate o*stride - pad + off lies in [0, in); outside that range the
// input is padding. 0 <= lo <= hi <= out.
func validRange(pad, off, stride, in, out int) (lo, hi int) {
	if d := pad - off; d > 0 {
		lo = (d + stride - 1) / stride
	}
	if e := in + pad - off; e > 0 {
		hi = (e + stride - 1) / stride
	}
	lo = min(lo, out)
	hi = min(max(hi, lo), out)
	return lo, hi
}

// im2colPlane writes the (i, j) kernel tap of one input plane src [H, W] into
// dst [OH*OW]: dst[oh*OW+ow] = src[oh*SH-PH+i*DH, ow*SW-PW+j*DW] (0 outside).
func im2colPlane[T Float](dst, src []T, g *ConvGeom, i, j, oh, ow int) {
	ilo, ihi := validRange(g.PadH, i*g.DilH, g.StrideH, g.H, oh)
	jlo, jhi := validRange(g.PadW, j*g.DilW, g.StrideW, g.W, ow)
	if g.StrideH == 1 && g.StrideW == 1 && ow == g.W {
		// "same" stride-1 conv: the tap is the plane shifted by
		// (i*DH-PH)*W + (j*DW-PW); one contiguous copy of the valid span,
		// then zero the columns that wrapped around to the next row.
		if ilo >= ihi || jlo >= jhi {
			clear(dst[:oh*ow])
			return
		}
		q0, q1 := ilo*ow+jlo, (ihi-1)*ow+jhi
		shift := (i*g.DilH-g.PadH)*g.W + (j*g.DilW - g.PadW)
		clear(dst[:q0])
		clear(dst[q1 : oh*ow])
		copy(dst[q0:q1], src[q0+shift:q1+shift])
		if jlo > 0 || jhi < ow {
			for r := ilo; r < ihi; r++ {
				row := dst[r*ow : (r+1)*ow]
				if r > ilo {
					zeroShort(row[:jlo])
				}
				if r < ihi-1 {
					zeroShort(row[jhi:])
				}
			}
		}
		return
	}
	if ilo >= ihi || jlo >= jhi {
		// the tap reads only padding (a dilated kernel wider than the input)
		clear(dst[:oh*ow])
		return
	}
	clear(dst[:ilo*ow])
	clear(dst[ihi*ow:])
	sw := g.StrideW
	n := jhi - jlo
	for r := ilo; r < ihi; r++ {
		d := dst[r*ow : (r+1)*ow]
		ih := r*g.StrideH - g.PadH + i*g.DilH
		s := src[ih*g.W : (ih+1)*g.W]
		clear(d[:jlo])
		clear(d[jhi:])
		iw := jlo*sw - g.PadW + j*g.DilW
		if sw == 1 {
			copy(d[jlo:jhi], s[iw:iw+n])
		} else {
			dd := d[jlo:jhi]
			for k := range dd {
				dd[k] = s[iw]
				iw += sw
			}
		}
	}
}

// col2imPlane is the adjoint of im2colPlane: it adds src [OH*OW] into the
// input plane dst [H, W] at the positions im2colPlane reads.
//
// In the "same" stride-1 case it zeroes, in src, the entries that fall on
// padding (src is scratch owned by the caller) and adds the shifted plane in
// one contiguous loop; adding those zeros leaves dst unchanged.
func col2imPlane[T Float](dst, src []T, g *ConvGeom, i, j, oh, ow int) {
	ilo, ihi := validRange(g.PadH, i*g.DilH, g.StrideH, g.H, oh)
	jlo, jhi := validRange(g.PadW, j*g.DilW, g.StrideW, g.W, ow)
	if g.StrideH == 1 && g.StrideW == 1 && ow == g.W {
		if ilo >= ihi || jlo >= jhi {
			return
		}
		q0, q1 := ilo*ow+jlo, (ihi-1)*ow+jhi
		shift := (i*g.DilH-g.PadH)*g.W + (j*g.DilW - g.PadW)
		if jlo > 0 || jhi < ow {
			for r := ilo; r < ihi; r++ {
				row := src[r*ow : (r+1)*ow]
				if r > ilo {
					zeroShort(row[:jlo])
				}
				if r < ihi-1 {
					zeroShort(row[jhi:])
				}
			}
		}
		s := src[q0:q1]
		d := dst[q0+shift : q1+shift]
		addTo(d[:len(s)], s)
		return
	}
	if ilo >= ihi || jlo >= jhi {
		return // the tap reads only padding
	}
	sw := g.StrideW
	n := jhi - jlo
	for r := ilo; r < ihi; r++ {
		s := src[r*ow+jlo : r*ow+jhi]
		ih := r*g.StrideH - g.PadH + i*g.DilH
		d := dst[ih*g.W : (ih+1)*g.W]
		iw := jlo*sw - g.PadW + j*g.DilW
		if sw == 1 {
			addTo(d[iw:iw+n], s)
		} else {
			for _, v := range s {
				d[iw] += v
				iw += sw
			}
		}
	}
}

// shiftPlan is the "same" stride-1 case of im2colPlane and col2imPlane
// (stride 1, OW == W) for one kernel tap, worked out once per call instead
// of once per plane: the tap is the plane shifted by shift, valid on
// [q0, q1) but for the columns [0, jlo) and [jhi, OW) of rows ilo+1..ihi-1
// (left edge) and ilo..ihi-2 (right edge), which wrapped around from the
// neighbouring row; empty: the tap reads only padding.
type shiftPlan struct {
	q0, q1, shift      int
	ilo, ihi, jlo, jhi int
	empty              bool
}

// shiftPlans returns the plans of the KH*KW taps, or nil when the geometry
// is not the "same" stride-1 case.
func shiftPlans(g *ConvGeom, oh, ow int) []shiftPlan {
	if g.StrideH != 1 || g.StrideW != 1 || ow != g.W {
		return nil
	}
	pl := make([]shiftPlan, g.KH*g.KW)
	for i := 0; i < g.KH; i++ {
		for j := 0; j < g.KW; j++ {
			ilo, ihi := validRange(g.PadH, i*g.DilH, 1, g.H, oh)
			jlo, jhi := validRange(g.PadW, j*g.DilW, 1, g.W, ow)
			t := &pl[i*g.KW+j]
			*t = shiftPlan{ilo: ilo, ihi: ihi, jlo: jlo, jhi: jhi, empty: ilo >= ihi || jlo >= jhi}
			if !t.empty {
				t.q0, t.q1 = ilo*ow+jlo, (ihi-1)*ow+jhi
				t.shift = (i*g.DilH-g.PadH)*g.W + (j*g.DilW - g.PadW)
			}
		}
	}
	return pl
}

// im2colShift is im2colPlane's "same" stride-1 case with the tap's plan
// worked out: the same values in dst.
func im2colShift[T Float](dst, src []T, t *shiftPlan, p, ow int) {
	dst = dst[:p]
	if t.empty {
		clear(dst)
		return
	}
	zeroShort(dst[:t.q0])
	zeroShort(dst[t.q1:])
	copy(dst[t.q0:t.q1], src[t.q0+t.shift:t.q1+t.shift])
	zeroWrapped(dst, t, ow)
}

// zeroWrapped zeroes the columns of the tap's rows that wrapped around from
// the neighbouring row (see shiftPlan); one column, the usual padding of 1,
// is set element by element (the compiler turns zeroShort's loop into a
// call to the runtime's memclr).
func zeroWrapped[T Float](dst []T, t *shiftPlan, ow int) {
	switch {
	case t.jlo == 1:
		for r := t.ilo + 1; r < t.ihi; r++ {
			dst[r*ow] = 0
		}
	case t.jlo > 1:
		for r := t.ilo + 1; r < t.ihi; r++ {
			zeroShort(dst[r*ow : r*ow+t.jlo])
		}
	}
	switch {
	case t.jhi == ow-1:
		for r := t.ilo; r < t.ihi-1; r++ {
			dst[r*ow+ow-1] = 0
		}
	case t.jhi < ow-1:
		for r := t.ilo; r < t.ihi-1; r++ {
			zeroShort(dst[r*ow+t.jhi : (r+1)*ow])
		}
	}
}

// col2imShift is col2imPlane's "same" stride-1 case with the tap's plan
// worked out: the same additions into dst (and the same zeros written
// into the scratch src).
func col2imShift[T Float](dst, src []T, t *shiftPlan, ow int) {
	if t.empty {
		return
	}
	zeroWrapped(src, t, ow)
	s := src[t.q0:t.q1]
	d := dst[t.q0+t.shift : t.q1+t.shift]
	addTo(d[:len(s)], s)
}

// im2col fills col, a [Cg*KH*KW, nb*P] matrix (P = OH*OW, row r = (c, i, j)
// of group grp, column b*P + oh*OW + ow), from images n0..n0+nb-1 of x.
func im2col[T Float](col, x []T, g *ConvGeom, n0, nb, grp int) {
	oh, ow := g.OutH(), g.OutW()
	p := oh * ow
	ld := nb * p
	cg := g.C / g.Groups
	hw := g.H * g.W
	if p <= smallPlane {
		tbl := tapTable(g, oh, ow)
		taps := g.KH * g.KW
		for c := 0; c < cg; c++ {
			for t := 0; t < taps; t++ {
				dr := col[(c*taps+t)*ld:][:ld]
				idx := tbl[t*p : (t+1)*p]
				for b := 0; b < nb; b++ {
					src := x[((n0+b)*g.C+grp*cg+c)*hw:][:hw]
					gatherTap(dr[b*p:(b+1)*p], src, idx)
				}
			}
		}
		return
	}
	if pl := shiftPlans(g, oh, ow); pl != nil {
		for c := 0; c < cg; c++ {
			for t := range pl {
				dr := col[(c*len(pl)+t)*ld:][:ld]
				for b := 0; b < nb; b++ {
					src := x[((n0+b)*g.C+grp*cg+c)*hw:][:hw]
					im2colShift(dr[b*p:(b+1)*p], src, &pl[t], p, ow)
				}
			}
		}
		return
	}
	row := 0
	for c := 0; c < cg; c++ {
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				dr := col[row*ld : (row+1)*ld]
				for b := 0; b < nb; b++ {
					src := x[((n0+b)*g.C+grp*cg+c)*hw:][:hw]
					im2colPlane(dr[b*p:(b+1)*p], src, g, i, j, oh, ow)
				}
				row++
			}
		}
	}
}

// col2im adds the columns col ([Cg*KH*KW, nb*P], as written by im2col) back
// into images n0..n0+nb-1, group grp, of dx.
func col2im[T Float](dx, col []T, g *ConvGeom, n0, nb, grp int) {
	oh, ow := g.OutH(), g.OutW()
	p := oh * ow
	ld := nb * p
	cg := g.C / g.Groups
	hw := g.H * g.W
	if p <= smallPlane {
		// the same adds in the same order as col2imPlane: taps in order,
		// and within one tap every input position receives at most one add
		tbl := tapTable(g, oh, ow)
		taps := g.KH * g.KW
		for c := 0; c < cg; c++ {
			for t := 0; t < taps; t++ {
				sr := col[(c*taps+t)*ld:][:ld]
				idx := tbl[t*p : (t+1)*p]
				for b := 0; b < nb; b++ {
					dst := dx[((n0+b)*g.C+grp*cg+c)*hw:][:hw]
					scatterAddTap(dst, sr[b*p:(b+1)*p], idx)
				}
			}
		}
		return
	}
	if pl := shiftPlans(g, oh, ow); pl != nil {
		// the same adds in the same order as below: taps in order per plane
		for c := 0; c < cg; c++ {
			for t := range pl {
				sr := col[(c*len(pl)+t)*ld:][:ld]
				for b := 0; b < nb; b++ {
					dst := dx[((n0+b)*g.C+grp*cg+c)*hw:][:hw]
					col2imShift(dst, sr[b*p:(b+1)*p], &pl[t], ow)
				}
			}
		}
		return
	}
	row := 0
	for c := 0; c < cg; c++ {
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				sr := col[row*ld : (row+1)*ld]
				for b := 0; b < nb; b++ {
					dst := dx[((n0+b)*g.C+grp*cg+c)*hw:][:hw]
					col2imPlane(dst, sr[b*p:(b+1)*p], g, i, j, oh, ow)
				}
				row++
			}
		}
	}
}

// addTo sets d[k] += s[k] (the SIMD body for float32).
func addTo[T Float](d, s []T) {
	if isF32[T]() {
		vec.Add(asF32(d), asF32(s))
		return
	}
	s = s[:len(d)]
	for k := range d {
		d[k] += s[k]
	}
}

// zeroShort clears a few elements (the padding columns of one row) without
// a call to the runtime's memclr.
func zeroShort[T Float](s []T) {
	for k := range s {
		s[k] = 0
	}
}

// smallPlane is the output-plane size (OH*OW) up to which im2col and col2im
// go through a per-call table of source positions instead of im2colPlane's
// row copies, whose set-up dominates on tiny planes. BenchmarkIm2colSmall
// (5 images, 64 channels, 3x3 pad 1): on 3x3 planes the table takes 33 us
// against 60 (im2col) and 25 against 61 (col2im); on 7x7 planes it loses
// (137 against 97, 119 against 106), hence the bound of 16.
const smallPlane = 16

// tapTable returns, for each kernel tap t = i*KW + j and output position o,
// the input position im2colPlane reads (oh*SH-PH+i*DH)*W + (ow*SW-PW+j*DW),
// or -1 where that is padding: a [KH*KW, OH*OW] table.
func tapTable(g *ConvGeom, oh, ow int) []int32 {
	p := oh * ow
	tbl := make([]int32, g.KH*g.KW*p)
	for i := 0; i < g.KH; i++ {
		for j := 0; j < g.KW; j++ {
			t := tbl[(i*g.KW+j)*p:][:p]
			for r := 0; r < oh; r++ {
				ih := r*g.StrideH - g.PadH + i*g.DilH
				for c := 0; c < ow; c++ {
					iw := c*g.StrideW - g.PadW + j*g.DilW
					v := int32(-1)
					if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
						v = int32(ih*g.W + iw)
					}
					t[r*ow+c] = v
				}
			}
		}
	}
	return tbl
}

// gatherTap sets dst[o] = src[idx[o]] (0 where idx[o] < 0).
func gatherTap[T Float](dst, src []T, idx []int32) {
	dst = dst[:len(idx)]
	for o, s := range idx {
		var v T
		if s >= 0 {
			v = src[s]
		}
		dst[o] = v
	}
}

// scatterAddTap adds src[o] into dst[idx[o]] where idx[o] >= 0.
func scatterAddTap[T Float](dst, src []T, idx []int32) {
	src = src[:len(idx)]
	for o, s := range idx {
		if s >= 0 {
			dst[s] += src[o]
		}
	}
}
