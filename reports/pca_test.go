package reports

import (
	"math"
	"testing"
)

// PCA2 of points on a line: nearly all variance on PC1, spread as the
// line's length; one point is refused.
func TestPCA2(t *testing.T) {
	pts := [][]float64{{0, 0, 0}, {1, 2, 0}, {2, 4, 0.001}, {3, 6, 0}}
	p, err := PCA2(pts)
	if err != nil {
		t.Fatal(err)
	}
	if p.Explained[0] < 0.999 {
		t.Errorf("explained %v, want nearly all on PC1", p.Explained)
	}
	if d := math.Abs(p.X[3]-p.X[0]) - math.Sqrt(45); math.Abs(d) > 1e-3 {
		t.Errorf("PC1 spread %g, want sqrt(45)", math.Abs(p.X[3]-p.X[0]))
	}
	if _, err := PCA2(pts[:1]); err == nil {
		t.Error("one point accepted")
	}
}
