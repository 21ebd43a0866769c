package maml

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

// TestWorkPoolChangesNothing runs a sequence of tasks (second and first
// order, then test-time adaptation) with and without a recycling work pool:
// every meta-gradient, adapted parameter, loss and accuracy must be
// identical bit for bit, including on the later tasks that run on recycled
// buffers. It is the guard against a tensor used after its arena scope ended
// (it would read another task's values).
func TestWorkPoolChangesNothing(t *testing.T) {
	m := nn.NewConv4[float32](1, 16, 8, 3)
	p := m.Init(rand.New(rand.NewPCG(3, 3))).Tensors
	pool := tensor.NewWorkPool()
	same := func(what string, a, b []*tensor.Tensor[float32]) {
		t.Helper()
		for i := range a {
			for j, v := range a[i].Data {
				if math.Float32bits(v) != math.Float32bits(b[i].Data[j]) {
					t.Fatalf("%s: tensor %d[%d]: %v without pool, %v with", what, i, j, v, b[i].Data[j])
				}
			}
		}
	}
	var kept []*TaskResult[float32] // results must stay valid after later tasks
	var want []*TaskResult[float32]
	for k := 0; k < 6; k++ {
		task := synthTask[float32](uint64(10+k), 3, 1+k%2, 2)
		h := Hyper{InnerLR: 0.3, InnerSteps: 1 + k%3, SecondOrder: k%2 == 0}
		plain, err := TaskMetaGrad(m, p, task, h)
		if err != nil {
			t.Fatal(err)
		}
		h.Work = pool
		pooled, err := TaskMetaGrad(m, p, task, h)
		if err != nil {
			t.Fatal(err)
		}
		kept, want = append(kept, pooled), append(want, plain)
		a1, l1, err := AdaptEval(m, p, task, 0.3, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		a2, l2, err := AdaptEval(m, p, task, 0.3, 3, pool)
		if err != nil {
			t.Fatal(err)
		}
		if a1 != a2 || l1 != l2 {
			t.Fatalf("task %d: AdaptEval %v %v without pool, %v %v with", k, a1, l1, a2, l2)
		}
	}
	for k := range kept {
		same("grads", want[k].Grads, kept[k].Grads)
		same("adapted", want[k].Adapted, kept[k].Adapted)
		if want[k].QueryLoss != kept[k].QueryLoss || want[k].QueryAcc != kept[k].QueryAcc {
			t.Fatalf("task %d: query loss/acc %v/%v vs %v/%v", k, want[k].QueryLoss, want[k].QueryAcc, kept[k].QueryLoss, kept[k].QueryAcc)
		}
	}
	ws := pool.Get()
	if n, b := ws.Idle(); n == 0 || b == 0 {
		t.Fatalf("the pool's workspace holds no recycled buffers (%d, %d bytes)", n, b)
	}
}
