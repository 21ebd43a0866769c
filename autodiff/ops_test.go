package autodiff

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/metabench/metabench/tensor"
)

type inputKind int

const (
	anyVal   inputKind = iota // uniform in (-2, 2)
	positive                  // uniform in (0.5, 2.5)
	awayZero                  // |x| in (0.1, 2), random sign
)

func randTensor(rng *rand.Rand, kind inputKind, shape ...int) *tensor.Tensor[float64] {
	t := tensor.New[float64](shape...)
	for i := range t.Data {
		switch kind {
		case positive:
			t.Data[i] = 0.5 + 2*rng.Float64()
		case awayZero:
			v := 0.1 + 1.9*rng.Float64()
			if rng.IntN(2) == 0 {
				v = -v
			}
			t.Data[i] = v
		default:
			t.Data[i] = 4*rng.Float64() - 2
		}
	}
	return t
}

type opCase struct {
	name   string
	shapes [][]int
	kinds  []inputKind // per input; missing entries are anyVal
	f      func(xs []*Var[float64]) *Var[float64]
	opts   *GradCheckOptions
}

func x0(xs []*Var[float64]) *Var[float64] { return xs[0] }

func opCases() []opCase {
	return []opCase{
		{name: "Add/same", shapes: [][]int{{3, 5}, {3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Mul(Add(x[0], x[1]), x[0]) }},
		{name: "Add/bias", shapes: [][]int{{4, 3}, {3}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Add(x[0], x[1])) }},
		{name: "Mul/broadcast-mid", shapes: [][]int{{2, 3, 5}, {3, 1}}, f: func(x []*Var[float64]) *Var[float64] { return Mul(x[0], x[1]) }},
		{name: "BroadcastTo/mid", shapes: [][]int{{2, 1, 3}}, f: func(x []*Var[float64]) *Var[float64] {
			return Mul(BroadcastTo(x[0], []int{4, 2, 5, 3}), BroadcastTo(Square(x[0]), []int{4, 2, 5, 3}))
		}},
		{name: "BroadcastTo/trailing-ones", shapes: [][]int{{1, 3, 1, 1}}, f: func(x []*Var[float64]) *Var[float64] {
			return Square(BroadcastTo(x[0], []int{2, 3, 2, 3}))
		}},
		{name: "SumTo/mixed", shapes: [][]int{{4, 2, 5, 3}}, f: func(x []*Var[float64]) *Var[float64] {
			return Square(SumTo(x[0], []int{2, 1, 3}))
		}},
		{name: "SumTo/scalar", shapes: [][]int{{3, 2}}, f: func(x []*Var[float64]) *Var[float64] { return Square(SumTo(x[0], []int{})) }},
		{name: "Mul/bias-4d", shapes: [][]int{{2, 3, 2, 2}, {1, 3, 1, 1}}, f: func(x []*Var[float64]) *Var[float64] { return Mul(Mul(x[0], x[1]), x[1]) }},
		{name: "Sub/same", shapes: [][]int{{3, 7}, {3, 7}}, f: func(x []*Var[float64]) *Var[float64] { return Mul(Sub(x[0], x[1]), Sub(x[1], x[0])) }},
		{name: "Sub/broadcast", shapes: [][]int{{5, 1}, {1, 3}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Sub(x[0], x[1])) }},
		{name: "Sub/scalar", shapes: [][]int{{}, {2, 3}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Sub(x[0], x[1])) }},
		{name: "Div/same", shapes: [][]int{{3, 5}, {3, 5}}, kinds: []inputKind{anyVal, positive}, f: func(x []*Var[float64]) *Var[float64] { return Div(x[0], x[1]) }},
		{name: "Div/broadcast", shapes: [][]int{{2, 3, 4}, {3, 1}}, kinds: []inputKind{anyVal, awayZero}, f: func(x []*Var[float64]) *Var[float64] { return Div(x[0], x[1]) }},
		{name: "Div/scalar-num", shapes: [][]int{{}, {7}}, kinds: []inputKind{anyVal, positive}, f: func(x []*Var[float64]) *Var[float64] { return Div(x[0], x[1]) }},
		{name: "Neg", shapes: [][]int{{3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Mul(Neg(x[0]), x[0]) }},
		{name: "Scale", shapes: [][]int{{3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Scale(x[0], -1.7)) }},
		{name: "AddScalar", shapes: [][]int{{5}}, f: func(x []*Var[float64]) *Var[float64] { return Square(AddScalar(x[0], 0.3)) }},
		{name: "Exp", shapes: [][]int{{3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Exp(x[0]) }},
		{name: "Log", shapes: [][]int{{7}}, kinds: []inputKind{positive}, f: func(x []*Var[float64]) *Var[float64] { return Log(x[0]) }},
		{name: "Sqrt", shapes: [][]int{{2, 3}}, kinds: []inputKind{positive}, f: func(x []*Var[float64]) *Var[float64] { return Sqrt(x[0]) }},
		{name: "Square", shapes: [][]int{{3, 3}}, f: func(x []*Var[float64]) *Var[float64] { return Square(x[0]) }},
		{name: "Pow", shapes: [][]int{{5}}, kinds: []inputKind{positive}, f: func(x []*Var[float64]) *Var[float64] { return Pow(x[0], 2.5) }},
		{name: "Pow/neg", shapes: [][]int{{5}}, kinds: []inputKind{positive}, f: func(x []*Var[float64]) *Var[float64] { return Pow(x[0], -1.5) }},
		{name: "Tanh", shapes: [][]int{{3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Tanh(x[0]) }},
		{name: "Sigmoid", shapes: [][]int{{3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Sigmoid(x[0]) }},
		{name: "ReLU", shapes: [][]int{{3, 5, 2}}, kinds: []inputKind{awayZero}, f: func(x []*Var[float64]) *Var[float64] { return ReLU(x[0]) }},
		{name: "ReLU/composed", shapes: [][]int{{3, 5}}, kinds: []inputKind{awayZero}, f: func(x []*Var[float64]) *Var[float64] { return Mul(ReLU(x[0]), x[0]) }},
		{name: "Abs", shapes: [][]int{{3, 5}}, kinds: []inputKind{awayZero}, f: func(x []*Var[float64]) *Var[float64] { return Mul(Abs(x[0]), x[0]) }},
		{name: "MulConst", shapes: [][]int{{2, 3}}, f: func(x []*Var[float64]) *Var[float64] {
			return Square(MulConst(x[0], tensor.FromSlice([]float64{1, -2, 0.5, 3, 0, 1}, 2, 3)))
		}},
		{name: "Sum/axis1", shapes: [][]int{{3, 4, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Sum(x[0], []int{1}, false)) }},
		{name: "Sum/axes02-keep", shapes: [][]int{{3, 4, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Sum(x[0], []int{0, 2}, true)) }},
		{name: "Sum/axes12", shapes: [][]int{{2, 3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Sum(x[0], []int{-1, 1}, false)) }},
		{name: "Sum/all", shapes: [][]int{{2, 3}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Sum(x[0], nil, false)) }},
		{name: "Mean/axes023", shapes: [][]int{{2, 3, 3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Mean(x[0], []int{0, 2, 3}, true)) }},
		{name: "SumAll", shapes: [][]int{{3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Square(SumAll(Mul(x[0], x[0]))) }},
		{name: "MeanAll", shapes: [][]int{{3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Square(MeanAll(Exp(x[0]))) }},
		{name: "Max", shapes: [][]int{{3, 5, 2}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Max(x[0], 1, false)) }},
		{name: "Reshape", shapes: [][]int{{3, 4}}, f: func(x []*Var[float64]) *Var[float64] {
			r := Reshape(x[0], 2, -1, 3)
			return Mul(r, Sum(r, []int{1}, true))
		}},
		{name: "Flatten", shapes: [][]int{{2, 3, 2}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Flatten(x[0])) }},
		{name: "Transpose", shapes: [][]int{{3, 5}, {3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return MatMul(Transpose(x[0]), x[1]) }},
		{name: "Permute", shapes: [][]int{{2, 3, 4, 5}}, f: func(x []*Var[float64]) *Var[float64] {
			p := Permute(x[0], 2, 0, 3, 1)
			return Mul(p, Sum(p, []int{0}, true))
		}},
		{name: "Concat/axis1", shapes: [][]int{{2, 3, 2}, {2, 1, 2}, {2, 4, 2}}, f: func(x []*Var[float64]) *Var[float64] {
			return Square(Concat(1, x[0], x[1], x[2]))
		}},
		{name: "Concat/axis0", shapes: [][]int{{3}, {2}}, f: func(x []*Var[float64]) *Var[float64] { return Mul(Concat(0, x[0], x[1]), Concat(0, x[1], x[0])) }},
		{name: "Slice/step2", shapes: [][]int{{3, 7, 2}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Slice(x[0], 1, 1, 7, 2)) }},
		{name: "Slice/last-axis-step3", shapes: [][]int{{2, 8}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Slice(x[0], -1, 0, 8, 3)) }},
		{name: "Slice/twice", shapes: [][]int{{5, 5}}, f: func(x []*Var[float64]) *Var[float64] {
			return Square(Slice(Slice(x[0], 0, 1, 4, 1), 1, 0, 5, 2))
		}},
		{name: "Pad", shapes: [][]int{{2, 3, 3}}, f: func(x []*Var[float64]) *Var[float64] {
			return Square(Pad(x[0], [][2]int{{0, 0}, {1, 2}, {0, 1}}))
		}},
		{name: "Pad+Slice", shapes: [][]int{{1, 2, 5, 5}}, f: func(x []*Var[float64]) *Var[float64] {
			p := Pad(Slice(Slice(x[0], 2, 1, 5, 1), 3, 1, 5, 1), [][2]int{{0, 0}, {0, 0}, {0, 1}, {0, 1}})
			return Mul(p, x[0])
		}},
		{name: "MatMul", shapes: [][]int{{3, 5}, {5, 4}}, f: func(x []*Var[float64]) *Var[float64] { return MatMul(x[0], x[1]) }},
		{name: "MatMul/square", shapes: [][]int{{4, 4}}, f: func(x []*Var[float64]) *Var[float64] { return MatMul(x[0], MatMul(x[0], x[0])) }},
		{name: "MatMulT/TT", shapes: [][]int{{5, 3}, {4, 5}}, f: func(x []*Var[float64]) *Var[float64] { return MatMulT(x[0], x[1], true, true) }},
		{name: "MatMulT/TN", shapes: [][]int{{5, 3}, {5, 2}}, f: func(x []*Var[float64]) *Var[float64] { return MatMulT(x[0], x[1], true, false) }},
		{name: "MatMul/batched", shapes: [][]int{{2, 3, 5}, {2, 5, 3}}, f: func(x []*Var[float64]) *Var[float64] { return MatMul(x[0], x[1]) }},
		{name: "Linear", shapes: [][]int{{4, 5}, {5, 3}, {3}}, f: func(x []*Var[float64]) *Var[float64] { return Tanh(Linear(x[0], x[1], x[2])) }},
		{name: "Linear/nobias", shapes: [][]int{{4, 5}, {5, 3}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Linear(x[0], x[1], nil)) }},
		{name: "Softmax/axis1", shapes: [][]int{{3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return Softmax(x[0], 1) }},
		{name: "Softmax/axis0-3d", shapes: [][]int{{4, 3, 2}}, f: func(x []*Var[float64]) *Var[float64] { return Softmax(x[0], 0) }},
		{name: "LogSoftmax/axis1", shapes: [][]int{{3, 7}}, f: func(x []*Var[float64]) *Var[float64] { return LogSoftmax(x[0], 1) }},
		{name: "LogSoftmax/mid", shapes: [][]int{{2, 5, 3}}, f: func(x []*Var[float64]) *Var[float64] { return LogSoftmax(x[0], -2) }},
		{name: "LogSumExp", shapes: [][]int{{3, 5}}, f: func(x []*Var[float64]) *Var[float64] { return LogSumExp(x[0], 1, false) }},
		{name: "Gather", shapes: [][]int{{4, 3}}, f: func(x []*Var[float64]) *Var[float64] { return Square(Gather(x[0], []int{2, 0, 1, 2})) }},
		{name: "CrossEntropy", shapes: [][]int{{5, 3}}, f: func(x []*Var[float64]) *Var[float64] { return CrossEntropy(x[0], []int{0, 2, 1, 1, 2}) }},
		{name: "CrossEntropy/mlp", shapes: [][]int{{4, 5}, {5, 7}, {7}, {7, 3}, {3}}, f: func(x []*Var[float64]) *Var[float64] {
			return CrossEntropy(Linear(Tanh(Linear(x[0], x[1], x[2])), x[3], x[4]), []int{0, 2, 1, 2})
		}},
		{name: "GumbelSoftmax", shapes: [][]int{{3, 4}}, f: func(x []*Var[float64]) *Var[float64] {
			g := tensor.FromSlice([]float64{0.1, -0.3, 1.2, 0.4, -1, 0.2, 0.3, 0.9, 0, 0.5, -0.2, 0.7}, 3, 4)
			return GumbelSoftmax(x[0], g, 0.7, 1, false)
		}},
	}
}

