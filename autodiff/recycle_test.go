package autodiff

import (
	"math/rand/v2"
	"testing"

	"github.com/metabench/metabench/tensor"
)

// TestGradReleaseRecyclingMatches runs GradRelease on a graph with
// pass-through gradients (Add), reshapes sharing buffers, shared
// subexpressions, a conv, batch norm and a pool, with and without a
// workspace arena: the gradients must be identical, also when the arena's
// buffers were recycled by earlier rounds, and the arena must have taken
// buffers back during the sweep.
func TestGradReleaseRecyclingMatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	randT := func(shape ...int) *tensor.Tensor[float32] {
		x := tensor.New[float32](shape...)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		return x
	}
	xv, wv, gv, bv, lv := randT(3, 2, 6, 6), randT(4, 2, 3, 3), randT(4), randT(4), randT(36, 5)
	build := func(tp *Tape[float32]) (*Var[float32], []*Var[float32]) {
		x, w, g, b, l := tp.Param(xv), tp.Param(wv), tp.Param(gv), tp.Param(bv), tp.Param(lv)
		h := Conv2d(x, w, nil, Conv2dOpts{PadH: 1, PadW: 1})
		h = BatchNorm(h, g, b, 1e-5)
		h = Add(h, Tanh(h)) // pass-through and a shared node
		p := ReLUMaxPool2d(h, 2, 2, 0)
		f := Reshape(p, 3, 36)
		out := MatMul(Add(f, Mul(f, f)), l)
		return Sum(Mul(out, out), nil, false), []*Var[float32]{x, w, g, b, l}
	}
	tp := NewTape[float32]()
	y, ps := build(tp)
	want, err := GradRelease(y, ps)
	if err != nil {
		t.Fatal(err)
	}
	ws := tensor.NewWorkspace()
	for round := 0; round < 3; round++ {
		scope := ws.Begin()
		tp := NewTape[float32]()
		tp.SetWorkspace(ws)
		y, ps := build(tp)
		mark := ws.Mark()
		got, err := GradRelease(y, ps)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			for j, v := range want[i].Data() {
				if got[i].Data()[j] != v {
					t.Fatalf("round %d param %d[%d]: %v with the arena, %v without", round, i, j, got[i].Data()[j], v)
				}
			}
		}
		if n, _ := ws.Idle(); round == 0 && n == 0 {
			t.Fatalf("round %d: no buffer was recycled during the sweep (mark %v)", round, mark)
		}
		scope.End()
	}
}
