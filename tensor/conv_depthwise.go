package tensor

import "github.com/metabench/metabench/internal/vec"

// Depthwise convolution (Groups == C == K, one filter per channel) computed
// directly, without im2col or gemm: a group's gemm would have a single row,
// so the column matrix would be built (and packed) only to be read once.
//
// For channel c of image n, with w_c = w[c, 0, :, :]:
//
//	y[n,c,oh,ow]  = sum_{i,j} w_c[i,j] * x[n,c, oh*SH-PH+i*DH, ow*SW-PW+j*DW]
//	dx[n,c,h,w']  = sum_{i,j,oh,ow : oh*SH-PH+i*DH = h, ow*SW-PW+j*DW = w'} w_c[i,j] * gy[n,c,oh,ow]
//	dw[c,0,i,j]   = sum_{n,oh,ow} gy[n,c,oh,ow] * x[n,c, oh*SH-PH+i*DH, ow*SW-PW+j*DW]
//
// Every output row is one call of the row kernel vec.Taps, y_row[k] (+)=
// Σ_t w_t·x[o_t+k], with its taps in (i, j) order, on a copy of the input
// plane that is zero-padded (so that every tap reads a whole row, the
// padding adding +0) and, for a column stride S > 1, split into S column
// phases (column S·m+p of the padded plane at index m of phase p, so that a
// strided tap reads consecutive elements). The input gradient is the same
// sum read the other way: for each row of dx and each column phase, the
// taps that reach it, over a zero-margined copy of gy, added onto dx in
// (i, j) order. Forward and input gradient therefore add the same products
// in the same order as the direct loops over each tap's valid range. The
// weight gradient is one vec.LaneDots per tap and image (on float64 copies
// of the planes, so that every product is exact), accumulated over 64 lanes
// (lane = 32·(output row mod 2) + output column mod 32; images, rows,
// columns in order) and folded by vec.FoldLanes.
//
// Each output plane (and each channel of dw) is computed by one goroutine,
// so results do not depend on GOMAXPROCS; the vec kernels give the same bits
// on every instruction set.

func (g *ConvGeom) depthwise() bool { return g.Groups == g.C && g.K == g.C && g.Groups > 1 }

// dwPlanes runs the body made by setup (once per worker) over the N*C
// planes, split by images; each worker calls its release when done.
func dwPlanes(g *ConvGeom, setup func() (body func(plane int), release func())) {
	planes := g.N * g.C
	per := g.C
	nChunks := (planes + per - 1) / per
	parallelChunks(nChunks, g.serial(), func() (func(int), func()) {
		f, release := setup()
		return func(ch int) {
			for p := ch * per; p < min((ch+1)*per, planes); p++ {
				f(p)
			}
		}, release
	})
}

// dwLayout is the padded, column-phased copy of one input plane: phase p
// (of S = StrideW) holds Hp = H+2·PH rows of Wph columns, column m of phase
// p being column S·m+p of the zero-padded plane. taps[t] is the offset of
// tap t = i·KW+j for output row 0; output row r adds r·SH·Wph. size counts
// 32 elements of slack at the end (vec.Taps reads whole vectors).
type dwLayout struct {
	s, hp, wph, size int
	taps             []int32
}

func newDWLayout(g *ConvGeom) dwLayout {
	s := g.StrideW
	l := dwLayout{s: s, hp: g.H + 2*g.PadH, wph: (g.W + 2*g.PadW + s - 1) / s}
	l.size = s*l.hp*l.wph + 32
	for i := 0; i < g.KH; i++ {
		for j := 0; j < g.KW; j++ {
			c := j * g.DilW
			l.taps = append(l.taps, int32((c%s)*l.hp*l.wph+i*g.DilH*l.wph+c/s))
		}
	}
	return l
}

// rowStride is the distance between the inputs of consecutive output rows.
func (l *dwLayout) rowStride(g *ConvGeom) int { return g.StrideH * l.wph }

