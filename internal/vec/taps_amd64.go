//go:build goexperiment.simd && amd64

package vec

import (
	"simd/archsimd"
	"unsafe"
)

// The AVX-512 and AVX2 bodies of Taps, LaneDots, MaxTaps and MulAdd. Lane by
// lane they do the operations of the generic definitions in the same order:
// products rounded before the add (VMULPS then VADDPS, never a fused
// multiply-add). Taps reads whole vectors of x (its slack contract; lanes
// past a row's end are computed and never stored: stores are masked) and
// LaneDots whole vectors of g and x (g is zero past n, so those lanes add
// +0, which leaves every sum unchanged: no lane of these sums is ever -0).
// Taps works on two rows and up to 32 columns at once and LaneDots on two
// rows, so that four or more independent chains of adds are in flight; the
// inner loops are small functions that take and return their accumulators,
// which keeps them in registers, over pointers checked once per call.

// Taps is y[r·ys+k] (+)= Σ_t w[t]·x[r·xs+offs[t]+k] (see taps.go).
func Taps(y []float32, ys int, x []float32, xs int, rows, n int, offs []int32, w []float32, add bool) {
	switch {
	case archsimd.X86.AVX512():
		tapsAVX512(y, ys, x, xs, rows, n, offs, w, add)
	case archsimd.X86.AVX2():
		tapsAVX2(y, ys, x, xs, rows, n, offs, w, add)
	default:
		TapsOf(y, ys, x, xs, rows, n, offs, w, add)
	}
}

// LaneDots adds the products of rows of g and x to 64 float64 lanes (see
// taps.go).
func LaneDots(acc *[DotLanes]float64, g []float64, gs int, x []float64, xs int, rows, n int) {
	switch {
	case archsimd.X86.AVX512():
		laneDotsAVX512(acc, g, gs, x, xs, rows, n)
	case archsimd.X86.AVX2():
		laneDotsAVX2(acc, g, gs, x, xs, rows, n)
	default:
		laneDotsScalar(acc, g, gs, x, xs, rows, n)
	}
}

// at16 points at s[i] as an array for a masked load or store: the mask
// keeps the access inside the c valid elements the caller counted
// (bounds-checked once: s[i+c-1] exists).
func at16(s []float32, i, c int) *[16]float32 {
	_ = s[i+c-1]
	return (*[16]float32)(unsafe.Pointer(&s[i]))
}

// tapsSlack panics unless x holds Taps' slack for blocks of v columns (the
// vector bodies then read x through unchecked pointers).
func tapsSlack(x []float32, xs, rows, n int, offs []int32, v int) {
	var hi int32
	for _, o := range offs {
		if o < 0 {
			panic("vec.Taps: negative tap offset")
		}
		hi = max(hi, o)
	}
	if rows > 0 && n > 0 && (rows-1)*xs+int(hi)+(n+v-1)/v*v > len(x) {
		panic("vec.Taps: x is shorter than its slack contract")
	}
}

// ld16 and ld8 load a whole vector at byte offset off from p (inside x by
// tapsSlack).
func ld16(p unsafe.Pointer, off int) archsimd.Float32x16 {
	return archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p, off)))
}

func ld8(p unsafe.Pointer, off int) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p, off)))
}

// taps2x32 is the inner loop of tapsAVX512 for two rows of 32 columns, on
// its own so that its few values stay in registers.
func taps2x32(p0, p1 unsafe.Pointer, offs []int32, w []float32, a0, a1, b0, b1 archsimd.Float32x16) (archsimd.Float32x16, archsimd.Float32x16, archsimd.Float32x16, archsimd.Float32x16) {
	w = w[:len(offs)]
	for t, o := range offs {
		wv := archsimd.BroadcastFloat32x16(w[t])
		off := 4 * int(o)
		a0 = a0.Add(wv.Mul(ld16(p0, off)))
		a1 = a1.Add(wv.Mul(ld16(p0, off+64)))
		b0 = b0.Add(wv.Mul(ld16(p1, off)))
		b1 = b1.Add(wv.Mul(ld16(p1, off+64)))
	}
	return a0, a1, b0, b1
}

