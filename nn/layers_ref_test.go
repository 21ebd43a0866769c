package nn

// Reference layers composed of elementary ops, used to cross-check the fused
// engine ops that Conv4 calls.

import (
	"fmt"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/tensor"
)

// BatchNorm normalises x [N, C, H, W] per channel with the statistics of
// the batch (mean and biased variance over N, H, W) and applies γ and β
// ([C] each; both nil for no affine transform):
//
//	y = γ · (x - μ_c) / √(σ²_c + eps) + β
func refBatchNorm[T tensor.Float](x, gamma, beta *autodiff.Var[T], eps float64) *autodiff.Var[T] {
	s := x.Shape()
	if len(s) != 4 {
		panic(fmt.Sprintf("nn: BatchNorm: input %v is not NCHW", s))
	}
	axes := []int{0, 2, 3}
	mu := autodiff.Mean(x, axes, true)
	xc := autodiff.Sub(x, mu)
	v := autodiff.Mean(autodiff.Square(xc), axes, true)
	y := autodiff.Div(xc, autodiff.Sqrt(autodiff.AddScalar(v, T(eps))))
	if gamma != nil {
		y = autodiff.Mul(y, autodiff.Reshape(gamma, 1, s[1], 1, 1))
	}
	if beta != nil {
		y = autodiff.Add(y, autodiff.Reshape(beta, 1, s[1], 1, 1))
	}
	return y
}

// MaxPool2x2 is 2x2 max-pooling with stride 2 and floor rounding on
// x [N, C, H, W].
func refMaxPool2x2[T tensor.Float](x *autodiff.Var[T]) *autodiff.Var[T] {
	s := x.Shape()
	if len(s) != 4 || s[2] < 2 || s[3] < 2 {
		panic(fmt.Sprintf("nn: MaxPool2x2: input %v", s))
	}
	h, w := s[2]/2, s[3]/2
	if 2*h != s[2] {
		x = autodiff.Slice(x, 2, 0, 2*h, 1)
	}
	if 2*w != s[3] {
		x = autodiff.Slice(x, 3, 0, 2*w, 1)
	}
	x = autodiff.Reshape(x, s[0], s[1], h, 2, w, 2)
	x = autodiff.Permute(x, 0, 1, 2, 4, 3, 5)
	x = autodiff.Reshape(x, s[0], s[1], h, w, 4)
	return autodiff.Max(x, 4, false)
}
