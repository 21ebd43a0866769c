package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/tensor"
)

// TestConv4ParamCount: the MAML networks of SPEC 5.1 (about 0.033 M for the
// 32-filter mini-ImageNet net) and the 64-filter Omniglot net.
func TestConv4ParamCount(t *testing.T) {
	cases := []struct{ c, s, f, ways, want int }{
		{1, 28, 64, 5, 112261},
		{1, 28, 64, 20, 113236},
		{3, 84, 32, 5, 32901},
	}
	for _, c := range cases {
		m := NewConv4[float32](c.c, c.s, c.f, c.ways)
		if got := m.ParamCount(); got != c.want {
			t.Errorf("conv4 %dx%d f%d %d-way: %d params, want %d", c.c, c.s, c.f, c.ways, got, c.want)
		}
		p := m.Init(rand.New(rand.NewPCG(1, 2)))
		if p.Count() != c.want || len(p.Names) != 18 {
			t.Errorf("Init: %d params in %d tensors", p.Count(), len(p.Names))
		}
		if err := CheckShapes[float32](m, p.Tensors); err != nil {
			t.Error(err)
		}
	}
}

// TestInit: deterministic in the seed, PyTorch bounds, BN at (1, 0).
func TestInit(t *testing.T) {
	m := NewConv4[float64](1, 28, 16, 5)
	a := m.Init(rand.New(rand.NewPCG(7, 7)))
	b := m.Init(rand.New(rand.NewPCG(7, 7)))
	c := m.Init(rand.New(rand.NewPCG(8, 7)))
	same, diff := true, false
	for i := range a.Tensors {
		for j := range a.Tensors[i].Data {
			same = same && a.Tensors[i].Data[j] == b.Tensors[i].Data[j]
			diff = diff || a.Tensors[i].Data[j] != c.Tensors[i].Data[j]
		}
	}
	if !same || !diff {
		t.Fatalf("init not a function of the seed: same %v diff %v", same, diff)
	}
	bound := map[string]float64{"conv1.w": 1.0 / 3, "conv1.b": 1.0 / 3, "conv2.w": 1 / math.Sqrt(16*9), "fc.w": 1 / math.Sqrt(16), "fc.b": 1 / math.Sqrt(16)}
	for name, bd := range bound {
		tt := a.Tensors[a.Index(name)]
		maxAbs := 0.0
		for _, v := range tt.Data {
			maxAbs = math.Max(maxAbs, math.Abs(v))
		}
		if maxAbs > bd || maxAbs < 0.5*bd {
			t.Errorf("%s: max |w| %g, bound %g", name, maxAbs, bd)
		}
	}
	for _, v := range a.Tensors[a.Index("bn2.gamma")].Data {
		if v != 1 {
			t.Fatal("gamma not 1")
		}
	}
	for _, v := range a.Tensors[a.Index("bn2.beta")].Data {
		if v != 0 {
			t.Fatal("beta not 0")
		}
	}
	m.InitScheme = InitXavier
	x := m.Init(rand.New(rand.NewPCG(7, 7)))
	for _, v := range x.Tensors[x.Index("conv2.b")].Data {
		if v != 0 {
			t.Fatal("xavier bias not 0")
		}
	}
}

// TestConv4MatchesReference: Forward (fused engine ops) equals the network
// written with elementary ops, values and gradients, on 28 and 84 pixels.
func TestConv4MatchesReference(t *testing.T) {
	for _, c := range []struct{ ch, size int }{{1, 28}, {3, 21}} {
		m := NewConv4[float64](c.ch, c.size, 6, 4)
		p := m.Init(rand.New(rand.NewPCG(3, 4)))
		r := rand.New(rand.NewPCG(5, 6))
		x := tensor.New[float64](7, c.ch, c.size, c.size)
		for i := range x.Data {
			x.Data[i] = r.Float64()
		}
		labels := []int{0, 1, 2, 3, 0, 1, 2}
		loss := func(fwd func(tp *autodiff.Tape[float64], vs []*autodiff.Var[float64], x *autodiff.Var[float64]) *autodiff.Var[float64]) (*autodiff.Var[float64], []*autodiff.Var[float64]) {
			tp := autodiff.NewTape[float64]()
			vs := p.Vars(tp)
			logits := fwd(tp, vs, tp.Const(x))
			if s := logits.Shape(); s[0] != 7 || s[1] != 4 {
				t.Fatalf("logits %v", s)
			}
			return autodiff.CrossEntropy(logits, labels), vs
		}
		ref := func(tp *autodiff.Tape[float64], vs []*autodiff.Var[float64], x *autodiff.Var[float64]) *autodiff.Var[float64] {
			h := x
			for b := 0; b < 4; b++ {
				h = autodiff.Conv2d(h, vs[4*b], vs[4*b+1], autodiff.Conv2dOpts{PadH: 1, PadW: 1})
				h = refBatchNorm(h, vs[4*b+2], vs[4*b+3], BNEps)
				h = refMaxPool2x2(autodiff.ReLU(h))
			}
			h = autodiff.Reshape(h, 7, m.Features())
			return autodiff.Linear(h, vs[16], vs[17])
		}
		l1, v1 := loss(m.Forward)
		l2, v2 := loss(ref)
		if d := math.Abs(l1.Item() - l2.Item()); d > 1e-12 {
			t.Fatalf("size %d: loss %v vs reference %v", c.size, l1.Item(), l2.Item())
		}
		g1, _ := autodiff.Grad(l1, v1, false)
		g2, _ := autodiff.Grad(l2, v2, false)
		for i := range g1 {
			for j, v := range g1[i].Data() {
				w := g2[i].Data()[j]
				if math.Abs(v-w) > 1e-10+1e-8*math.Abs(w) {
					t.Fatalf("size %d: grad %s[%d] %v vs reference %v", c.size, p.Names[i], j, v, w)
				}
			}
		}
	}
}

func TestAccuracy(t *testing.T) {
	l := tensor.FromSlice([]float32{1, 2, 0, 5, 3, 3}, 3, 2)
	if a := Accuracy(l, []int{1, 1, 0}); a != 1 {
		t.Fatalf("accuracy %v", a)
	}
	if a := Accuracy(l, []int{0, 0, 1}); a != 0 {
		t.Fatalf("accuracy %v", a)
	}
}
