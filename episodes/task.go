package episodes

import "math"

// Task is a batch of images in float32 NCHW with labels 0..ways-1. Its
// buffers are reused by the Materialize functions: a Task that has held a
// task of at least the same size is refilled without allocating.
type Task struct {
	X          []float32 // N*C*H*W values, image j at X[j*C*H*W:]
	Y          []int32   // N labels
	N, C, H, W int

	scratch []float32 // one source image before resizing
	rs      *planeResizer
	seen    []int
}

// Labels returns a copy of the labels as ints, the form the learners'
// batches take.
func (t *Task) Labels() []int {
	out := make([]int, len(t.Y))
	for i, v := range t.Y {
		out[i] = int(v)
	}
	return out
}

func (t *Task) shape(n, c, h, w int) {
	t.N, t.C, t.H, t.W = n, c, h, w
	if cap(t.X) < n*c*h*w {
		t.X = make([]float32, n*c*h*w)
	}
	t.X = t.X[:n*c*h*w]
	if cap(t.Y) < n {
		t.Y = make([]int32, n)
	}
	t.Y = t.Y[:n]
}

// load writes the images into t.X at their native size (size <= 0) or
// resized to size x size (area averaging when shrinking, bilinear when
// enlarging; see planeResizer).
func (t *Task) load(src Source, indices []int, size int) {
	c, h, w := src.ImageShape()
	if size <= 0 || (size == h && size == w) {
		t.shape(len(indices), c, h, w)
		sz := c * h * w
		for j, i := range indices {
			src.Image(t.X[j*sz:(j+1)*sz], i)
		}
		return
	}
	t.shape(len(indices), c, size, size)
	if cap(t.scratch) < c*h*w {
		t.scratch = make([]float32, c*h*w)
	}
	img := t.scratch[:c*h*w]
	if t.rs == nil || t.rs.ry.in != h || t.rs.rx.in != w || t.rs.ry.out != size || t.rs.rx.out != size {
		t.rs = newPlaneResizer(h, w, size, size)
	}
	osz := c * size * size
	for j, i := range indices {
		src.Image(img, i)
		out := t.X[j*osz : (j+1)*osz]
		for ch := 0; ch < c; ch++ {
			t.rs.plane(out[ch*size*size:(ch+1)*size*size], img[ch*h*w:(ch+1)*h*w])
		}
	}
}

// Materialize loads the images indices of src into dst at their native size,
// with dst.Y[j] = the rank of labels[j] among the distinct labels in order of
// first appearance (so labels become 0..K-1). It panics if len(labels) !=
// len(indices).
func Materialize(dst *Task, src Source, indices []int, labels []int) {
	MaterializeResized(dst, src, indices, labels, 0)
}

// MaterializeResized is Materialize with every image resized to size x size
// (size <= 0 keeps the native size).
func MaterializeResized(dst *Task, src Source, indices []int, labels []int, size int) {
	if len(labels) != len(indices) {
		panic("episodes: Materialize with len(labels) != len(indices)")
	}
	dst.load(src, indices, size)
	dst.seen = dst.seen[:0]
	for j, l := range labels {
		k := -1
		for u, s := range dst.seen {
			if s == l {
				k = u
				break
			}
		}
		if k < 0 {
			k = len(dst.seen)
			dst.seen = append(dst.seen, l)
		}
		dst.Y[j] = int32(k)
	}
}

// MaterializeEpisode loads the support and query images of ep into support
// and query, with labels given by the episode layout (image j of the support
// set has label j/shots, of the query set j/queries).
func MaterializeEpisode(support, query *Task, src Source, ep *Episode) {
	MaterializeEpisodeResized(support, query, src, ep, 0)
}

// MaterializeEpisodeResized is MaterializeEpisode with images resized to
// size x size (size <= 0 keeps the native size).
func MaterializeEpisodeResized(support, query *Task, src Source, ep *Episode, size int) {
	support.load(src, ep.Support, size)
	layoutLabels(support.Y, ep.Shots())
	query.load(src, ep.Query, size)
	layoutLabels(query.Y, ep.Queries())
}

func layoutLabels(y []int32, per int) {
	if per == 0 {
		return
	}
	for j := range y {
		y[j] = int32(j / per)
	}
}

// planeResizer resizes float32 planes separably; see newAxis for weights.
type planeResizer struct {
	ry, rx axis
	tmp    []float32
}

// axis maps in samples to out: out(o) = sum_k w[k] * in(idx[k]),
// k in off[o]..off[o+1]-1.
type axis struct {
	in, out int
	off     []int
	idx     []int
	w       []float32
}

// newAxis builds area-averaging weights when shrinking (output o averages
// the input interval [o*s, (o+1)*s), s = in/out, partial pixels weighted by
// their overlap) and bilinear weights with half-pixel centres and clamped
// edges when enlarging (x = (o+0.5)*s - 0.5).
func newAxis(in, out int) axis {
	a := axis{in: in, out: out, off: make([]int, out+1)}
	s := float64(in) / float64(out)
	for o := 0; o < out; o++ {
		if out <= in {
			lo, hi := float64(o)*s, float64(o+1)*s
			for j := int(math.Floor(lo)); j < in && float64(j) < hi; j++ {
				ov := math.Min(hi, float64(j+1)) - math.Max(lo, float64(j))
				if ov > 1e-12 {
					a.idx = append(a.idx, j)
					a.w = append(a.w, float32(ov/s))
				}
			}
		} else {
			x := math.Max((float64(o)+0.5)*s-0.5, 0)
			j := int(x)
			if j >= in-1 {
				a.idx = append(a.idx, in-1)
				a.w = append(a.w, 1)
			} else {
				f := x - float64(j)
				a.idx = append(a.idx, j, j+1)
				a.w = append(a.w, float32(1-f), float32(f))
			}
		}
		a.off[o+1] = len(a.idx)
	}
	return a
}

func newPlaneResizer(h, w, oh, ow int) *planeResizer {
	return &planeResizer{ry: newAxis(h, oh), rx: newAxis(w, ow), tmp: make([]float32, h*ow)}
}

func (r *planeResizer) plane(dst, src []float32) {
	h, w, ow := r.ry.in, r.rx.in, r.rx.out
	for y := 0; y < h; y++ {
		row := src[y*w : (y+1)*w]
		trow := r.tmp[y*ow : (y+1)*ow]
		for o := range trow {
			var s float32
			for k := r.rx.off[o]; k < r.rx.off[o+1]; k++ {
				s += r.rx.w[k] * row[r.rx.idx[k]]
			}
			trow[o] = s
		}
	}
	for o := 0; o < r.ry.out; o++ {
		drow := dst[o*ow : (o+1)*ow]
		clear(drow)
		for k := r.ry.off[o]; k < r.ry.off[o+1]; k++ {
			wk := r.ry.w[k]
			trow := r.tmp[r.ry.idx[k]*ow : (r.ry.idx[k]+1)*ow]
			for x, v := range trow {
				drow[x] += wk * v
			}
		}
	}
}