// dwElem is what a padded plane holds: values, or max-pool keys.
type dwElem interface{ ~float32 | ~float64 | ~int32 }

// dwFill copies plane xp (H x W) into buf (converting to buf's type). Only
// interior positions are written, so the padding of a buffer keeps the
// value it was allocated with (zero, or the losing key of a max pool).
func dwFill[D, T dwElem](l *dwLayout, buf []D, xp []T, g *ConvGeom) {
	// float32 input rows are copied (into float32) or widened (into
	// float64) by vectorised kernels; other pairs convert element by element
	x32, _ := any(xp).([]float32)
	b32, _ := any(buf).([]float32)
	b64, _ := any(buf).([]float64)
	for h := 0; h < g.H; h++ {
		row := xp[h*g.W : (h+1)*g.W]
		base := (h + g.PadH) * l.wph
		if l.s == 1 {
			lo, hi := base+g.PadW, base+g.PadW+len(row)
			switch {
			case x32 != nil && b32 != nil:
				copy(b32[lo:hi], x32[h*g.W:(h+1)*g.W])
				continue
			case x32 != nil && b64 != nil:
				vec.Widen(b64[lo:hi], x32[h*g.W:(h+1)*g.W])
				continue
			}
			dst := buf[lo:hi]
			for c, v := range row {
				dst[c] = D(v)
			}
			continue
		}
		// padded column pc = c+PW goes to phase pc mod S, index pc div S
		for q := 0; q < l.s; q++ {
			c0 := (q - g.PadW%l.s + l.s) % l.s // first c with (c+PW) mod S = q
			dst := buf[q*l.hp*l.wph+base+(c0+g.PadW)/l.s:]
			for m, c := 0, c0; c < g.W; m, c = m+1, c+l.s {
				dst[m] = D(row[c])
			}
		}
	}
}

// taps is vec.Taps in either precision.
func taps[T Float](y []T, ys int, x []T, xs, rows, n int, offs []int32, w []T, add bool) {
	if isF32[T]() {
		vec.Taps(asF32(y), ys, asF32(x), xs, rows, n, offs, asF32(w), add)
		return
	}
	vec.TapsOf(y, ys, x, xs, rows, n, offs, w, add)
}

func depthwiseForward[T Float](y, x, w []T, g *ConvGeom, ws *Workspace) {
	oh, ow := g.OutH(), g.OutW()
	p, hw, kk := oh*ow, g.H*g.W, g.KH*g.KW
	l := newDWLayout(g)
	rs := l.rowStride(g)
	dwPlanes(g, func() (func(int), func()) {
		buf := wsGet[T](ws, l.size)
		clear(buf) // dwFill writes the interior only
		return func(pl int) {
			c := pl % g.C
			dwFill(&l, buf, x[pl*hw:(pl+1)*hw], g)
			taps(y[pl*p:(pl+1)*p], ow, buf, rs, oh, ow, l.taps, w[c*kk:(c+1)*kk], false)
		}, func() { wsPut(ws, buf) }
	})
}

// floorDiv is ⌊a/b⌋ for b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// dwRowTaps lists, for each dx row h and column phase q (of S = StrideW),
// the taps that reach it, in (i, j) order (or reversed): their offsets into gy rows
// padded by mc zero columns on either side (row stride wg, 32 elements of
// slack at the end) and their indices into the channel's kernel. Rows
// h, h+SH, h+2·SH, ... whose taps are the same, each offset one gy row
// further, form a run: one vec.Taps call.
type dwRowTaps struct {
	mc, wg int
	runs   []dwRun
	offs   []int32
	widx   []int
}

// dwRun is rows h, h+SH, ... (rows of them) of phase q, with taps
// offs[e0:e1] for row h.
type dwRun struct{ h, q, rows, e0, e1 int }