// taps2x16 is taps2x32 for rows of at most 16 columns.
func taps2x16(p0, p1 unsafe.Pointer, offs []int32, w []float32, a0, b0 archsimd.Float32x16) (archsimd.Float32x16, archsimd.Float32x16) {
	w = w[:len(offs)]
	for t, o := range offs {
		wv := archsimd.BroadcastFloat32x16(w[t])
		a0 = a0.Add(wv.Mul(ld16(p0, 4*int(o))))
		b0 = b0.Add(wv.Mul(ld16(p1, 4*int(o))))
	}
	return a0, b0
}

// tapsAVX512 reads whole vectors of x (Taps' slack contract) and writes y
// through masks, two rows and 32 columns at a time: four chains of adds.
func tapsAVX512(y []float32, ys int, x []float32, xs int, rows, n int, offs []int32, w []float32, add bool) {
	w = w[:len(offs)]
	tapsSlack(x, xs, rows, n, offs, 32)
	for k := 0; k < n; k += 32 {
		c0, c1 := min(16, n-k), max(0, min(16, n-k-16)) // columns in each half
		m0 := archsimd.Mask32x16FromBits(uint16(1<<c0 - 1))
		m1 := archsimd.Mask32x16FromBits(uint16(1<<c1 - 1))
		for r := 0; r < rows; r += 2 {
			y0, p0 := y[r*ys+k:], unsafe.Pointer(&x[r*xs+k])
			var a0, a1, b0, b1 archsimd.Float32x16
			if r+1 == rows { // last row of an odd count
				if add {
					a0 = archsimd.LoadMaskedFloat32x16(at16(y0, 0, c0), m0)
					if c1 > 0 {
						a1 = archsimd.LoadMaskedFloat32x16(at16(y0, 16, c1), m1)
					}
				}
				for t, o := range offs {
					wv := archsimd.BroadcastFloat32x16(w[t])
					a0 = a0.Add(wv.Mul(ld16(p0, 4*int(o))))
					a1 = a1.Add(wv.Mul(ld16(p0, 4*int(o)+64)))
				}
				a0.StoreMasked(at16(y0, 0, c0), m0)
				if c1 > 0 {
					a1.StoreMasked(at16(y0, 16, c1), m1)
				}
				break
			}
			y1, p1 := y[(r+1)*ys+k:], unsafe.Pointer(&x[(r+1)*xs+k])
			if add {
				a0 = archsimd.LoadMaskedFloat32x16(at16(y0, 0, c0), m0)
				b0 = archsimd.LoadMaskedFloat32x16(at16(y1, 0, c0), m0)
				if c1 > 0 {
					a1 = archsimd.LoadMaskedFloat32x16(at16(y0, 16, c1), m1)
					b1 = archsimd.LoadMaskedFloat32x16(at16(y1, 16, c1), m1)
				}
			}
			if c1 > 0 {
				a0, a1, b0, b1 = taps2x32(p0, p1, offs, w, a0, a1, b0, b1)
				a1.StoreMasked(at16(y0, 16, c1), m1)
				b1.StoreMasked(at16(y1, 16, c1), m1)
			} else {
				a0, b0 = taps2x16(p0, p1, offs, w, a0, b0)
			}
			a0.StoreMasked(at16(y0, 0, c0), m0)
			b0.StoreMasked(at16(y1, 0, c0), m0)
		}
	}
	archsimd.ClearAVXUpperBits()
}

// at8 is at16 for eight lanes.
func at8(s []float32, i, c int) *[8]float32 {
	_ = s[i+c-1]
	return (*[8]float32)(unsafe.Pointer(&s[i]))
}

var iota8 = [8]int32{0, 1, 2, 3, 4, 5, 6, 7}

// mask8 selects the first c of eight lanes (AVX2: a comparison, not a mask
// register).
func mask8(c int) archsimd.Mask32x8 {
	return archsimd.LoadInt32x8(&iota8).Less(archsimd.BroadcastInt32x8(int32(c)))
}

