package episodes

import (
	"slices"
	"testing"
)

// naiveShift is the definition: out[y][x] = in[y-dy][x-dx] inside, else 0.
func naiveShift(in []float32, h, w, dy, dx int) []float32 {
	out := make([]float32, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sy, sx := y-dy, x-dx
			if sy >= 0 && sy < h && sx >= 0 && sx < w {
				out[y*w+x] = in[sy*w+sx]
			}
		}
	}
	return out
}

func TestShiftPlaneMatchesDefinition(t *testing.T) {
	h, w := 5, 7
	in := make([]float32, h*w)
	for i := range in {
		in[i] = float32(i + 1)
	}
	out := make([]float32, h*w)
	for dy := -4; dy <= 4; dy++ {
		for dx := -6; dx <= 6; dx++ {
			shiftPlane(out, in, h, w, dy, dx)
			if want := naiveShift(in, h, w, dy, dx); !slices.Equal(out, want) {
				t.Fatalf("shift (%d,%d): got %v, want %v", dy, dx, out, want)
			}
		}
	}
}

// TestShiftImages: every image moves by one offset in [-max, max]² shared by
// its planes (recovered from a unique marker pixel), the draws cover the
// whole range, and the result is a pure function of (seed, index).
func TestShiftImages(t *testing.T) {
	const n, c, h, w, m = 400, 2, 9, 9, 2
	x := make([]float32, n*c*h*w)
	for i := 0; i < n; i++ {
		for p := 0; p < c; p++ {
			x[((i*c+p)*h+4)*w+4] = float32(p + 1) // marker at the centre
		}
	}
	orig := slices.Clone(x)
	if err := ShiftImages(x, n, c, h, w, m, 7, 3); err != nil {
		t.Fatal(err)
	}
	seen := map[[2]int]int{}
	for i := 0; i < n; i++ {
		var off [2]int
		for p := 0; p < c; p++ {
			plane := x[(i*c+p)*h*w : (i*c+p+1)*h*w]
			at := slices.Index(plane, float32(p+1))
			if at < 0 {
				t.Fatalf("image %d plane %d: marker lost", i, p)
			}
			o := [2]int{at/w - 4, at%w - 4}
			if o[0] < -m || o[0] > m || o[1] < -m || o[1] > m {
				t.Fatalf("image %d: offset %v outside ±%d", i, o, m)
			}
			if p > 0 && o != off {
				t.Fatalf("image %d: planes moved differently: %v vs %v", i, off, o)
			}
			off = o
		}
		seen[off]++
	}
	if len(seen) != (2*m+1)*(2*m+1) {
		t.Fatalf("%d distinct offsets in %d images, want all %d", len(seen), n, (2*m+1)*(2*m+1))
	}
	again := slices.Clone(orig)
	if err := ShiftImages(again, n, c, h, w, m, 7, 3); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again, x) {
		t.Fatal("same (seed, index) gave different shifts")
	}
	other := slices.Clone(orig)
	if err := ShiftImages(other, n, c, h, w, m, 7, 4); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(other, x) {
		t.Fatal("index 3 and 4 gave the same shifts")
	}
	same := slices.Clone(orig)
	if err := ShiftImages(same, n, c, h, w, 0, 7, 3); err != nil || !slices.Equal(same, orig) {
		t.Fatalf("max 0 changed the batch (err %v)", err)
	}
}

func TestShiftImagesErrors(t *testing.T) {
	x := make([]float32, 2*1*4*4)
	for _, tc := range []struct {
		n, max int
	}{{2, -1}, {3, 1}, {2, 4}} {
		if err := ShiftImages(x, tc.n, 1, 4, 4, tc.max, 0, 0); err == nil {
			t.Errorf("n=%d max=%d: no error", tc.n, tc.max)
		}
	}
}