func newDWRowTaps(g *ConvGeom, reverse bool) dwRowTaps {
	oh, ow := g.OutH(), g.OutW()
	s, sh := g.StrideW, g.StrideH
	// Column m of phase q reads gy column m+d with
	// d = ⌊(q+PW-j·DW)/S⌋ ∈ [-(KW-1)·DW, (PW+S)/S], and m < ⌈(W-q)/S⌉,
	// which stays inside [-mc, ow+mc).
	rt := dwRowTaps{mc: (g.KW-1)*g.DilW + g.PadW + 2}
	rt.wg = ow + 2*rt.mc
	var offs []int32
	var widx []int
	for q := 0; q < min(s, g.W); q++ {
		for h0 := 0; h0 < min(sh, g.H); h0++ {
			var run *dwRun
			for h := h0; h < g.H; h += sh {
				offs, widx = offs[:0], widx[:0]
				for ii := 0; ii < g.KH; ii++ {
					i := ii
					if reverse {
						i = g.KH - 1 - ii
					}
					a := h + g.PadH - i*g.DilH
					if a < 0 || a%sh != 0 || a/sh >= oh {
						continue
					}
					for jj := 0; jj < g.KW; jj++ {
						j := jj
						if reverse {
							j = g.KW - 1 - jj
						}
						b := q + g.PadW - j*g.DilW
						d := floorDiv(b, s)
						if b != d*s {
							continue
						}
						offs = append(offs, int32((a/sh)*rt.wg+rt.mc+d))
						widx = append(widx, i*g.KW+j)
					}
				}
				if len(offs) == 0 {
					run = nil
					continue
				}
				if run != nil && rt.extends(run, offs, widx) {
					run.rows++
					continue
				}
				rt.runs = append(rt.runs, dwRun{h: h, q: q, rows: 1, e0: len(rt.offs), e1: len(rt.offs) + len(offs)})
				run = &rt.runs[len(rt.runs)-1]
				rt.offs = append(rt.offs, offs...)
				rt.widx = append(rt.widx, widx...)
			}
		}
	}
	return rt
}

// extends reports whether a row's taps are those of the run's first row,
// run.rows gy rows further on.
func (rt *dwRowTaps) extends(run *dwRun, offs []int32, widx []int) bool {
	if run.e1-run.e0 != len(offs) {
		return false
	}
	shift := int32(run.rows * rt.wg)
	for e := range offs {
		if rt.widx[run.e0+e] != widx[e] || rt.offs[run.e0+e]+shift != offs[e] {
			return false
		}
	}
	return true
}

func depthwiseTransposeAdd[T Float](dx, gy, w []T, g *ConvGeom, ws *Workspace) {
	depthwiseTransposeAddOrder(dx, gy, w, g, false, ws)
}

