package autodiff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/metabench/metabench/tensor"
)

func convRand(rng *rand.Rand, shape ...int) *tensor.Tensor[float64] {
	t := tensor.New[float64](shape...)
	for i := range t.Data {
		t.Data[i] = rng.Float64()*2 - 1
	}
	return t
}

type convCase struct {
	x, w []int
	bias bool
	o    Conv2dOpts
}

var convGradCases = []convCase{
	{[]int{2, 3, 5, 5}, []int{4, 3, 3, 3}, true, Conv2dOpts{PadH: 1, PadW: 1}},
	{[]int{2, 3, 7, 6}, []int{2, 3, 3, 3}, false, Conv2dOpts{StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}},
	{[]int{1, 2, 7, 7}, []int{3, 2, 3, 3}, false, Conv2dOpts{PadH: 2, PadW: 2, DilH: 2, DilW: 2}},
	{[]int{2, 3, 5, 5}, []int{3, 1, 3, 3}, true, Conv2dOpts{PadH: 1, PadW: 1, Groups: 3}},
	{[]int{2, 4, 5, 5}, []int{2, 2, 2, 3}, false, Conv2dOpts{StrideH: 1, StrideW: 2, PadW: 1, Groups: 2}},
	{[]int{3, 4, 4, 4}, []int{3, 4, 1, 1}, true, Conv2dOpts{}},
	{[]int{2, 2, 6, 5}, []int{2, 2, 1, 1}, false, Conv2dOpts{StrideH: 2, StrideW: 2}},
	{[]int{5, 2, 3, 3}, []int{3, 2, 3, 3}, false, Conv2dOpts{PadH: 1, PadW: 1, Work: tensor.NewWorkspace()}}, // batched chunks
}

func TestConvGradCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i, c := range convGradCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			in := []*tensor.Tensor[float64]{convRand(rng, c.x...), convRand(rng, c.w...)}
			if c.bias {
				in = append(in, convRand(rng, c.w[0]))
			}
			f := func(xs []*Var[float64]) *Var[float64] {
				var b *Var[float64]
				if c.bias {
					b = xs[2]
				}
				return Conv2d(xs[0], xs[1], b, c.o)
			}
			if err := CheckGradients(f, in, &GradCheckOptions{Seed: uint64(i + 1)}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The closed set conv / convT / convW: check the transposed and weight-grad
// ops as functions in their own right (their second derivatives involve all
// three), and a third derivative of conv through Grad twice.
func TestConvAdjointOpsGradCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	g, err := tensor.ConvGeomFor([]int{2, 4, 6, 5}, []int{4, 2, 3, 3}, 2, 1, 1, 1, 1, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	gy := convRand(rng, g.YShape()...)
	x := convRand(rng, g.XShape()...)
	w := convRand(rng, g.WShape()...)
	if err := CheckGradients(func(xs []*Var[float64]) *Var[float64] {
		return convTOp(xs[0], xs[1], g, nil)
	}, []*tensor.Tensor[float64]{gy, w}, nil); err != nil {
		t.Fatal("convT:", err)
	}
	if err := CheckGradients(func(xs []*Var[float64]) *Var[float64] {
		return convWOp(xs[0], xs[1], g, nil)
	}, []*tensor.Tensor[float64]{x, gy}, nil); err != nil {
		t.Fatal("convW:", err)
	}
	// conv(x, w)^2 (not bilinear) through a nonlinearity: second order of a
	// function whose Hessian mixes all three ops.
	if err := CheckGradients(func(xs []*Var[float64]) *Var[float64] {
		y := Conv2d(xs[0], xs[1], nil, Conv2dOpts{StrideH: 2, PadH: 1, PadW: 1, DilW: 2, Groups: 2})
		return Mul(y, Tanh(y))
	}, []*tensor.Tensor[float64]{x, w}, nil); err != nil {
		t.Fatal("conv*tanh(conv):", err)
	}
}

// Conv-4 block (conv -> BN -> ReLU -> maxpool) as a whole, second order.
func TestConvBlockGradCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	in := []*tensor.Tensor[float64]{convRand(rng, 3, 2, 6, 6), convRand(rng, 3, 2, 3, 3), convRand(rng, 3), convRand(rng, 3), convRand(rng, 3)}
	f := func(xs []*Var[float64]) *Var[float64] {
		y := Conv2d(xs[0], xs[1], xs[2], Conv2dOpts{PadH: 1, PadW: 1})
		y = BatchNorm(y, xs[3], xs[4], 1e-5)
		y = Mul(y, Sigmoid(y)) // smooth stand-in for ReLU (no kinks for finite differences)
		return MaxPool2d(y, 2, 2, 0)
	}
	if err := CheckGradients(f, in, &GradCheckOptions{AbsTol: 1e-5, RelTol: 1e-4}); err != nil {
		t.Fatal(err)
	}
}

func TestConvDeterminismGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	x32 := tensor.Convert[float32](convRand(rng, 12, 8, 14, 14))
	w32 := tensor.Convert[float32](convRand(rng, 16, 8, 3, 3))
	b32 := tensor.Convert[float32](convRand(rng, 16))
	g32 := tensor.Convert[float32](convRand(rng, 16))
	run := func(procs int) [][]float32 {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		tp := NewTape[float32]()
		x, w, b, gm := tp.Param(x32), tp.Param(w32), tp.Param(b32), tp.Param(g32)
		y := Conv2d(x, w, b, Conv2dOpts{PadH: 1, PadW: 1})
		y = BatchNorm(y, gm, nil, 1e-5)
		y = MaxPool2d(y, 2, 2, 0)
		loss := SumAll(Mul(y, y))
		gs, err := Grad(loss, []*Var[float32]{x, w, b, gm}, true)
		if err != nil {
			t.Fatal(err)
		}
		out := [][]float32{y.Data()}
		for _, g := range gs {
			out = append(out, g.Data())
		}
		h, err := Grad(SumAll(Mul(gs[1], gs[1])), []*Var[float32]{x, w}, false)
		if err != nil {
			t.Fatal(err)
		}
		return append(out, h[0].Data(), h[1].Data())
	}
	a, b := run(1), run(2)
	for k := range a {
		for i := range a[k] {
			if math.Float32bits(a[k][i]) != math.Float32bits(b[k][i]) {
				t.Fatalf("result %d differs at %d: %v vs %v", k, i, a[k][i], b[k][i])
			}
		}
	}
}

func TestConvPanics(t *testing.T) {
	tp := NewTape[float64]()
	x := tp.Param(tensor.New[float64](1, 3, 5, 5))
	w := tp.Param(tensor.New[float64](2, 2, 3, 3))
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("want panic on channel mismatch")
		}
	}()
	Conv2d(x, w, nil, Conv2dOpts{})
}

// First-order mode records nothing: the gradients through conv, BN and the
// pools are constants.
func TestConvFirstOrderBuildsNoGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	tp := NewTape[float64]()
	x := tp.Param(convRand(rng, 2, 2, 6, 6))
	w := tp.Param(convRand(rng, 3, 2, 3, 3))
	b := tp.Param(convRand(rng, 3))
	gm := tp.Param(convRand(rng, 3))
	bt := tp.Param(convRand(rng, 3))
	y := Conv2d(x, w, b, Conv2dOpts{PadH: 1, PadW: 1})
	y = BatchNorm(y, gm, bt, 1e-5)
	y = Add(MaxPool2d(y, 2, 2, 0), AvgPool2d(y, 3, 2, 1))
	y = BatchNorm(y, nil, nil, 1e-5)
	gs, err := Grad(SumAll(Mul(GlobalAvgPool(y), GlobalAvgPool(y))), []*Var[float64]{x, w, b, gm, bt}, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range gs {
		if g.RequiresGrad() {
			t.Errorf("gradient %d requires grad in first-order mode", i)
		}
	}
}

// TestConvBiasGradFused: the bias gradient taken inside the weight gradient
// kernel equals chanReduce of the output gradient bit for bit, in first- and
// second-order mode, on one-image and batched chunks.
func TestConvBiasGradFused(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, shape := range [][]int{{3, 2, 28, 28}, {25, 3, 7, 7}, {6, 2, 14, 14}} {
		for _, create := range []bool{false, true} {
			tp := NewTape[float32]()
			ws := tensor.NewWorkspace()
			tp.SetWorkspace(ws)
			f32 := func(shape ...int) *tensor.Tensor[float32] {
				x := tensor.New[float32](shape...)
				for i := range x.Data {
					x.Data[i] = float32(rng.NormFloat64())
				}
				return x
			}
			x := tp.Const(f32(shape...))
			w, b := tp.Param(f32(4, shape[1], 3, 3)), tp.Param(f32(4))
			y := Conv2d(x, w, b, Conv2dOpts{PadH: 1, PadW: 1})
			r := tp.Const(f32(y.Value().Shape...))
			gs, err := Grad(SumAll(Mul(y, r)), []*Var[float32]{w, b}, create)
			if err != nil {
				t.Fatal(err)
			}
			want := chanReduce(r, 1).Value().Data
			for k, v := range gs[1].Value().Data {
				if v != want[k] {
					t.Fatalf("%v create=%v: db[%d] %v, chanReduce %v", shape, create, k, v, want[k])
				}
			}
		}
	}
}
