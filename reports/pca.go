package reports

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Projection is a set of points projected onto their first two principal
// components.
type Projection struct {
	X, Y      []float64  // scores on PC1 and PC2
	Explained [2]float64 // fraction of the total variance on PC1 and PC2
}

// PCA2 centres the rows of points (observations x features) and projects
// them onto the two leading principal directions v1, v2 (gonum/stat PC,
// a thin SVD of the centred matrix):
//
//	X̃ = X − 1 μᵀ,   X̃ = U S Vᵀ,   score_i = (x̃_i · v1, x̃_i · v2),   explained_k = s_k² / Σ s_j².
//
// With fewer than two observations, or no variance, it returns an error.
func PCA2(points [][]float64) (*Projection, error) {
	n := len(points)
	if n < 2 {
		return nil, errors.New("pca: fewer than two points")
	}
	d := len(points[0])
	if d < 2 {
		return nil, errors.New("pca: fewer than two features")
	}
	a := mat.NewDense(n, d, nil)
	for i, p := range points {
		if len(p) != d {
			return nil, fmt.Errorf("pca: point %d has %d features, point 0 has %d", i, len(p), d)
		}
		a.SetRow(i, p)
	}
	var pc stat.PC
	if !pc.PrincipalComponents(a, nil) {
		return nil, errors.New("pca: the SVD did not converge")
	}
	vars := pc.VarsTo(nil)
	total := 0.0
	for _, v := range vars {
		total += v
	}
	if total <= 0 {
		return nil, errors.New("pca: the points have no variance")
	}
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	k := min(2, len(vars))
	mean := make([]float64, d)
	for _, p := range points {
		for j, v := range p {
			mean[j] += v / float64(n)
		}
	}
	pr := &Projection{X: make([]float64, n), Y: make([]float64, n)}
	for c := 0; c < k; c++ {
		pr.Explained[c] = vars[c] / total
	}
	for i, p := range points {
		var s [2]float64
		for c := 0; c < k; c++ {
			for j, v := range p {
				s[c] += (v - mean[j]) * vecs.At(j, c)
			}
		}
		pr.X[i], pr.Y[i] = s[0], s[1]
	}
	return pr, nil
}
