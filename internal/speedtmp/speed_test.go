package speedtmp

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/metabench/metabench/internal/gemm"
	"github.com/metabench/metabench/maml"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

func TestSpeed(t *testing.T) {
	t.Log(gemm.Path())
	m := nn.NewConv4[float32](1, 28, 64, 5)
	p := m.Init(rand.New(rand.NewPCG(1, 2)))
	for _, nq := range []int{1, 15} {
	xs := tensor.New[float32](5, 1, 28, 28)
	xq := tensor.New[float32](5*nq, 1, 28, 28)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range xs.Data { xs.Data[i] = r.Float32() }
	for i := range xq.Data { xq.Data[i] = r.Float32() }
	ys := []int{0, 1, 2, 3, 4}
	yq := make([]int, 5*nq)
	for i := range yq { yq[i] = i / nq }
	task := &maml.Task[float32]{XS: xs, YS: ys, XQ: xq, YQ: yq}
	for _, so := range []bool{true, false} {
		var best time.Duration = time.Hour
		for i := 0; i < 5; i++ {
			t1 := time.Now()
			_, err := maml.TaskMetaGrad(m, p.Tensors, task, maml.Hyper{InnerLR: 0.4, InnerSteps: 1, SecondOrder: so})
			if err != nil { t.Fatal(err) }
			best = min(best, time.Since(t1))
		}
		t.Logf("q=%d so=%v best task %v", nq, so, best)
	}
	t1 := time.Now()
	maml.AdaptEval(m, p.Tensors, task, 0.4, 3)
	t.Logf("eval 3 steps %v", time.Since(t1))
	}
}
