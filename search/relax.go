package search

import (
	"fmt"
	"math"
	"math/rand/v2"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/tensor"
)

// Relaxation says how architecture logits become edge weights.
type Relaxation struct {
	// Kind is "softmax" (z = softmax(alpha), DARTS / BASE-Softmax) or
	// "gumbel" (z = softmax((alpha + g)/tau), BASE-Gumbel).
	Kind string `json:"kind" yaml:"kind"`
	// Hard uses the straight-through estimator: the forward value is the
	// one-hot argmax of z, the gradient that of the soft z.
	Hard bool `json:"hard" yaml:"hard"`
}

// Relaxation kinds.
const (
	RelaxSoftmax = "softmax"
	RelaxGumbel  = "gumbel"
)

// Validate checks the kind.
func (r Relaxation) Validate() error {
	if r.Kind != RelaxSoftmax && r.Kind != RelaxGumbel {
		return fmt.Errorf("relaxation %q: want softmax or gumbel", r.Kind)
	}
	return nil
}

// GumbelNoise draws g = -log(-log u) with u uniform on (1e-10, 1-1e-10), one
// value per entry of a rows x cols matrix (redrawing non-finite values).
func GumbelNoise[T tensor.Float](rng *rand.Rand, rows, cols int) *tensor.Tensor[T] {
	g := tensor.New[T](rows, cols)
	for i := range g.Data {
		for {
			u := 1e-10 + rng.Float64()*(1-2e-10)
			v := -math.Log(-math.Log(u))
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				g.Data[i] = T(v)
				break
			}
		}
	}
	return g
}

// Relax maps logits alpha [14, J] to edge weights along rows. noise is the
// Gumbel noise (ignored, and may be nil, for softmax); tau the temperature.
func Relax[T tensor.Float](alpha *ad.Var[T], r Relaxation, noise *tensor.Tensor[T], tau float64) *ad.Var[T] {
	if r.Kind == RelaxSoftmax {
		return ad.GumbelSoftmax(alpha, nil, 1, 1, r.Hard)
	}
	return ad.GumbelSoftmax(alpha, noise, T(tau), 1, r.Hard)
}

// Temperature is the linear schedule
//
//	tau_e = tauMax - (tauMax - tauMin) * e / (E - 1),   e = 0..E-1
//
// clamped to [tauMin, tauMax] (a single iteration uses tauMax).
func Temperature(iter, iters int, tauMax, tauMin float64) float64 {
	if iters <= 1 {
		return tauMax
	}
	f := float64(iter) / float64(iters-1)
	f = math.Min(math.Max(f, 0), 1)
	return tauMax - (tauMax-tauMin)*f
}
