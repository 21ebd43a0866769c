package search

import (
	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/tensor"
)

// maxPool is a k x k max-pool (pad value -inf).
func maxPool[T tensor.Float](x *ad.Var[T], k, stride, pad int) *ad.Var[T] {
	return ad.MaxPool2d(x, k, stride, pad)
}

// avgPool is a k x k average pool with count_include_pad=false.
func avgPool[T tensor.Float](x *ad.Var[T], k, stride, pad int) *ad.Var[T] {
	return ad.AvgPool2d(x, k, stride, pad)
}
