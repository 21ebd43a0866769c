package search

import (
	"math"
	"testing"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/tensor"
)

// TestWorkPoolChangesNothing: a meta-gradient whose tapes record into a
// workspace arena, on buffers another task left behind, has the bits of one
// that allocates from the heap (exact and finite-difference, two inner
// steps; and the inner loop alone).
func TestWorkPoolChangesNothing(t *testing.T) {
	for _, mode := range []GradMode{Exact, FiniteDiff} {
		const steps = 2
		net, theta, obj := smallPerfTask(t, mode, 10, steps)
		other := make([]*tensor.Tensor[float32], len(theta))
		for k, th := range theta {
			other[k] = th.Clone()
			for i := range other[k].Data {
				other[k].Data[i] = 1.5*other[k].Data[i] + 0.01
			}
		}
		u := Unroll{Steps: steps, Eta: StepSizes(net, 0.1, 0.1), Mode: mode}
		plain, err := MetaGrad(obj, theta, u)
		if err != nil {
			t.Fatal(err)
		}
		u.Work = tensor.NewWorkPool()
		if _, err := MetaGrad(obj, other, u); err != nil { // fills the arena with other values
			t.Fatal(err)
		}
		pooled, err := MetaGrad(obj, theta, u)
		if err != nil {
			t.Fatal(err)
		}
		if ws := u.Work.Get(); ws.Scoped() {
			t.Fatalf("%s: a scope left open", mode)
		} else if n, _ := ws.Idle(); n == 0 {
			t.Fatalf("%s: the arena lent nothing", mode)
		}
		sameBits(t, string(mode)+" grad", plain.Grad, pooled.Grad)
		sameBits(t, string(mode)+" adapted", plain.Adapted, pooled.Adapted)
		if plain.QueryLoss != pooled.QueryLoss {
			t.Fatalf("%s: query loss %v plain, %v pooled", mode, plain.QueryLoss, pooled.QueryLoss)
		}

		psi, _, err := Adapt(obj, theta, u.Eta, steps, nil)
		if err != nil {
			t.Fatal(err)
		}
		psiPooled, _, err := Adapt(obj, theta, u.Eta, steps, u.Work)
		if err != nil {
			t.Fatal(err)
		}
		sameBits(t, string(mode)+" Adapt", psi, psiPooled)
	}
}

func sameBits(t *testing.T, what string, a, b []*tensor.Tensor[float32]) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d tensors against %d", what, len(a), len(b))
	}
	for k := range a {
		for i := range a[k].Data {
			if math.Float32bits(a[k].Data[i]) != math.Float32bits(b[k].Data[i]) {
				t.Fatalf("%s: tensor %d [%d]: %v plain, %v pooled", what, k, i, a[k].Data[i], b[k].Data[i])
			}
		}
	}
}

// TestQueryLogitsAreTheAdaptedPass: the logits MetaGrad's query pass leaves
// on the objective are those of a separate no-gradient forward pass at ψ^T
// (which the searcher's query accuracy used to run), bit for bit.
func TestQueryLogitsAreTheAdaptedPass(t *testing.T) {
	for _, mode := range []GradMode{Exact, FiniteDiff} {
		net, theta, obj := smallPerfTask(t, mode, 10, 1)
		if obj.QueryLogits() != nil {
			t.Fatal("query logits before any pass")
		}
		work := tensor.NewWorkPool()
		res, err := MetaGrad(obj, theta, Unroll{Steps: 1, Eta: StepSizes(net, 0.1, 0.1), Mode: mode, Work: work})
		if err != nil {
			t.Fatal(err)
		}
		got := obj.QueryLogits()
		tp := ad.NewTape[float32]()
		want := obj.Logits(tp, constVars(tp, res.Adapted), obj.Query.X, obj.QueryNoise).Value()
		sameBits(t, string(mode)+" query logits", []*tensor.Tensor[float32]{got}, []*tensor.Tensor[float32]{want})
		if a, b := accuracy(got, obj.Query.Y), queryAccuracy(obj, res.Adapted, work); a != b {
			t.Fatalf("%s: accuracy %v from the kept logits, %v from a new pass", mode, a, b)
		}
	}
}