// TestOpsFiniteDifferences checks every op's first derivatives and
// Hessian-vector products (including with respect to the upstream gradient)
// against gonum's central finite differences.
func TestOpsFiniteDifferences(t *testing.T) {
	for ci, c := range opCases() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci)+11, 7))
			ins := make([]*tensor.Tensor[float64], len(c.shapes))
			for i, s := range c.shapes {
				k := anyVal
				if i < len(c.kinds) {
					k = c.kinds[i]
				}
				ins[i] = randTensor(rng, k, s...)
			}
			if err := CheckGradients(c.f, ins, c.opts); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The hard Gumbel-softmax has the one-hot value and the soft sample's
// gradient (straight-through), to second order.
func TestGumbelSoftmaxHard(t *testing.T) {
	g := tensor.FromSlice([]float64{0.1, -0.3, 1.2, 0.4, -1, 0.2, 0.3, 0.9, 0, 0.5, -0.2, 0.7}, 3, 4)
	w := tensor.FromSlice([]float64{1, 2, -1, 0.5, 3, -2, 1, 1, 0.2, 0.1, -0.4, 2}, 3, 4)
	grads := func(hard bool) ([]float64, []float64, []float64) {
		tp := NewTape[float64]()
		x := tp.Param(tensor.FromSlice([]float64{0.3, -1, 0.2, 0.8, 1.1, 0.4, -0.5, 0, 0.6, 0.6, -1.2, 0.1}, 3, 4))
		y := GumbelSoftmax(x, g, 0.5, -1, hard)
		gr, err := Grad(SumAll(Mul(y, Square(tp.Const(w)))), []*Var[float64]{x}, true)
		if err != nil {
			t.Fatal(err)
		}
		hv, err := Grad(SumAll(Square(gr[0])), []*Var[float64]{x}, false)
		if err != nil {
			t.Fatal(err)
		}
		return y.Data(), gr[0].Data(), hv[0].Data()
	}
	yh, gh, hh := grads(true)
	_, gs, hs := grads(false)
	for r := 0; r < 3; r++ {
		ones := 0
		for c := 0; c < 4; c++ {
			v := yh[r*4+c]
			if math.Abs(v) > 1e-12 && math.Abs(v-1) > 1e-12 {
				t.Fatalf("hard sample not one-hot: %v", yh)
			}
			if v > 0.5 {
				ones++
			}
		}
		if ones != 1 {
			t.Fatalf("hard sample row %d has %d ones: %v", r, ones, yh)
		}
	}
	for i := range gh {
		if math.Abs(gh[i]-gs[i]) > 1e-12 || math.Abs(hh[i]-hs[i]) > 1e-12 {
			t.Fatalf("straight-through gradient differs at %d: %v/%v, %v/%v", i, gh[i], gs[i], hh[i], hs[i])
		}
	}
}

