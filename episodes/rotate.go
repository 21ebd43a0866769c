package episodes

import "fmt"

// Rotated is a Source that turns each class c of Base into the 4 classes
// 4*c+r, r = 0..3, and each image i into the 4 virtual images 4*i+r: image
// 4*i+r is image i rotated counter-clockwise by r*90 degrees (as numpy's
// rot90(img, k=r) on each channel), and it belongs to class 4*label(i)+r.
type Rotated struct {
	Base    Source
	classes [][]int
}

// NewRotated wraps base; its images must be square.
func NewRotated(base Source) (*Rotated, error) {
	_, h, w := base.ImageShape()
	if h != w {
		return nil, fmt.Errorf("rotations need square images, have %dx%d", h, w)
	}
	n := base.NumClasses()
	rot := &Rotated{Base: base, classes: make([][]int, 4*n)}
	for c := 0; c < n; c++ {
		idx := base.ClassIndices(c)
		flat := make([]int, 4*len(idx))
		for r := 0; r < 4; r++ {
			l := flat[r*len(idx) : (r+1)*len(idx) : (r+1)*len(idx)]
			for j, i := range idx {
				l[j] = 4*i + r
			}
			rot.classes[4*c+r] = l
		}
	}
	return rot, nil
}

// NumClasses returns 4 * Base.NumClasses().
func (s *Rotated) NumClasses() int { return len(s.classes) }

// ClassIndices returns the virtual images 4*i+r of virtual class 4*c+r.
func (s *Rotated) ClassIndices(c int) []int { return s.classes[c] }

// ImageShape returns the base shape.
func (s *Rotated) ImageShape() (c, h, w int) { return s.Base.ImageShape() }

// Image writes virtual image v = 4*i+r: base image i rotated by r*90
// degrees counter-clockwise.
func (s *Rotated) Image(dst []float32, v int) {
	s.Base.Image(dst, v/4)
	c, n, _ := s.Base.ImageShape()
	for ch := 0; ch < c; ch++ {
		rotatePlane(dst[ch*n*n:(ch+1)*n*n], n, v%4)
	}
}

// RotatedClasses maps base classes to their 4 virtual classes each
// (4*c, 4*c+1, 4*c+2, 4*c+3), so that a split of base classes keeps all
// rotations of a class on the same side.
func RotatedClasses(base []int) []int {
	out := make([]int, 0, 4*len(base))
	for _, c := range base {
		out = append(out, 4*c, 4*c+1, 4*c+2, 4*c+3)
	}
	return out
}

// rotatePlane rotates an n x n row-major plane in place by r*90 degrees
// counter-clockwise: new(y, x) = old(x, n-1-y) for r = 1.
func rotatePlane(p []float32, n, r int) {
	switch r {
	case 0:
		return
	case 2:
		for a, b := 0, n*n-1; a < b; a, b = a+1, b-1 {
			p[a], p[b] = p[b], p[a]
		}
		return
	}
	for y := 0; y < n/2; y++ {
		for x := y; x < n-1-y; x++ {
			p0 := y*n + x
			p1 := (n-1-x)*n + y
			p2 := (n-1-y)*n + (n - 1 - x)
			p3 := x*n + (n - 1 - y)
			if r == 1 {
				p[p0], p[p1], p[p2], p[p3] = p[p3], p[p0], p[p1], p[p2]
			} else { // r == 3: the inverse cycle
				p[p0], p[p1], p[p2], p[p3] = p[p1], p[p2], p[p3], p[p0]
			}
		}
	}
}
