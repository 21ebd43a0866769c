package search

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/metabench/metabench/tensor"
)

// BenchmarkMetaGrad times one task of the default perf workload per mode
// with a smaller query set (go test -bench MetaGrad ./search).
func BenchmarkMetaGrad(b *testing.B) {
	for _, m := range []GradMode{Exact, FiniteDiff, FirstOrder} {
		b.Run(string(m), func(b *testing.B) {
			c := DefaultPerfConfig()
			c.Mode, c.Query, c.Net.Channels, c.Net.Cells = m, 25, 4, 2
			fn, err := PerfWorkload(c)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGradAtBatch times one first-order gradient of the default perf
// network per batch size: the support passes of the finite-difference
// variant (5 images) against the query pass (75).
func BenchmarkGradAtBatch(b *testing.B) {
	for _, n := range []int{5, 75} {
		b.Run(fmt.Sprintf("images=%d", n), func(b *testing.B) {
			c := DefaultPerfConfig()
			net, err := NewSearchNet(c.Net)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 1))
			theta := InitTheta[float32](net, rng)
			x := tensor.New[float32](n, 1, c.ImageSize, c.ImageSize)
			for i := range x.Data {
				x.Data[i] = float32(rng.NormFloat64())
			}
			y := make([]int, n)
			for i := range y {
				y[i] = i % c.Net.Classes
			}
			batch := Batch[float32]{X: x, Y: y}
			obj := NewTaskObjective(net, c.Relax, 1, batch, batch, 1, rng)
			work := tensor.NewWorkPool()
			for b.Loop() {
				if _, _, err := gradAt[float32](obj, theta, 0, work); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