// The checker itself must catch a wrong first derivative and a backward
// that is not differentiable (right values, constant gradient graph).
func TestCheckGradientsDetectsErrors(t *testing.T) {
	in := []*tensor.Tensor[float64]{tensor.FromSlice([]float64{0.5, -1, 2}, 3)}
	wrong := func(xs []*Var[float64]) *Var[float64] {
		x := xs[0]
		return NewOp(x.Tape(), Square(x.Detach()).Value(), []*Var[float64]{x}, func(gy *Var[float64]) []*Var[float64] {
			return []*Var[float64]{Mul(gy, x)} // should be 2x
		})
	}
	if err := CheckGradients(wrong, in, nil); err == nil || !strings.Contains(err.Error(), "first-order") {
		t.Fatalf("wrong first derivative not detected: %v", err)
	}
	frozen := func(xs []*Var[float64]) *Var[float64] {
		x := xs[0]
		return NewOp(x.Tape(), Square(x.Detach()).Value(), []*Var[float64]{x}, func(gy *Var[float64]) []*Var[float64] {
			return []*Var[float64]{Mul(gy, Scale(x.Detach(), 2))} // right value, no second derivative
		})
	}
	if err := CheckGradients(frozen, in, nil); err == nil || !strings.Contains(err.Error(), "Hessian") {
		t.Fatalf("non-differentiable backward not detected: %v", err)
	}
	if err := CheckGradients(frozen, in, &GradCheckOptions{FirstOrder: true}); err != nil {
		t.Fatalf("first-order check of a right first derivative failed: %v", err)
	}
}