// taps2x16AVX2 is the inner loop of tapsAVX2 (two rows of 16 columns).
func taps2x16AVX2(p0, p1 unsafe.Pointer, offs []int32, w []float32, a0, a1, b0, b1 archsimd.Float32x8) (archsimd.Float32x8, archsimd.Float32x8, archsimd.Float32x8, archsimd.Float32x8) {
	w = w[:len(offs)]
	for t, o := range offs {
		wv := archsimd.BroadcastFloat32x8(w[t])
		off := 4 * int(o)
		a0 = a0.Add(wv.Mul(ld8(p0, off)))
		a1 = a1.Add(wv.Mul(ld8(p0, off+32)))
		b0 = b0.Add(wv.Mul(ld8(p1, off)))
		b1 = b1.Add(wv.Mul(ld8(p1, off+32)))
	}
	return a0, a1, b0, b1
}

// taps2x8AVX2 is taps2x16AVX2 for two rows of at most 8 columns (planes 8
// wide or less, and the last 8 columns of a row).
func taps2x8AVX2(p0, p1 unsafe.Pointer, offs []int32, w []float32, a0, b0 archsimd.Float32x8) (archsimd.Float32x8, archsimd.Float32x8) {
	w = w[:len(offs)]
	for t, o := range offs {
		wv := archsimd.BroadcastFloat32x8(w[t])
		off := 4 * int(o)
		a0 = a0.Add(wv.Mul(ld8(p0, off)))
		b0 = b0.Add(wv.Mul(ld8(p1, off)))
	}
	return a0, b0
}

// tapsAVX2 is tapsAVX512 with eight lanes: two rows and 16 columns at a time.
func tapsAVX2(y []float32, ys int, x []float32, xs int, rows, n int, offs []int32, w []float32, add bool) {
	w = w[:len(offs)]
	tapsSlack(x, xs, rows, n, offs, 16)
	for k := 0; k < n; k += 16 {
		c0, c1 := min(8, n-k), max(0, min(8, n-k-8))
		m0, m1 := mask8(c0), mask8(c1)
		for r := 0; r < rows; r += 2 {
			y0, p0 := y[r*ys+k:], unsafe.Pointer(&x[r*xs+k])
			var a0, a1, b0, b1 archsimd.Float32x8
			if r+1 == rows {
				if add {
					a0 = archsimd.LoadMaskedFloat32x8(at8(y0, 0, c0), m0)
					if c1 > 0 {
						a1 = archsimd.LoadMaskedFloat32x8(at8(y0, 8, c1), m1)
					}
				}
				for t, o := range offs {
					wv := archsimd.BroadcastFloat32x8(w[t])
					a0 = a0.Add(wv.Mul(ld8(p0, 4*int(o))))
					if c1 > 0 {
						a1 = a1.Add(wv.Mul(ld8(p0, 4*int(o)+32)))
					}
				}
				a0.StoreMasked(at8(y0, 0, c0), m0)
				if c1 > 0 {
					a1.StoreMasked(at8(y0, 8, c1), m1)
				}
				break
			}
			y1, p1 := y[(r+1)*ys+k:], unsafe.Pointer(&x[(r+1)*xs+k])
			if add {
				a0 = archsimd.LoadMaskedFloat32x8(at8(y0, 0, c0), m0)
				b0 = archsimd.LoadMaskedFloat32x8(at8(y1, 0, c0), m0)
				if c1 > 0 {
					a1 = archsimd.LoadMaskedFloat32x8(at8(y0, 8, c1), m1)
					b1 = archsimd.LoadMaskedFloat32x8(at8(y1, 8, c1), m1)
				}
			}
			if c1 > 0 {
				a0, a1, b0, b1 = taps2x16AVX2(p0, p1, offs, w, a0, a1, b0, b1)
			} else { // 8 columns or fewer: half the work of taps2x16AVX2
				a0, b0 = taps2x8AVX2(p0, p1, offs, w, a0, b0)
			}
			a0.StoreMasked(at8(y0, 0, c0), m0)
			b0.StoreMasked(at8(y1, 0, c0), m0)
			if c1 > 0 {
				a1.StoreMasked(at8(y0, 8, c1), m1)
				b1.StoreMasked(at8(y1, 8, c1), m1)
			}
		}
	}
	archsimd.ClearAVXUpperBits()
}

