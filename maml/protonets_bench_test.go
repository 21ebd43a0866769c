package maml

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

// BenchmarkProtoNetsStep times Trainer.Step of ProtoNets on the shapes of
// the shipped Omniglot files (Conv-4 with 64 filters on 1x28x28 images,
// 5-way 1-shot, Q query images per class, meta-batch B, tasks on GOMAXPROCS
// workers) with random images, and reports episodes per second; the PyTorch
// step of scripts/protonets_torch.py runs the same shapes.
//
//	GOEXPERIMENT=simd go test -run '^$' -bench ProtoNetsStep ./maml/
func BenchmarkProtoNetsStep(b *testing.B) { benchmarkStep(b, "protonets") }

// BenchmarkMAMLStep is BenchmarkProtoNetsStep for second-order MAML with one
// inner step at 0.4 (the 30-minute files' MAML), for the cost per episode of
// the two methods on the same shapes.
func BenchmarkMAMLStep(b *testing.B) { benchmarkStep(b, "maml") }

func benchmarkStep(b *testing.B, method string) {
	for _, c := range []struct{ queries, batch int }{{5, 4}, {15, 4}} {
		b.Run(fmt.Sprintf("q%d-mb%d", c.queries, c.batch), func(b *testing.B) {
			m := nn.NewConv4[float32](1, 28, 64, 5)
			p := m.Init(rand.New(rand.NewPCG(1, 1))).Tensors
			tasks := make([]*Task[float32], c.batch)
			for k := range tasks {
				tasks[k] = synthTaskSized[float32](uint64(k), 5, 1, c.queries, 28)
			}
			s := Settings{InnerLR: 0.4, InnerSteps: 1, MetaLR: 1e-3, Work: tensor.NewWorkPool()}
			meth, err := New[float32](method)
			if err != nil {
				b.Fatal(err)
			}
			tr := NewTrainer[float32](m, meth, s, p, 1, c.batch, 0, func(_, k int) (*Task[float32], error) { return tasks[k], nil })
			if _, err := tr.Step(0); err != nil { // warm the workspaces
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Step(i + 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*c.batch)/b.Elapsed().Seconds(), "episodes/s")
		})
	}
}