// Caller shape mistakes panic with an "autodiff: " message.
func TestOpsPanicOnShapeMistakes(t *testing.T) {
	tp := NewTape[float64]()
	a := tp.Param(tensor.New[float64](2, 3))
	b := tp.Param(tensor.New[float64](4, 5))
	c := tp.Param(tensor.New[float64](3))
	other := NewTape[float64]().Param(tensor.New[float64](2, 3))
	cases := map[string]func(){
		"Add":          func() { Add(a, b) },
		"Sub":          func() { Sub(a, b) },
		"Mul":          func() { Mul(a, b) },
		"Div":          func() { Div(a, b) },
		"Sub/tapes":    func() { Sub(a, other) },
		"Sum/axis":     func() { Sum(a, []int{2}, false) },
		"Sum/repeat":   func() { Sum(a, []int{1, -1}, false) },
		"Max/axis":     func() { Max(a, -3, false) },
		"Reshape":      func() { Reshape(a, 4, 2) },
		"Reshape/-1":   func() { Reshape(a, 4, -1) },
		"Permute":      func() { Permute(a, 0, 0) },
		"Transpose":    func() { Transpose(c) },
		"Concat":       func() { Concat(0, a, b) },
		"Slice":        func() { Slice(a, 1, 2, 5, 1) },
		"Slice/step":   func() { Slice(a, 1, 0, 3, 0) },
		"Pad":          func() { Pad(a, [][2]int{{1, 1}}) },
		"MatMul":       func() { MatMul(a, b) },
		"MatMul/1d":    func() { MatMul(c, c) },
		"Linear/bias":  func() { Linear(a, tp.Param(tensor.New[float64](3, 4)), c) },
		"Softmax":      func() { Softmax(a, 2) },
		"LogSoftmax":   func() { LogSoftmax(a, -3) },
		"CrossEntropy": func() { CrossEntropy(a, []int{0}) },
		"CE/label":     func() { CrossEntropy(a, []int{0, 3}) },
		"Gather":       func() { Gather(a, []int{0, 1, 2}) },
		"MulConst":     func() { MulConst(a, tensor.New[float64](3, 2)) },
		"BroadcastTo":  func() { BroadcastTo(a, []int{3, 3}) },
		"SumTo":        func() { SumTo(a, []int{4}) },
		"Gumbel/tau":   func() { GumbelSoftmax(a, nil, 0, 1, false) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if err, ok := r.(error); ok {
					msg = err.Error()
				}
				if !strings.HasPrefix(msg, "autodiff: ") {
					t.Fatalf("panic %v, want an \"autodiff: \" message", r)
				}
			}()
			f()
		})
	}
}