func ld64(p unsafe.Pointer, off int) archsimd.Float64x8 {
	return archsimd.LoadFloat64x8((*[8]float64)(unsafe.Add(p, off)))
}

// lanes32 is laneDotsAVX512 over row pairs of 32 columns (byte strides gs,
// xs), on its own so that the eight accumulators stay in registers.
func lanes32(pg, px unsafe.Pointer, gs, xs, pairs int, a0, a1, a2, a3, b0, b1, b2, b3 archsimd.Float64x8) (archsimd.Float64x8, archsimd.Float64x8, archsimd.Float64x8, archsimd.Float64x8, archsimd.Float64x8, archsimd.Float64x8, archsimd.Float64x8, archsimd.Float64x8) {
	for i := 0; i < pairs; i++ {
		g0, x0 := 2*i*gs, 2*i*xs
		g1, x1 := g0+gs, x0+xs
		a0 = a0.Add(ld64(pg, g0).Mul(ld64(px, x0)))
		a1 = a1.Add(ld64(pg, g0+64).Mul(ld64(px, x0+64)))
		a2 = a2.Add(ld64(pg, g0+128).Mul(ld64(px, x0+128)))
		a3 = a3.Add(ld64(pg, g0+192).Mul(ld64(px, x0+192)))
		b0 = b0.Add(ld64(pg, g1).Mul(ld64(px, x1)))
		b1 = b1.Add(ld64(pg, g1+64).Mul(ld64(px, x1+64)))
		b2 = b2.Add(ld64(pg, g1+128).Mul(ld64(px, x1+128)))
		b3 = b3.Add(ld64(pg, g1+192).Mul(ld64(px, x1+192)))
	}
	return a0, a1, a2, a3, b0, b1, b2, b3
}

// lanes16 is lanes32 for rows of 16 columns.
func lanes16(pg, px unsafe.Pointer, gs, xs, pairs int, a0, a1, b0, b1 archsimd.Float64x8) (archsimd.Float64x8, archsimd.Float64x8, archsimd.Float64x8, archsimd.Float64x8) {
	for i := 0; i < pairs; i++ {
		g0, x0 := 2*i*gs, 2*i*xs
		g1, x1 := g0+gs, x0+xs
		a0 = a0.Add(ld64(pg, g0).Mul(ld64(px, x0)))
		a1 = a1.Add(ld64(pg, g0+64).Mul(ld64(px, x0+64)))
		b0 = b0.Add(ld64(pg, g1).Mul(ld64(px, x1)))
		b1 = b1.Add(ld64(pg, g1+64).Mul(ld64(px, x1+64)))
	}
	return a0, a1, b0, b1
}

// lanes8 is lanes32 for rows of at most 8 columns.
func lanes8(pg, px unsafe.Pointer, gs, xs, pairs int, a0, b0 archsimd.Float64x8) (archsimd.Float64x8, archsimd.Float64x8) {
	for i := 0; i < pairs; i++ {
		g0, x0 := 2*i*gs, 2*i*xs
		a0 = a0.Add(ld64(pg, g0).Mul(ld64(px, x0)))
		b0 = b0.Add(ld64(pg, g0+gs).Mul(ld64(px, x0+xs)))
	}
	return a0, b0
}

