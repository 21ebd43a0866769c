package search

import (
	"math"

	"github.com/metabench/metabench/tensor"
)

// AdamState is the state of one Adam optimiser over a list of tensors
// (exported so checkpoints can store it).
type AdamState struct {
	Step int
	M, V [][]float64
}

// adam is Adam with L2 weight decay added to the gradient
// (PyTorch's Adam weight_decay): g <- g + wd * p.
type adam struct {
	lr, b1, b2, eps, wd float64
	st                  AdamState
}

func newAdam(sizes []int, lr, b1, b2, wd float64) *adam {
	a := &adam{lr: lr, b1: b1, b2: b2, eps: 1e-8, wd: wd}
	a.st.M = make([][]float64, len(sizes))
	a.st.V = make([][]float64, len(sizes))
	for i, n := range sizes {
		a.st.M[i] = make([]float64, n)
		a.st.V[i] = make([]float64, n)
	}
	return a
}

// adamStep updates params in place with grads.
func adamStep[T tensor.Float](a *adam, params, grads []*tensor.Tensor[T]) {
	a.st.Step++
	c1 := 1 - math.Pow(a.b1, float64(a.st.Step))
	c2 := 1 - math.Pow(a.b2, float64(a.st.Step))
	for i, p := range params {
		m, v := a.st.M[i], a.st.V[i]
		for j := range p.Data {
			g := float64(grads[i].Data[j]) + a.wd*float64(p.Data[j])
			m[j] = a.b1*m[j] + (1-a.b1)*g
			v[j] = a.b2*v[j] + (1-a.b2)*g*g
			p.Data[j] -= T(a.lr * (m[j] / c1) / (math.Sqrt(v[j]/c2) + a.eps))
		}
	}
}