// depthwiseTransposeAddOrder is depthwiseTransposeAdd with the taps added
// in (i, j) order or, with reverse, in the opposite order.
func depthwiseTransposeAddOrder[T Float](dx, gy, w []T, g *ConvGeom, reverse bool, work *Workspace) {
	oh, ow := g.OutH(), g.OutW()
	p, hw, kk := oh*ow, g.H*g.W, g.KH*g.KW
	s, sh := g.StrideW, g.StrideH
	rt := newDWRowTaps(g, reverse)
	wq := (g.W + s - 1) / s
	dwPlanes(g, func() (func(int), func()) {
		gb := wsGet[T](work, oh*rt.wg+32)
		clear(gb) // the margins stay zero: only the rows' interiors are written
		ws := make([]T, len(rt.widx))
		var ph []T // dx split into column phases (S > 1): phase q, row h at (q*H+h)*wq
		if s > 1 {
			ph = wsGet[T](work, s*g.H*wq)
			clear(ph)
		}
		release := func() { wsPut(work, gb); wsPut(work, ph) }
		return func(pl int) {
			c := pl % g.C
			wc := w[c*kk : (c+1)*kk]
			for e, k := range rt.widx {
				ws[e] = wc[k]
			}
			gp := gy[pl*p : (pl+1)*p]
			for r := 0; r < oh; r++ {
				copy(gb[r*rt.wg+rt.mc:], gp[r*ow:(r+1)*ow])
			}
			dp := dx[pl*hw : (pl+1)*hw]
			if s == 1 {
				for _, u := range rt.runs {
					taps(dp[u.h*g.W:], sh*g.W, gb, rt.wg, u.rows, g.W, rt.offs[u.e0:u.e1], ws[u.e0:u.e1], true)
				}
				return
			}
			// The whole plane split into phases, summed, then put back
			// (not row by row: a scalar read right after a vector store of
			// the same bytes stalls).
			phaseCopy(dp, ph, g, wq, true)
			for _, u := range rt.runs {
				taps(ph[(u.q*g.H+u.h)*wq:], sh*wq, gb, rt.wg, u.rows, (g.W-u.q+s-1)/s, rt.offs[u.e0:u.e1], ws[u.e0:u.e1], true)
			}
			phaseCopy(dp, ph, g, wq, false)
		}, release
	})
}

// phaseCopy moves plane dp (H x W) into its column phases ph (phase q,
// row h at (q*H+h)*wq holds columns q, q+S, ...), or back with split false.
func phaseCopy[T Float](dp, ph []T, g *ConvGeom, wq int, split bool) {
	s := g.StrideW
	for h := 0; h < g.H; h++ {
		dr := dp[h*g.W : (h+1)*g.W]
		for q := 0; q < min(s, g.W); q++ {
			row := ph[(q*g.H+h)*wq:]
			for m, col := 0, q; col < g.W; m, col = m+1, col+s {
				if split {
					row[m] = dr[col]
				} else {
					dr[col] = row[m]
				}
			}
		}
	}
}

func depthwiseWeightGrad[T Float](dw, x, gy []T, g *ConvGeom, ws *Workspace) {
	oh, ow := g.OutH(), g.OutW()
	p, hw, kk := oh*ow, g.H*g.W, g.KH*g.KW
	l := newDWLayout(g)
	rs := l.rowStride(g)
	gs := (ow + 7) &^ 7            // gy rows zero-padded to whole vectors (vec.LaneDots)
	gy32, _ := any(gy).([]float32) // widened by vec.Widen
	parallelChunks(g.C, g.serial(), func() (func(int), func()) {
		buf := wsGet[float64](ws, l.size)
		clear(buf) // dwFill writes the interior only
		g64 := wsGet[float64](ws, oh*gs)
		clear(g64) // the padding columns of each row stay zero
		accs := wsGet[float64](ws, kk*vec.DotLanes)
		acc := func(t int) *[vec.DotLanes]float64 { return (*[vec.DotLanes]float64)(accs[t*vec.DotLanes:]) }
		release := func() { wsPut(ws, buf); wsPut(ws, g64); wsPut(ws, accs) }
		return func(c int) {
			clear(accs)
			for n := 0; n < g.N; n++ {
				pl := n*g.C + c
				dwFill(&l, buf, x[pl*hw:(pl+1)*hw], g)
				gp := gy[pl*p : (pl+1)*p]
				for r := 0; r < oh; r++ {
					dst := g64[r*gs : r*gs+ow]
					if gy32 != nil {
						vec.Widen(dst, gy32[pl*p+r*ow:pl*p+(r+1)*ow])
						continue
					}
					for k, v := range gp[r*ow : (r+1)*ow] {
						dst[k] = float64(v)
					}
				}
				for t, o := range l.taps {
					vec.LaneDots(acc(t), g64, gs, buf[o:], rs, oh, ow)
				}
			}
			for t := range kk {
				dw[c*kk+t] = T(vec.FoldLanes(acc(t)))
			}
		}, release
	})
}