// laneDotsAVX512 keeps the 64 lanes in eight registers (row parity p, lanes
// 32p+8q .. 32p+8q+7 in register q) and reads whole vectors (LaneDots'
// padding contract: g is zero from n to the next multiple of 8).
func laneDotsAVX512(acc *[DotLanes]float64, g []float64, gs int, x []float64, xs int, rows, n int) {
	lane := func(i int) *[8]float64 { return (*[8]float64)(acc[8*i : 8*i+8]) }
	a0, a1, a2, a3 := archsimd.LoadFloat64x8(lane(0)), archsimd.LoadFloat64x8(lane(1)), archsimd.LoadFloat64x8(lane(2)), archsimd.LoadFloat64x8(lane(3))
	b0, b1, b2, b3 := archsimd.LoadFloat64x8(lane(4)), archsimd.LoadFloat64x8(lane(5)), archsimd.LoadFloat64x8(lane(6)), archsimd.LoadFloat64x8(lane(7))
	n8 := (n + 7) &^ 7
	r0 := 0
	if pairs := rows / 2; pairs > 0 && (n8 == 8 || n8 == 16 || n8 == 32) {
		// whole row pairs through unchecked pointers (bounds checked here)
		_, _ = g[(rows-1)*gs+n8-1], x[(rows-1)*xs+n8-1]
		pg, px := unsafe.Pointer(&g[0]), unsafe.Pointer(&x[0])
		switch n8 {
		case 32:
			a0, a1, a2, a3, b0, b1, b2, b3 = lanes32(pg, px, 8*gs, 8*xs, pairs, a0, a1, a2, a3, b0, b1, b2, b3)
		case 16:
			a0, a1, b0, b1 = lanes16(pg, px, 8*gs, 8*xs, pairs, a0, a1, b0, b1)
		default:
			a0, b0 = lanes8(pg, px, 8*gs, 8*xs, pairs, a0, b0)
		}
		r0 = 2 * pairs
		if r0 < rows { // the odd last row, its e = n8 columns read the same way
			pg, px = unsafe.Add(pg, 8*r0*gs), unsafe.Add(px, 8*r0*xs)
			a0 = a0.Add(ld64(pg, 0).Mul(ld64(px, 0)))
			if n8 > 8 {
				a1 = a1.Add(ld64(pg, 64).Mul(ld64(px, 64)))
			}
			if n8 > 16 {
				a2 = a2.Add(ld64(pg, 128).Mul(ld64(px, 128)))
				a3 = a3.Add(ld64(pg, 192).Mul(ld64(px, 192)))
			}
			r0 = rows
		}
	}
	for r := r0; r < rows; r += 2 {
		pair := r+1 < rows
		for k := 0; k < n8; k += 32 {
			e := min(n8-k, 32) // 8, 16, 24 or 32 columns
			g0, x0 := g[r*gs+k:r*gs+k+e], x[r*xs+k:r*xs+k+e]
			a0 = a0.Add(archsimd.LoadFloat64x8Slice(g0).Mul(archsimd.LoadFloat64x8Slice(x0)))
			if e > 8 {
				a1 = a1.Add(archsimd.LoadFloat64x8Slice(g0[8:]).Mul(archsimd.LoadFloat64x8Slice(x0[8:])))
			}
			if e > 16 {
				a2 = a2.Add(archsimd.LoadFloat64x8Slice(g0[16:]).Mul(archsimd.LoadFloat64x8Slice(x0[16:])))
			}
			if e > 24 {
				a3 = a3.Add(archsimd.LoadFloat64x8Slice(g0[24:]).Mul(archsimd.LoadFloat64x8Slice(x0[24:])))
			}
			if !pair {
				continue
			}
			g1, x1 := g[(r+1)*gs+k:(r+1)*gs+k+e], x[(r+1)*xs+k:(r+1)*xs+k+e]
			b0 = b0.Add(archsimd.LoadFloat64x8Slice(g1).Mul(archsimd.LoadFloat64x8Slice(x1)))
			if e > 8 {
				b1 = b1.Add(archsimd.LoadFloat64x8Slice(g1[8:]).Mul(archsimd.LoadFloat64x8Slice(x1[8:])))
			}
			if e > 16 {
				b2 = b2.Add(archsimd.LoadFloat64x8Slice(g1[16:]).Mul(archsimd.LoadFloat64x8Slice(x1[16:])))
			}
			if e > 24 {
				b3 = b3.Add(archsimd.LoadFloat64x8Slice(g1[24:]).Mul(archsimd.LoadFloat64x8Slice(x1[24:])))
			}
		}
	}
	a0.Store(lane(0))
	a1.Store(lane(1))
	a2.Store(lane(2))
	a3.Store(lane(3))
	b0.Store(lane(4))
	b1.Store(lane(5))
	b2.Store(lane(6))
	b3.Store(lane(7))
	archsimd.ClearAVXUpperBits()
}

