package episodes

import "fmt"

// shiftSalt separates the shift streams from the episode streams of the
// same seed: the shifts of task i never reuse episode i's draws.
const shiftSalt = 0x5A17_0F_5EED_C0DE

// ShiftImages translates each of the n images of an NCHW float32 batch x
// (c planes of h x w) by its own integer offset (dy, dx), each drawn
// uniformly from [-max, max], filling the pixels shifted in with 0:
//
//	out[y][x] = in[y-dy][x-dx]  where 0 <= y-dy < h and 0 <= x-dx < w, else 0.
//
// All planes of an image move together. The offsets come from the stream
// (seed ^ salt, index), image by image in batch order, so they depend on
// nothing but (seed, index, n): the same task is shifted the same way on
// any machine, in any order of calls, and after a resume. max 0 leaves x
// unchanged. It is a training-time augmentation (MAML's Omniglot protocol
// uses only rotations; see data.shift in the experiment files).
func ShiftImages(x []float32, n, c, h, w, max int, seed, index uint64) error {
	if max < 0 {
		return fmt.Errorf("episodes: shift of %d pixels: must be >= 0", max)
	}
	if len(x) != n*c*h*w {
		return fmt.Errorf("episodes: shift: batch of %d values, want %d x %d x %d x %d", len(x), n, c, h, w)
	}
	if max == 0 || n == 0 {
		return nil
	}
	if max >= h || max >= w {
		return fmt.Errorf("episodes: shift of %d pixels on %dx%d images: must be below the image size", max, h, w)
	}
	r := newRNG(seed^shiftSalt, index)
	tmp := make([]float32, h*w)
	for i := 0; i < n; i++ {
		dy := r.intN(2*max+1) - max
		dx := r.intN(2*max+1) - max
		if dy == 0 && dx == 0 {
			continue
		}
		for p := 0; p < c; p++ {
			plane := x[(i*c+p)*h*w : (i*c+p+1)*h*w]
			shiftPlane(tmp, plane, h, w, dy, dx)
			copy(plane, tmp)
		}
	}
	return nil
}

// shiftPlane writes in shifted by (dy, dx) into out (zero fill).
func shiftPlane(out, in []float32, h, w, dy, dx int) {
	clear(out)
	x0, x1 := max(0, dx), min(w, w+dx) // destination columns
	for y := max(0, dy); y < min(h, h+dy); y++ {
		src := (y-dy)*w + x0 - dx
		copy(out[y*w+x0:y*w+x1], in[src:src+x1-x0])
	}
}
