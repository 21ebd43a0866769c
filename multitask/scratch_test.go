package multitask

import (
	"math/rand/v2"
	"testing"
	"time"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/tensor"
)

func TestScratchTiming(t *testing.T) {
	for _, tc := range []struct{ cells, c, size, batch int; red []int }{{2, 4, 32, 16, []int{1}}, {2, 8, 32, 16, []int{1}}, {3, 4, 32, 16, []int{1, 2}}, {2, 4, 16, 16, []int{1}}, {3, 8, 16, 32, []int{1, 2}}} {
		net, err := search.NewSearchNet(search.SearchNetConfig{Cells: tc.cells, Channels: tc.c, Classes: 10, InChannels: 3, StemStride: 2, Reductions: tc.red})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		th := search.InitTheta[float32](net, rng)
		x := tensor.New[float32](tc.batch, 3, tc.size, tc.size)
		for i := range x.Data {
			x.Data[i] = rng.Float32()
		}
		y := make([]int, tc.batch)
		obj := search.NewTaskObjective(net, search.Relaxation{Kind: "gumbel"}, 1, search.Batch[float32]{X: x, Y: y}, search.Batch[float32]{X: x, Y: y}, 3, rng)
		t0 := time.Now()
		_, _, err = search.Adapt[float32](obj, th, search.StepSizes(net, 0.01, 0.01), 3)
		if err != nil {
			t.Fatal(err)
		}
		_ = ad.NewTape[float32]
		t.Logf("%+v: %.3fs/step params %d", tc, time.Since(t0).Seconds()/3, net.Layout().Count())
	}
}