// laneDotsAVX2 makes two passes, columns k mod 32 < 16 and then the rest,
// each with eight Float64x4 registers (row parity p, lanes 32p+h+4q .. +3
// in register q of pass h = 0, 16). Rows of 8, 16 or 32 columns (planes 4-8,
// 9-16 and 25-32 wide: every plane of the DARTS networks on 28x28 images)
// go through unchecked pointers, whole row pairs at a time (lanes4x16,
// lanes4x8), as in laneDotsAVX512.
func laneDotsAVX2(acc *[DotLanes]float64, g []float64, gs int, x []float64, xs int, rows, n int) {
	n8 := (n + 7) &^ 7
	for h := 0; h < min(n8, 32); h += 16 {
		lane := func(p, q int) *[4]float64 { return (*[4]float64)(acc[32*p+h+4*q : 32*p+h+4*q+4]) }
		a0, a1, a2, a3 := archsimd.LoadFloat64x4(lane(0, 0)), archsimd.LoadFloat64x4(lane(0, 1)), archsimd.LoadFloat64x4(lane(0, 2)), archsimd.LoadFloat64x4(lane(0, 3))
		b0, b1, b2, b3 := archsimd.LoadFloat64x4(lane(1, 0)), archsimd.LoadFloat64x4(lane(1, 1)), archsimd.LoadFloat64x4(lane(1, 2)), archsimd.LoadFloat64x4(lane(1, 3))
		r0 := 0
		if pairs := rows / 2; pairs > 0 && (n8 == 8 || n8 == 16 || n8 == 32) {
			// columns h .. h+e-1 of whole row pairs (bounds checked here)
			e := min(n8-h, 16)
			_, _ = g[(rows-1)*gs+h+e-1], x[(rows-1)*xs+h+e-1]
			pg, px := unsafe.Pointer(&g[h]), unsafe.Pointer(&x[h])
			if e == 16 {
				a0, a1, a2, a3, b0, b1, b2, b3 = lanes4x16(pg, px, 8*gs, 8*xs, pairs, a0, a1, a2, a3, b0, b1, b2, b3)
			} else {
				a0, a1, b0, b1 = lanes4x8(pg, px, 8*gs, 8*xs, pairs, a0, a1, b0, b1)
			}
			r0 = 2 * pairs
		}
		for r := r0; r < rows; r += 2 {
			for k := h; k < n8; k += 32 {
				e := min(n8-k, 16) // 8 or 16 columns
				g0, x0 := g[r*gs+k:r*gs+k+e], x[r*xs+k:r*xs+k+e]
				a0 = a0.Add(archsimd.LoadFloat64x4Slice(g0).Mul(archsimd.LoadFloat64x4Slice(x0)))
				a1 = a1.Add(archsimd.LoadFloat64x4Slice(g0[4:]).Mul(archsimd.LoadFloat64x4Slice(x0[4:])))
				if e > 8 {
					a2 = a2.Add(archsimd.LoadFloat64x4Slice(g0[8:]).Mul(archsimd.LoadFloat64x4Slice(x0[8:])))
					a3 = a3.Add(archsimd.LoadFloat64x4Slice(g0[12:]).Mul(archsimd.LoadFloat64x4Slice(x0[12:])))
				}
				if r+1 == rows {
					continue
				}
				g1, x1 := g[(r+1)*gs+k:(r+1)*gs+k+e], x[(r+1)*xs+k:(r+1)*xs+k+e]
				b0 = b0.Add(archsimd.LoadFloat64x4Slice(g1).Mul(archsimd.LoadFloat64x4Slice(x1)))
				b1 = b1.Add(archsimd.LoadFloat64x4Slice(g1[4:]).Mul(archsimd.LoadFloat64x4Slice(x1[4:])))
				if e > 8 {
					b2 = b2.Add(archsimd.LoadFloat64x4Slice(g1[8:]).Mul(archsimd.LoadFloat64x4Slice(x1[8:])))
					b3 = b3.Add(archsimd.LoadFloat64x4Slice(g1[12:]).Mul(archsimd.LoadFloat64x4Slice(x1[12:])))
				}
			}
		}
		a0.Store(lane(0, 0))
		a1.Store(lane(0, 1))
		a2.Store(lane(0, 2))
		a3.Store(lane(0, 3))
		b0.Store(lane(1, 0))
		b1.Store(lane(1, 1))
		b2.Store(lane(1, 2))
		b3.Store(lane(1, 3))
	}
	archsimd.ClearAVXUpperBits()
}

