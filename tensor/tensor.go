package tensor

import (
	"fmt"
	"strings"
)

// Float is the element type of a tensor: float32 for training, float64 for
// gradient checks.
type Float interface{ ~float32 | ~float64 }

// Tensor is a dense row-major (C order) array. len(Data) == prod(Shape). A
// scalar has an empty Shape and one element.
type Tensor[T Float] struct {
	Shape []int
	Data  []T
}

// New returns a zero tensor of the given shape.
func New[T Float](shape ...int) *Tensor[T] {
	return &Tensor[T]{Shape: append([]int(nil), shape...), Data: make([]T, Numel(shape))}
}

// FromSlice wraps data (not copied) as a tensor of the given shape. It panics
// if the length does not match the shape.
func FromSlice[T Float](data []T, shape ...int) *Tensor[T] {
	if n := Numel(shape); n != len(data) {
		panic(fmt.Sprintf("tensor: FromSlice: %d values for shape %v (%d)", len(data), shape, n))
	}
	return &Tensor[T]{Shape: append([]int(nil), shape...), Data: data}
}

// Scalar returns a 0-d tensor holding v.
func Scalar[T Float](v T) *Tensor[T] { return &Tensor[T]{Shape: []int{}, Data: []T{v}} }

// Full returns a tensor of the given shape filled with v.
func Full[T Float](v T, shape ...int) *Tensor[T] {
	t := New[T](shape...)
	for i := range t.Data {
		t.Data[i] = v
	}
	return t
}

// Numel is the number of elements of a shape.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return n
}

// Len is the number of elements.
func (t *Tensor[T]) Len() int { return len(t.Data) }

// Dims is the number of dimensions.
func (t *Tensor[T]) Dims() int { return len(t.Shape) }

// Clone returns a deep copy.
func (t *Tensor[T]) Clone() *Tensor[T] {
	return &Tensor[T]{Shape: append([]int(nil), t.Shape...), Data: append([]T(nil), t.Data...)}
}

// Item returns the single value of a one-element tensor.
func (t *Tensor[T]) Item() T {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("tensor: Item on shape %v", t.Shape))
	}
	return t.Data[0]
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Strides returns the row-major strides of a shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// Convert returns a copy of t with element type U.
func Convert[U, T Float](t *Tensor[T]) *Tensor[U] {
	out := &Tensor[U]{Shape: append([]int(nil), t.Shape...), Data: make([]U, len(t.Data))}
	for i, v := range t.Data {
		out.Data[i] = U(v)
	}
	return out
}

func (t *Tensor[T]) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v", t.Shape)
	if len(t.Data) <= 8 {
		fmt.Fprintf(&b, "%v", t.Data)
	}
	return b.String()
}
