package autodiff

import (
	"fmt"
	"math"

	"github.com/metabench/metabench/tensor"
)

// sameTape panics unless every non-nil variable belongs to the tape of the
// first one, and returns that tape.
func sameTape[T Float](op string, vs ...*Var[T]) *Tape[T] {
	var tp *Tape[T]
	for _, v := range vs {
		if v == nil {
			continue
		}
		if tp == nil {
			tp = v.tape
		} else if v.tape != tp {
			panic(fmt.Sprintf("autodiff: %s: variables from different tapes", op))
		}
	}
	if tp == nil {
		panic(fmt.Sprintf("autodiff: %s: no variables", op))
	}
	return tp
}

func cloneShape(s []int) []int { return append([]int(nil), s...) }

// Sub returns a - b with broadcasting.
func Sub[T Float](a, b *Var[T]) *Var[T] {
	tp := sameTape("Sub", a, b)
	out := binaryKernel(a.tape.work, binSub, a.val, b.val)
	as, bs := cloneShape(a.val.Shape), cloneShape(b.val.Shape)
	return NewOp(tp, out, []*Var[T]{a, b}, func(gy *Var[T]) []*Var[T] {
		var ga, gb *Var[T]
		if a.requiresGrad {
			ga = SumTo(gy, as)
		}
		if b.requiresGrad {
			gb = SumTo(Neg(gy), bs)
		}
		return []*Var[T]{ga, gb}
	})
}

// Div returns a / b with broadcasting. Its backward (gy/b and -gy*a/b²) is
// built from differentiable ops.
func Div[T Float](a, b *Var[T]) *Var[T] {
	tp := sameTape("Div", a, b)
	out := binaryKernel(a.tape.work, binDiv, a.val, b.val)
	var y *Var[T]
	y = NewOp(tp, out, []*Var[T]{a, b}, func(gy *Var[T]) []*Var[T] {
		var ga, gb *Var[T]
		gyb := Div(gy, b)
		if a.requiresGrad {
			ga = SumTo(gyb, a.val.Shape)
		}
		if b.requiresGrad {
			// d(a/b)/db = -(a/b)/b, so gb = -(gy/b) * y
			gb = SumTo(Neg(Mul(gyb, y)), b.val.Shape)
		}
		return []*Var[T]{ga, gb}
	})
	return y
}

// Neg returns -x.
func Neg[T Float](x *Var[T]) *Var[T] {
	out := tensor.MakeRaw[T](x.tape.work, x.val.Shape...) // every element is written
	for i, v := range x.val.Data {
		out.Data[i] = -v
	}
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{Neg(gy)}
	})
}

// Scale returns c * x for a constant c.
func Scale[T Float](x *Var[T], c T) *Var[T] {
	out := tensor.MakeRaw[T](x.tape.work, x.val.Shape...) // every element is written
	for i, v := range x.val.Data {
		out.Data[i] = c * v
	}
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{Scale(gy, c)}
	})
}

// AddScalar returns x + c for a constant c.
func AddScalar[T Float](x *Var[T], c T) *Var[T] {
	out := tensor.MakeRaw[T](x.tape.work, x.val.Shape...) // every element is written
	for i, v := range x.val.Data {
		out.Data[i] = v + c
	}
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{gy}
	})
}

// unaryKind selects the function of unaryKernel; the switch is outside the
// loops.
type unaryKind int

const (
	unExp unaryKind = iota
	unLog
	unSqrt
	unTanh
	unSigmoid
)

// unaryKernel applies a transcendental function element-wise (computed in
// float64).
func unaryKernel[T Float](ws *tensor.Workspace, k unaryKind, x *tensor.Tensor[T]) *tensor.Tensor[T] {
	out := tensor.MakeRaw[T](ws, x.Shape...) // every element is written
	od := out.Data[:len(x.Data)]
	switch k {
	case unExp:
		for i, v := range x.Data {
			od[i] = T(math.Exp(float64(v)))
		}
	case unLog:
		for i, v := range x.Data {
			od[i] = T(math.Log(float64(v)))
		}
	case unSqrt:
		for i, v := range x.Data {
			od[i] = T(math.Sqrt(float64(v)))
		}
	case unTanh:
		for i, v := range x.Data {
			od[i] = T(math.Tanh(float64(v)))
		}
	case unSigmoid:
		for i, v := range x.Data {
			od[i] = T(sigmoid64(float64(v)))
		}
	}
	return out
}

// Exp returns e^x. Backward: gy * y.
func Exp[T Float](x *Var[T]) *Var[T] {
	var y *Var[T]
	y = NewOp(x.tape, unaryKernel(x.tape.work, unExp, x.val), []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{Mul(gy, y)}
	})
	return y
}

// Log returns the natural logarithm of x. Backward: gy / x.
func Log[T Float](x *Var[T]) *Var[T] {
	return NewOp(x.tape, unaryKernel(x.tape.work, unLog, x.val), []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{Div(gy, x)}
	})
}