// ld4 loads a Float64x4 at byte offset off from p (inside the slice that
// laneDotsAVX2 checked).
func ld4(p unsafe.Pointer, off int) archsimd.Float64x4 {
	return archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(p, off)))
}

// lanes4x16 is laneDotsAVX2 over row pairs of 16 columns (byte strides gs,
// xs), on its own so that the eight accumulators stay in registers.
func lanes4x16(pg, px unsafe.Pointer, gs, xs, pairs int, a0, a1, a2, a3, b0, b1, b2, b3 archsimd.Float64x4) (archsimd.Float64x4, archsimd.Float64x4, archsimd.Float64x4, archsimd.Float64x4, archsimd.Float64x4, archsimd.Float64x4, archsimd.Float64x4, archsimd.Float64x4) {
	for i := 0; i < pairs; i++ {
		g0, x0 := 2*i*gs, 2*i*xs
		g1, x1 := g0+gs, x0+xs
		a0 = a0.Add(ld4(pg, g0).Mul(ld4(px, x0)))
		a1 = a1.Add(ld4(pg, g0+32).Mul(ld4(px, x0+32)))
		a2 = a2.Add(ld4(pg, g0+64).Mul(ld4(px, x0+64)))
		a3 = a3.Add(ld4(pg, g0+96).Mul(ld4(px, x0+96)))
		b0 = b0.Add(ld4(pg, g1).Mul(ld4(px, x1)))
		b1 = b1.Add(ld4(pg, g1+32).Mul(ld4(px, x1+32)))
		b2 = b2.Add(ld4(pg, g1+64).Mul(ld4(px, x1+64)))
		b3 = b3.Add(ld4(pg, g1+96).Mul(ld4(px, x1+96)))
	}
	return a0, a1, a2, a3, b0, b1, b2, b3
}

// lanes4x8 is lanes4x16 for rows of 8 columns.
func lanes4x8(pg, px unsafe.Pointer, gs, xs, pairs int, a0, a1, b0, b1 archsimd.Float64x4) (archsimd.Float64x4, archsimd.Float64x4, archsimd.Float64x4, archsimd.Float64x4) {
	for i := 0; i < pairs; i++ {
		g0, x0 := 2*i*gs, 2*i*xs
		g1, x1 := g0+gs, x0+xs
		a0 = a0.Add(ld4(pg, g0).Mul(ld4(px, x0)))
		a1 = a1.Add(ld4(pg, g0+32).Mul(ld4(px, x0+32)))
		b0 = b0.Add(ld4(pg, g1).Mul(ld4(px, x1)))
		b1 = b1.Add(ld4(pg, g1+32).Mul(ld4(px, x1+32)))
	}
	return a0, a1, b0, b1
}

