package vec

import "math"

// MaxPool2x2Row pools one output row of a 2x2, stride 2 max pool: output c
// is the maximum of r0[2c], r0[2c+1], r1[2c], r1[2c+1] (in that order, the
// first strictly larger wins; -0 equals +0; NaN beats every number, the
// first NaN winning), written to ys[c], and is[c] gets the flat index of
// the winner: off0 + column for r0, off1 + column for r1. r0 and r1 must
// hold at least 2*len(ys) values.
func MaxPool2x2Row(ys []float32, is []int32, r0, r1 []float32, off0, off1 int32) {
	maxPool2x2Row(ys, is, r0, r1, off0, off1)
}

// poolKey maps a float32 to an int32 with the order of the pooling rule:
// the magnitude bits, negated for negative numbers (-0 and +0 give 0), and
// MaxInt32 for every NaN.
func poolKey(v float32) int32 {
	b := int32(math.Float32bits(v))
	neg := b >> 31
	m := b & 0x7fffffff
	k := (m ^ neg) - neg
	nan := (0x7f800000 - m) >> 31
	return (k &^ nan) | (nan & 0x7fffffff)
}

func maxPool2x2RowScalar(ys []float32, is []int32, r0, r1 []float32, off0, off1 int32) {
	is = is[:len(ys)]
	r0, r1 = r0[:2*len(ys)], r1[:2*len(ys)]
	for c := range ys {
		a0, a1, b0, b1 := r0[2*c], r0[2*c+1], r1[2*c], r1[2*c+1]
		best, bi, bv := poolKey(a0), off0+int32(2*c), a0
		if k := poolKey(a1); k > best {
			best, bi, bv = k, off0+int32(2*c+1), a1
		}
		if k := poolKey(b0); k > best {
			best, bi, bv = k, off1+int32(2*c), b0
		}
		if k := poolKey(b1); k > best {
			bi, bv = off1+int32(2*c+1), b1
		}
		ys[c], is[c] = bv, bi
	}
}

// MaskedUnpool2x2Row writes two full input rows of the backward of a 2x2,
// stride 2 max pool (the inverse of MaxPool2x2Row): for window c, the cell
// whose flat index is is[c] (off0 + column in r0, off1 + column in r1)
// gets gs[c] and the three others 0; a window with is[c] < 0 (dropped) gets
// four zeros. r0 and r1 receive 2*len(gs) values each.
func MaskedUnpool2x2Row(r0, r1, gs []float32, is []int32, off0, off1 int32) {
	maskedUnpool2x2Row(r0, r1, gs, is, off0, off1)
}

func maskedUnpool2x2RowScalar(r0, r1, gs []float32, is []int32, off0, off1 int32) {
	is = is[:len(gs)]
	r0, r1 = r0[:2*len(gs)], r1[:2*len(gs)]
	for c, g := range gs {
		i := is[c]
		r0[2*c], r0[2*c+1], r1[2*c], r1[2*c+1] = 0, 0, 0, 0
		switch i {
		case off0 + int32(2*c):
			r0[2*c] = g
		case off0 + int32(2*c+1):
			r0[2*c+1] = g
		case off1 + int32(2*c):
			r1[2*c] = g
		case off1 + int32(2*c+1):
			r1[2*c+1] = g
		}
	}
}