// First-order mode records nothing: the gradients are constants.
func TestFirstOrderBuildsNoGraph(t *testing.T) {
	tp := NewTape[float64]()
	w := tp.Param(tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3))
	x := tp.Const(tensor.FromSlice([]float64{1, -1, 0.5, 2}, 2, 2))
	loss := CrossEntropy(MatMul(x, w), []int{0, 2})
	g, err := Grad(loss, []*Var[float64]{w}, false)
	if err != nil {
		t.Fatal(err)
	}
	if g[0].RequiresGrad() || g[0].backward != nil {
		t.Fatal("first-order gradient is part of a graph")
	}
	g2, err := Grad(loss, []*Var[float64]{w}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !g2[0].RequiresGrad() {
		t.Fatal("createGraph gradient is not differentiable")
	}
}

// randShape returns a shape of 1..maxNd dimensions of sizes 1..4.
func randShape(rng *rand.Rand, maxNd int) []int {
	s := make([]int, 1+rng.IntN(maxNd))
	for i := range s {
		s[i] = 1 + rng.IntN(4)
	}
	return s
}

// broadcastPartner returns a shape that broadcasts with s: some axes set to
// 1 and possibly some leading axes dropped.
func broadcastPartner(rng *rand.Rand, s []int) []int {
	p := cloneShape(s[rng.IntN(len(s)):])
	for i := range p {
		if rng.IntN(2) == 0 {
			p[i] = 1
		}
	}
	return p
}