// MulAdd is dst (+)= a·x (see MulAddOf): the same rounded product and add
// per element on every body.
func MulAdd(dst, x []float32, a float32, add bool) {
	x = x[:len(dst)]
	n := len(dst)
	var k int
	switch {
	case archsimd.X86.AVX512():
		av := archsimd.BroadcastFloat32x16(a)
		for k = 0; k+16 <= n; k += 16 {
			p := av.Mul(archsimd.LoadFloat32x16Slice(x[k : k+16]))
			if add {
				p = archsimd.LoadFloat32x16Slice(dst[k : k+16]).Add(p)
			}
			p.StoreSlice(dst[k : k+16])
		}
		archsimd.ClearAVXUpperBits()
	case archsimd.X86.AVX2():
		av := archsimd.BroadcastFloat32x8(a)
		for k = 0; k+8 <= n; k += 8 {
			p := av.Mul(archsimd.LoadFloat32x8Slice(x[k : k+8]))
			if add {
				p = archsimd.LoadFloat32x8Slice(dst[k : k+8]).Add(p)
			}
			p.StoreSlice(dst[k : k+8])
		}
		archsimd.ClearAVXUpperBits()
	}
	MulAddOf(dst[k:], x[k:], a, add)
}

// MaxTaps is the argmax of a max pool over integer keys (see maxtaps.go).
func MaxTaps(bi []int32, bs int, keys []int32, ks, rows, n int, offs, io []int32, ir, ic int32) {
	switch {
	case archsimd.X86.AVX512():
		maxTapsAVX512(bi, bs, keys, ks, rows, n, offs, io, ir, ic)
	case archsimd.X86.AVX2():
		maxTapsAVX2(bi, bs, keys, ks, rows, n, offs, io, ir, ic)
	default:
		MaxTapsOf(bi, bs, keys, ks, rows, n, offs, io, ir, ic)
	}
}

var iota16 = [16]int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

func at16i(s []int32, i, c int) *[16]int32 {
	_ = s[i+c-1]
	return (*[16]int32)(unsafe.Pointer(&s[i]))
}

func at8i(s []int32, i, c int) *[8]int32 {
	_ = s[i+c-1]
	return (*[8]int32)(unsafe.Pointer(&s[i]))
}

// maxTapsAVX512 takes 16 outputs of a row at a time: strict "greater" and
// merges keep the first maximum, as the scalar loop does.
func maxTapsAVX512(bi []int32, bs int, keys []int32, ks, rows, n int, offs, io []int32, ir, ic int32) {
	io = io[:len(offs)]
	cols := archsimd.LoadInt32x16(&iota16).Mul(archsimd.BroadcastInt32x16(ic))
	for r := 0; r < rows; r++ {
		for k := 0; k < n; k += 16 {
			c := min(16, n-k)
			best := archsimd.BroadcastInt32x16(-1 << 31)
			var idx archsimd.Int32x16
			kr := keys[r*ks+k:]
			for t, o := range offs {
				v := archsimd.LoadInt32x16Slice(kr[o : o+16])
				m := v.Greater(best)
				best = v.Merge(best, m)
				idx = archsimd.BroadcastInt32x16(io[t]).Merge(idx, m)
			}
			idx = idx.Add(cols).Add(archsimd.BroadcastInt32x16(int32(r)*ir + int32(k)*ic))
			idx.StoreMasked(at16i(bi, r*bs+k, c), archsimd.Mask32x16FromBits(uint16(1<<c-1)))
		}
	}
	archsimd.ClearAVXUpperBits()
}

func maxTapsAVX2(bi []int32, bs int, keys []int32, ks, rows, n int, offs, io []int32, ir, ic int32) {
	io = io[:len(offs)]
	cols := archsimd.LoadInt32x8(&iota8).Mul(archsimd.BroadcastInt32x8(ic))
	for r := 0; r < rows; r++ {
		for k := 0; k < n; k += 8 {
			c := min(8, n-k)
			best := archsimd.BroadcastInt32x8(-1 << 31)
			var idx archsimd.Int32x8
			kr := keys[r*ks+k:]
			for t, o := range offs {
				v := archsimd.LoadInt32x8Slice(kr[o : o+8])
				m := v.Greater(best)
				best = v.Merge(best, m)
				idx = archsimd.BroadcastInt32x8(io[t]).Merge(idx, m)
			}
			idx = idx.Add(cols).Add(archsimd.BroadcastInt32x8(int32(r)*ir + int32(k)*ic))
			idx.StoreMasked(at8i(bi, r*bs+k, c), mask8(c))
		}
	}
	archsimd.ClearAVXUpperBits()
}
