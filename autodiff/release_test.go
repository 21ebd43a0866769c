package autodiff

import (
	"testing"

	"github.com/metabench/metabench/tensor"
)

// TestGradReleaseMatchesGrad checks that GradRelease gives the same
// gradients as Grad, bit for bit, on a graph with shared subexpressions
// (several contributions per node), and that AddN sums like a chain of Adds.
func TestGradReleaseMatchesGrad(t *testing.T) {
	build := func() (*Var[float64], []*Var[float64]) {
		tp := NewTape[float64]()
		a := tp.Param(tensor.FromSlice([]float64{0.3, -1.2, 2.5, 0.7}, 2, 2))
		b := tp.Param(tensor.FromSlice([]float64{1.1, 0.4, -0.6, 0.9}, 2, 2))
		h := Mul(a, b)
		u := Add(Add(h, Tanh(h)), Mul(h, a))
		y := Sum(Mul(u, Add(u, b)), nil, false)
		return y, []*Var[float64]{a, b}
	}
	y1, xs1 := build()
	g1, err := Grad(y1, xs1, false)
	if err != nil {
		t.Fatal(err)
	}
	y2, xs2 := build()
	g2, err := GradRelease(y2, xs2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range g1 {
		for j, v := range g1[i].Data() {
			if g2[i].Data()[j] != v {
				t.Fatalf("grad %d[%d]: Grad %v, GradRelease %v", i, j, v, g2[i].Data()[j])
			}
		}
	}
	tp := NewTape[float64]()
	p := tp.Param(tensor.FromSlice([]float64{0.1, 0.2, 0.3}, 3))
	q := tp.Param(tensor.FromSlice([]float64{1e-17, 3, -0.7}, 3))
	r := tp.Param(tensor.FromSlice([]float64{1, -3, 0.25}, 3))
	s := AddN(p, q, r)
	want := Add(Add(p, q), r)
	for j, v := range want.Data() {
		if s.Data()[j] != v {
			t.Fatalf("AddN[%d] = %v, want %v", j, s.Data()[j], v)
		}
	}
	gs, err := Grad(Sum(Mul(s, s), nil, false), []*Var[float64]{p, q, r}, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range gs {
		for j, v := range gs[i].Data() {
			if want := 2 * s.Data()[j]; v != want {
				t.Fatalf("d/dx%d[%d] = %v, want %v", i, j, v, want)
			}
		}
	}
}

// TestReluMaxPoolFusedMatches checks that the fused max-pool∘ReLU backward
// gives the same first and second derivatives, bit for bit, as the two ops
// differentiated separately.
func TestReluMaxPoolFusedMatches(t *testing.T) {
	run := func(fused bool) ([]float64, []float64) {
		tp := NewTape[float64]()
		zt := tensor.New[float64](2, 3, 6, 6)
		for i := range zt.Data {
			zt.Data[i] = float64((i*37)%23-11) / 7
		}
		wt := tensor.New[float64](2, 3, 3, 3)
		for i := range wt.Data {
			wt.Data[i] = float64((i*13)%17-8) / 9
		}
		z := tp.Param(zt)
		w := tp.Param(wt)
		r := ReLU(Mul(z, z))
		if !fused {
			r.reluIn = nil
		}
		y := MaxPool2d(r, 2, 2, 0)
		loss := Sum(Mul(Mul(y, y), w), nil, false)
		g, err := Grad(loss, []*Var[float64]{z}, true)
		if err != nil {
			t.Fatal(err)
		}
		h, err := Grad(Sum(Mul(g[0], g[0]), nil, false), []*Var[float64]{z, w}, false)
		if err != nil {
			t.Fatal(err)
		}
		return g[0].Data(), append(append([]float64(nil), h[0].Data()...), h[1].Data()...)
	}
	g1, h1 := run(false)
	g2, h2 := run(true)
	for i := range g1 {
		if g1[i] != g2[i] {
			t.Fatalf("grad[%d]: %v vs fused %v", i, g1[i], g2[i])
		}
	}
	for i := range h1 {
		if h1[i] != h2[i] {
			t.Fatalf("second order [%d]: %v vs fused %v", i, h1[i], h2[i])
		}
	}
}
