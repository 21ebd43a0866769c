package datasets

import (
	"errors"
	"fmt"
	"strings"
)

// Dataset is a labelled image source held in memory as uint8 pixels.
//
// Pixels holds Len()*C*H*W bytes: image i occupies
// Pixels[i*C*H*W : (i+1)*C*H*W], channel-major (all of channel 0 row by row,
// then channel 1, ...). Labels[i] is the class of image i, in 0..NumClasses()-1.
// ClassNames[c] names class c; ClassGroups, when not nil, gives the group of
// each class (the alphabet for Omniglot).
//
// A Dataset built by hand must be finalised with Index before ClassIndices is
// called; every reader in this package returns an indexed Dataset.
type Dataset struct {
	Name, Format, Path string
	C, H, W            int
	Pixels             []uint8
	Labels             []int32
	ClassNames         []string
	ClassGroups        []string

	byClass [][]int
	scale   *[256]float32 // scale[p] = p/255, set by Index
}

// Index checks the Dataset's consistency and precomputes the per-class index
// lists. It returns an error when the sizes or labels are inconsistent.
func (d *Dataset) Index() error {
	if d.C <= 0 || d.H <= 0 || d.W <= 0 {
		return fmt.Errorf("%s: bad image shape %dx%dx%d", d.Path, d.C, d.H, d.W)
	}
	n := len(d.Labels)
	if len(d.Pixels) != n*d.C*d.H*d.W {
		return fmt.Errorf("%s: %d pixel bytes for %d images of %dx%dx%d", d.Path, len(d.Pixels), n, d.C, d.H, d.W)
	}
	if len(d.ClassNames) == 0 {
		return fmt.Errorf("%s: no classes", d.Path)
	}
	if d.ClassGroups != nil && len(d.ClassGroups) != len(d.ClassNames) {
		return fmt.Errorf("%s: %d class groups for %d classes", d.Path, len(d.ClassGroups), len(d.ClassNames))
	}
	k := len(d.ClassNames)
	counts := make([]int, k)
	for i, l := range d.Labels {
		if l < 0 || int(l) >= k {
			return fmt.Errorf("%s: image %d has label %d outside 0..%d", d.Path, i, l, k-1)
		}
		counts[l]++
	}
	// One backing array for all lists: a single allocation.
	flat := make([]int, n)
	by := make([][]int, k)
	off := 0
	for c := range by {
		by[c] = flat[off : off : off+counts[c]]
		off += counts[c]
	}
	for i, l := range d.Labels {
		by[l] = append(by[l], i)
	}
	d.byClass = by
	d.scale = new([256]float32)
	for p := range d.scale {
		d.scale[p] = float32(p) / 255
	}
	return nil
}

// NumClasses returns the number of classes.
func (d *Dataset) NumClasses() int { return len(d.ClassNames) }

// Len returns the number of images.
func (d *Dataset) Len() int { return len(d.Labels) }

// ImageShape returns (C, H, W).
func (d *Dataset) ImageShape() (c, h, w int) { return d.C, d.H, d.W }

// ClassIndices returns the indices of the images of class c in increasing
// order. The slice is shared: callers must not modify it. It panics if the
// Dataset was not indexed (see Index).
func (d *Dataset) ClassIndices(c int) []int {
	if d.byClass == nil {
		panic("datasets: ClassIndices on a Dataset that was not indexed (call Index)")
	}
	return d.byClass[c]
}

// Image writes image i into dst[:C*H*W] as float32 values pixel/255 in [0, 1],
// channel-major. It panics if dst is shorter than C*H*W.
func (d *Dataset) Image(dst []float32, i int) {
	sz := d.C * d.H * d.W
	src := d.Pixels[i*sz : (i+1)*sz]
	dst = dst[:sz]
	if d.scale == nil {
		for j, p := range src {
			dst[j] = float32(p) / 255
		}
		return
	}
	lut := d.scale
	for j, p := range src {
		dst[j] = lut[p]
	}
}

// RotatesByDefault reports whether the source's classes are by convention
// extended with their rotations by 90, 180 and 270 degrees as classes of
// their own: Omniglot's characters (Santoro et al. 2016, Vinyals et al.
// 2016), whatever the file format.
func (d *Dataset) RotatesByDefault() bool { return strings.HasPrefix(d.Format, "omniglot") }

// Info summarises a Dataset.
type Info struct {
	Name          string   `json:"name"`
	Format        string   `json:"format"`
	Path          string   `json:"path"`
	Images        int      `json:"images"`
	Classes       int      `json:"classes"`
	MinPerClass   int      `json:"min_per_class"`
	MaxPerClass   int      `json:"max_per_class"`
	Channels      int      `json:"channels"`
	Height        int      `json:"height"`
	Width         int      `json:"width"`
	Groups        []string `json:"groups,omitempty"`
	ClassesPerGrp []int    `json:"classes_per_group,omitempty"`
}

// Info returns a summary: classes, images per class (min and max), image
// shape, and the distinct groups in order of first appearance.
func (d *Dataset) Info() Info {
	in := Info{Name: d.Name, Format: d.Format, Path: d.Path, Images: d.Len(), Classes: d.NumClasses(),
		Channels: d.C, Height: d.H, Width: d.W}
	for c := 0; c < d.NumClasses(); c++ {
		n := len(d.ClassIndices(c))
		if c == 0 || n < in.MinPerClass {
			in.MinPerClass = n
		}
		if n > in.MaxPerClass {
			in.MaxPerClass = n
		}
	}
	if d.ClassGroups != nil {
		pos := map[string]int{}
		for _, g := range d.ClassGroups {
			j, ok := pos[g]
			if !ok {
				j = len(in.Groups)
				pos[g] = j
				in.Groups = append(in.Groups, g)
				in.ClassesPerGrp = append(in.ClassesPerGrp, 0)
			}
			in.ClassesPerGrp[j]++
		}
	}
	return in
}

// errTruncated is wrapped by the readers when a file ends early.
var errTruncated = errors.New("truncated")

// Concat pools the classes of a and b into one indexed Dataset: a's classes
// keep their labels and b's follow them (b's class c becomes
// a.NumClasses()+c). The images must have the same shape. Groups are kept
// only when both datasets have them; class names are kept. The pixels are
// copied, so a and b stay as they are.
func Concat(a, b *Dataset) (*Dataset, error) {
	if a.C != b.C || a.H != b.H || a.W != b.W {
		return nil, fmt.Errorf("%s: images are %dx%dx%d, %s's %dx%dx%d: pooled sources need one image shape", b.Path, b.C, b.H, b.W, a.Path, a.C, a.H, a.W)
	}
	k := int32(a.NumClasses())
	d := &Dataset{Name: a.Name, Format: a.Format, Path: a.Path + "+" + b.Path, C: a.C, H: a.H, W: a.W,
		Pixels:     append(append(make([]uint8, 0, len(a.Pixels)+len(b.Pixels)), a.Pixels...), b.Pixels...),
		Labels:     append(make([]int32, 0, a.Len()+b.Len()), a.Labels...),
		ClassNames: append(append(make([]string, 0, a.NumClasses()+b.NumClasses()), a.ClassNames...), b.ClassNames...),
	}
	if a.Name != b.Name {
		d.Name = a.Name + "+" + b.Name
	}
	for _, l := range b.Labels {
		d.Labels = append(d.Labels, l+k)
	}
	if a.ClassGroups != nil && b.ClassGroups != nil {
		d.ClassGroups = append(append([]string(nil), a.ClassGroups...), b.ClassGroups...)
	}
	if err := d.Index(); err != nil {
		return nil, err
	}
	return d, nil
}