// TestOpsRandomShapes runs the finite-difference checks (first and second
// order) on random shapes, axes and slices.
func TestOpsRandomShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 11))
	for it := 0; it < 6; it++ {
		s := randShape(rng, 4)
		nd := len(s)
		p := broadcastPartner(rng, s)
		if rng.IntN(2) == 0 {
			s, p = p, s
		}
		// broadcasting binary ops
		bin := []struct {
			name string
			f    func(a, b *Var[float64]) *Var[float64]
			kb   inputKind
		}{
			{"Add", func(a, b *Var[float64]) *Var[float64] { return Mul(Add(a, b), b) }, anyVal},
			{"Sub", func(a, b *Var[float64]) *Var[float64] { return Square(Sub(a, b)) }, anyVal},
			{"Mul", func(a, b *Var[float64]) *Var[float64] { return Mul(Mul(a, b), a) }, anyVal},
			{"Div", Div[float64], positive},
		}
		for _, op := range bin {
			ins := []*tensor.Tensor[float64]{randTensor(rng, anyVal, s...), randTensor(rng, op.kb, p...)}
			f := func(xs []*Var[float64]) *Var[float64] { return op.f(xs[0], xs[1]) }
			if err := CheckGradients(f, ins, &GradCheckOptions{Seed: uint64(it + 1)}); err != nil {
				t.Fatalf("%s %v %v: %v", op.name, s, p, err)
			}
		}
		x := randShape(rng, 4)
		nd = len(x)
		var axes []int
		for a := 0; a < nd; a++ {
			if rng.IntN(2) == 0 {
				axes = append(axes, a)
			}
		}
		keep := rng.IntN(2) == 0
		perm := rng.Perm(nd)
		ax := rng.IntN(nd)
		start := rng.IntN(x[ax])
		end := start + 1 + rng.IntN(x[ax]-start)
		step := 1 + rng.IntN(3)
		pads := make([][2]int, nd)
		for d := range pads {
			pads[d] = [2]int{rng.IntN(2), rng.IntN(3)}
		}
		cshape := cloneShape(x)
		cshape[ax] = 1 + rng.IntN(3)
		m, k, n := 1+rng.IntN(5), 1+rng.IntN(5), 1+rng.IntN(5)
		unary := []struct {
			name   string
			shapes [][]int
			f      func(xs []*Var[float64]) *Var[float64]
		}{
			{"Sum", [][]int{x}, func(v []*Var[float64]) *Var[float64] { return Square(Sum(v[0], axes, keep)) }},
			{"Mean", [][]int{x}, func(v []*Var[float64]) *Var[float64] { return Exp(Mean(v[0], axes, keep)) }},
			{"Permute", [][]int{x}, func(v []*Var[float64]) *Var[float64] {
				q := Permute(v[0], perm...)
				return Mul(q, q)
			}},
			{"Slice", [][]int{x}, func(v []*Var[float64]) *Var[float64] { return Square(Slice(v[0], ax, start, end, step)) }},
			{"Pad", [][]int{x}, func(v []*Var[float64]) *Var[float64] { return Square(Pad(v[0], pads)) }},
			{"Concat", [][]int{x, cshape}, func(v []*Var[float64]) *Var[float64] { return Square(Concat(ax, v[0], v[1])) }},
			{"Softmax", [][]int{x}, func(v []*Var[float64]) *Var[float64] { return Softmax(v[0], ax) }},
			{"LogSoftmax", [][]int{x}, func(v []*Var[float64]) *Var[float64] { return LogSoftmax(v[0], ax) }},
			{"MatMul", [][]int{{m, k}, {k, n}}, func(v []*Var[float64]) *Var[float64] { return Tanh(MatMul(v[0], v[1])) }},
		}
		for _, op := range unary {
			ins := make([]*tensor.Tensor[float64], len(op.shapes))
			for i, sh := range op.shapes {
				ins[i] = randTensor(rng, anyVal, sh...)
			}
			if err := CheckGradients(op.f, ins, &GradCheckOptions{Seed: uint64(it + 1)}); err != nil {
				t.Fatalf("%s on %v (axes %v keep %v perm %v axis %d slice %d:%d:%d pads %v): %v",
					op.name, op.shapes, axes, keep, perm, ax, start, end, step, pads, err)
			}
		}
	}
}

