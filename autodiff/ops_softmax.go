package autodiff

import (
	"fmt"
	"math"

	"github.com/metabench/metabench/tensor"
)

// softmaxKernel computes softmax (log=false) or log-softmax (log=true) of x
// along axis, stably (the maximum is subtracted first).
func softmaxKernel[T Float](ws *tensor.Workspace, x *tensor.Tensor[T], axis int, log bool) *tensor.Tensor[T] {
	outer, n, inner := splitAt(x.Shape, axis)
	out := tensor.MakeRaw[T](ws, x.Shape...) // every element is written
	xd, od := x.Data, out.Data
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			mx := math.Inf(-1)
			for r := 0; r < n; r++ {
				if v := float64(xd[base+r*inner]); v > mx {
					mx = v
				}
			}
			var s float64
			for r := 0; r < n; r++ {
				s += math.Exp(float64(xd[base+r*inner]) - mx)
			}
			if log {
				lse := mx + math.Log(s)
				for r := 0; r < n; r++ {
					od[base+r*inner] = T(float64(xd[base+r*inner]) - lse)
				}
			} else {
				for r := 0; r < n; r++ {
					od[base+r*inner] = T(math.Exp(float64(xd[base+r*inner])-mx) / s)
				}
			}
		}
	}
	return out
}

// Softmax returns exp(x) / sum(exp(x)) along axis. Backward:
// y * (gy - sum(gy*y, axis)).
func Softmax[T Float](x *Var[T], axis int) *Var[T] {
	axis = normAxis("Softmax", axis, len(x.val.Shape))
	var y *Var[T]
	y = NewOp(x.tape, softmaxKernel(x.tape.work, x.val, axis, false), []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{Mul(y, Sub(gy, Sum(Mul(gy, y), []int{axis}, true)))}
	})
	return y
}

// LogSoftmax returns x - logsumexp(x) along axis. Backward:
// gy - exp(y) * sum(gy, axis).
func LogSoftmax[T Float](x *Var[T], axis int) *Var[T] {
	axis = normAxis("LogSoftmax", axis, len(x.val.Shape))
	var y *Var[T]
	y = NewOp(x.tape, softmaxKernel(x.tape.work, x.val, axis, true), []*Var[T]{x}, func(gy *Var[T]) []*Var[T] {
		return []*Var[T]{Sub(gy, Mul(Exp(y), Sum(gy, []int{axis}, true)))}
	})
	return y
}

// LogSumExp returns log(sum(exp(x))) along axis (stable).
func LogSumExp[T Float](x *Var[T], axis int, keepdim bool) *Var[T] {
	axis = normAxis("LogSumExp", axis, len(x.val.Shape))
	shift := Max(StopGradient(x), axis, true)
	return Add(Log(Sum(Exp(Sub(x, shift)), []int{axis}, keepdim)), reshapeMaybe(shift, axis, keepdim))
}

func reshapeMaybe[T Float](s *Var[T], axis int, keepdim bool) *Var[T] {
	if keepdim {
		return s
	}
	return Reshape(s, dropAxes(s.val.Shape, []int{axis})...)
}

// OneHot returns the constant [len(labels), k] one-hot matrix of labels. It
// panics on a label outside [0, k).
func OneHot[T Float](tp *Tape[T], labels []int, k int) *Var[T] {
	return tp.Const(oneHot[T](labels, k, 1))
}

func oneHot[T Float](labels []int, k int, val T) *tensor.Tensor[T] {
	t := tensor.New[T](len(labels), k)
	for i, l := range labels {
		if l < 0 || l >= k {
			panic(fmt.Sprintf("autodiff: label %d out of range [0, %d)", l, k))
		}
		t.Data[i*k+l] = val
	}
	return t
}

// Gather returns x[i, idx[i]] for a 2-D x [N,K] as an [N] vector. It is
// linear in x (a constant one-hot mask and a row sum), so it is
// differentiable to any order.
func Gather[T Float](x *Var[T], idx []int) *Var[T] {
	if len(x.val.Shape) != 2 || x.val.Shape[0] != len(idx) {
		panic(fmt.Sprintf("autodiff: Gather: x %v with %d indices", x.val.Shape, len(idx)))
	}
	return Sum(MulConst(x, oneHot[T](idx, x.val.Shape[1], 1)), []int{1}, false)
}

// CrossEntropy returns the mean over rows of logsumexp(logits_n) -
// logits_n[labels_n] for logits [N,K], as a 0-d variable. It is built from
// LogSoftmax and a constant mask, so it is differentiable twice (and more).
func CrossEntropy[T Float](logits *Var[T], labels []int) *Var[T] {
	s := logits.val.Shape
	if len(s) != 2 || s[0] != len(labels) {
		panic(fmt.Sprintf("autodiff: CrossEntropy: logits %v with %d labels", s, len(labels)))
	}
	if s[0] == 0 {
		panic("autodiff: CrossEntropy of an empty batch")
	}
	mask := oneHot(labels, s[1], T(-1)/T(s[0]))
	return SumAll(MulConst(LogSoftmax(logits, 1), mask))
}

// GumbelSoftmax returns softmax((logits + g) / tau) along axis, where g is
// constant noise (e.g. -log(-log u)) of logits' shape or broadcastable to
// it. With hard, the value is the one-hot of the argmax and the gradient is
// that of the soft sample (straight-through: onehot - stopgrad(z) + z).
func GumbelSoftmax[T Float](logits *Var[T], g *tensor.Tensor[T], tau T, axis int, hard bool) *Var[T] {
	if tau <= 0 {
		panic(fmt.Sprintf("autodiff: GumbelSoftmax: tau %v must be positive", tau))
	}
	axis = normAxis("GumbelSoftmax", axis, len(logits.val.Shape))
	x := logits
	if g != nil {
		x = Add(logits, logits.tape.Const(g))
	}
	z := Softmax(Scale(x, 1/tau), axis)
	if !hard {
		return z
	}
	oh := tensor.New[T](z.val.Shape...)
	outer, n, inner := splitAt(z.val.Shape, axis)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			bi := 0
			for r := 1; r < n; r++ {
				if z.val.Data[base+r*inner] > z.val.Data[base+bi*inner] {
					bi = r
				}
			}
			oh.Data[base+bi*inner] = 1
		}
	}
	return Add(Sub(z.tape.Const(oh), StopGradient(z)), z)
}