// Sqrt returns √x. Backward: gy / (2y).
func Sqrt[T Float](x *Var[T]) *Var[T] {
	var y *Var[T]
	y = NewOp(x.tape, unaryKernel(x.tape.work, unSqrt, x.val), []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{Div(Scale(gy, 0.5), y)}
	})
	return y
}

// Square returns x². Backward: 2x * gy.
func Square[T Float](x *Var[T]) *Var[T] {
	out := tensor.MakeRaw[T](x.tape.work, x.val.Shape...) // every element is written
	for i, v := range x.val.Data {
		out.Data[i] = v * v
	}
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{Mul(gy, Scale(x, 2))}
	})
}

// Pow returns x^p for a constant exponent p. Backward: p x^(p-1) gy.
func Pow[T Float](x *Var[T], p float64) *Var[T] {
	out := tensor.MakeRaw[T](x.tape.work, x.val.Shape...) // every element is written
	for i, v := range x.val.Data {
		out.Data[i] = T(math.Pow(float64(v), p))
	}
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		if p == 1 {
			return []*Var[T]{gy}
		}
		return []*Var[T]{Mul(gy, Scale(Pow(x, p-1), T(p)))}
	})
}

// Tanh returns tanh(x). Backward: gy (1 - y²).
func Tanh[T Float](x *Var[T]) *Var[T] {
	var y *Var[T]
	y = NewOp(x.tape, unaryKernel(x.tape.work, unTanh, x.val), []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{Mul(gy, AddScalar(Neg(Square(y)), 1))}
	})
	return y
}

func sigmoid64(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

// Sigmoid returns 1/(1+e^-x). Backward: gy y (1-y).
func Sigmoid[T Float](x *Var[T]) *Var[T] {
	var y *Var[T]
	y = NewOp(x.tape, unaryKernel(x.tape.work, unSigmoid, x.val), []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{Mul(gy, Mul(y, AddScalar(Neg(y), 1)))}
	})
	return y
}

// ReLU returns max(x, 0). Backward: gy * step(x), where step(x) (1 for
// x > 0, else 0) is a constant mask, so the backward is linear in gy and
// differentiable in it; its derivative in x is zero almost everywhere.
func ReLU[T Float](x *Var[T]) *Var[T] {
	out := tensor.MakeRaw[T](x.tape.work, x.val.Shape...)
	reluInto(out.Data, x.val.Data)
	ref := out
	y := NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{stepMask(gy, ref)}
	})
	if y.backward != nil {
		y.reluIn = x
	}
	return y
}

// stepMask returns g where ref > 0 and 0 elsewhere; ref is a constant.
func stepMask[T Float](g *Var[T], ref *tensor.Tensor[T]) *Var[T] {
	out := tensor.MakeRaw[T](g.tape.work, g.val.Shape...)
	stepMaskInto(out.Data, g.val.Data, ref.Data)
	return NewOp(g.tape, out, []*Var[T]{g}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{stepMask(gy, ref)}
	})
}

// MulConst returns x * c element-wise for a constant tensor c of x's shape.
// It is linear in x; its backward is MulConst(gy, c).
func MulConst[T Float](x *Var[T], c *tensor.Tensor[T]) *Var[T] {
	if !tensor.SameShape(x.val.Shape, c.Shape) {
		panic(fmt.Sprintf("autodiff: MulConst: shapes %v and %v differ", x.val.Shape, c.Shape))
	}
	out := tensor.MakeRaw[T](x.tape.work, x.val.Shape...) // every element is written
	for i, v := range x.val.Data {
		out.Data[i] = v * c.Data[i]
	}
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{MulConst(gy, c)}
	})
}

// Abs returns |x|. Backward: gy * sign(x) with sign a constant mask (0 at 0).
func Abs[T Float](x *Var[T]) *Var[T] {
	out := tensor.Make[T](x.tape.work, x.val.Shape...)
	sign := tensor.Make[T](x.tape.work, x.val.Shape...)
	for i, v := range x.val.Data {
		switch {
		case v > 0:
			out.Data[i], sign.Data[i] = v, 1
		case v < 0:
			out.Data[i], sign.Data[i] = -v, -1
		}
	}
	return NewOp(x.tape, out, []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{MulConst(gy, sign)}
	})
}

// StopGradient returns a constant with x's value (shared): no gradient flows
// through it. Same as x.Detach().
func StopGradient[T Float](x *Var[T]) *Var[T] { return x.Detach() }

// Zeros returns a constant zero variable of the given shape.
func Zeros[T Float](tp *Tape[T], shape ...int) *Var[T] { return tp.Const(tensor.New[T](shape...)) }

// Ones returns a constant variable of ones of the given shape.
func Ones[T Float](tp *Tape[T], shape ...int) *Var[T] {
	return tp.Const(tensor.Full(T(1), shape...))
}

// ZerosLike returns a constant zero variable of x's shape on x's tape.
func ZerosLike[T Float](x *Var[T]) *Var[T] { return Zeros(x.tape, x.val.Shape...) }

// OnesLike returns a constant variable of ones of x's shape on x's tape.
func OnesLike[T Float](x *Var[T]) *Var[T] { return Ones(x.tape, x.val.Shape...) }
