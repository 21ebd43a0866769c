package datasets

import "math"

// axisWeights maps an axis of length in to one of length out: output o is
// sum_k w[k] * in[idx[k]] for k in off[o]..off[o+1]-1.
type axisWeights struct {
	in, out int
	off     []int
	idx     []int
	w       []float32
}

// newAxisWeights builds area-averaging weights when out <= in (each output
// pixel is the mean of the input interval [o*in/out, (o+1)*in/out), partial
// pixels weighted by their overlap) and bilinear weights (half-pixel centres,
// edges clamped) when out > in.
func newAxisWeights(in, out int) *axisWeights {
	a := &axisWeights{in: in, out: out, off: make([]int, out+1)}
	if out <= in {
		scale := float64(in) / float64(out)
		for o := 0; o < out; o++ {
			lo, hi := float64(o)*scale, float64(o+1)*scale
			for j := int(math.Floor(lo)); j < in && float64(j) < hi; j++ {
				ov := math.Min(hi, float64(j+1)) - math.Max(lo, float64(j))
				if ov <= 1e-12 {
					continue
				}
				a.idx = append(a.idx, j)
				a.w = append(a.w, float32(ov/scale))
			}
			a.off[o+1] = len(a.idx)
		}
		return a
	}
	scale := float64(in) / float64(out)
	for o := 0; o < out; o++ {
		x := (float64(o)+0.5)*scale - 0.5
		if x < 0 {
			x = 0
		}
		j := int(math.Floor(x))
		if j >= in-1 {
			a.idx = append(a.idx, in-1)
			a.w = append(a.w, 1)
		} else {
			f := x - float64(j)
			a.idx = append(a.idx, j, j+1)
			a.w = append(a.w, float32(1-f), float32(f))
		}
		a.off[o+1] = len(a.idx)
	}
	return a
}

// resizer resizes single planes of h x w to oh x ow.
type resizer struct {
	ry, rx *axisWeights
	tmp    []float32 // h x ow after the horizontal pass
}

func newResizer(h, w, oh, ow int) *resizer {
	return &resizer{ry: newAxisWeights(h, oh), rx: newAxisWeights(w, ow), tmp: make([]float32, h*ow)}
}

// plane resizes src (h*w values) into dst (oh*ow values).
func (r *resizer) plane(dst, src []float32) {
	h, w, ow := r.ry.in, r.rx.in, r.rx.out
	for y := 0; y < h; y++ {
		row := src[y*w : (y+1)*w]
		trow := r.tmp[y*ow : (y+1)*ow]
		for o := 0; o < ow; o++ {
			var s float32
			for k := r.rx.off[o]; k < r.rx.off[o+1]; k++ {
				s += r.rx.w[k] * row[r.rx.idx[k]]
			}
			trow[o] = s
		}
	}
	for o := 0; o < r.ry.out; o++ {
		drow := dst[o*ow : (o+1)*ow]
		for x := range drow {
			drow[x] = 0
		}
		for k := r.ry.off[o]; k < r.ry.off[o+1]; k++ {
			wk := r.ry.w[k]
			trow := r.tmp[r.ry.idx[k]*ow : (r.ry.idx[k]+1)*ow]
			for x, v := range trow {
				drow[x] += wk * v
			}
		}
	}
}

// toByte rounds a value in [0, 255] to a uint8, clamping.
func toByte(v float32) uint8 {
	v += 0.5
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v)
}

// resizeBytes resizes a channel-major uint8 image of c planes h x w into dst
// (c planes oh x ow) with scratch buffers fin and fout of h*w and oh*ow.
func (r *resizer) resizeBytes(dst, src []uint8, c int, fin, fout []float32) {
	h, w, oh, ow := r.ry.in, r.rx.in, r.ry.out, r.rx.out
	for ch := 0; ch < c; ch++ {
		s := src[ch*h*w : (ch+1)*h*w]
		for j, p := range s {
			fin[j] = float32(p)
		}
		r.plane(fout, fin)
		d := dst[ch*oh*ow : (ch+1)*oh*ow]
		for j, v := range fout {
			d[j] = toByte(v)
		}
	}
}