// Third order: d³/dx³ sum(tanh x) = (6t² - 2)(1 - t²), and the finite-
// difference check applied to a gradient (checks 2nd and 3rd derivatives of
// a MAML-like loss: cross-entropy of an MLP, and of a softmax-weighted mix).
func TestHigherOrder(t *testing.T) {
	tp := NewTape[float64]()
	x := tp.Param(tensor.FromSlice([]float64{-1.3, -0.2, 0.4, 1.1, 2}, 5))
	g1, _ := Grad(SumAll(Tanh(x)), []*Var[float64]{x}, true)
	g2, _ := Grad(SumAll(g1[0]), []*Var[float64]{x}, true)
	g3, _ := Grad(SumAll(g2[0]), []*Var[float64]{x}, false)
	for i, v := range x.Data() {
		th := math.Tanh(v)
		if want := (6*th*th - 2) * (1 - th*th); math.Abs(g3[0].Data()[i]-want) > 1e-12 {
			t.Fatalf("third derivative at %v: %v want %v", v, g3[0].Data()[i], want)
		}
	}
	labels := []int{2, 0, 1}
	gradOfLoss := func(xs []*Var[float64]) *Var[float64] {
		h := Sigmoid(Linear(xs[0], xs[1], xs[2]))
		l := CrossEntropy(Linear(h, xs[3], nil), labels)
		g, err := Grad(l, []*Var[float64]{xs[1]}, true)
		if err != nil {
			panic(err)
		}
		return g[0]
	}
	rng := rand.New(rand.NewPCG(5, 5))
	ins := []*tensor.Tensor[float64]{randTensor(rng, anyVal, 3, 4), randTensor(rng, anyVal, 4, 5),
		randTensor(rng, anyVal, 5), randTensor(rng, anyVal, 5, 3)}
	if err := CheckGradients(gradOfLoss, ins, nil); err != nil {
		t.Fatal(err)
	}
	mix := func(xs []*Var[float64]) *Var[float64] {
		w := Softmax(xs[0], 0)
		y := Sum(Mul(Reshape(w, 3, 1), Concat(0, Exp(xs[1]), Square(xs[1]), Tanh(xs[1]))), []int{0}, false)
		g, err := Grad(SumAll(Square(y)), []*Var[float64]{xs[0]}, true)
		if err != nil {
			panic(err)
		}
		return g[0]
	}
	if err := CheckGradients(mix, []*tensor.Tensor[float64]{randTensor(rng, anyVal, 3), randTensor(rng, anyVal, 1, 4)}, nil); err != nil {
		t.Fatal(err)
	}
}
