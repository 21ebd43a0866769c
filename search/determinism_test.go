package search

import (
	"math"
	"runtime"
	"testing"

	"github.com/metabench/metabench/tensor"
)

// The exact and finite-difference meta-gradients of a small search task (its
// depthwise convolutions, pools and mixed ops over a 28x28 batch: both the
// serial and the parallel paths of the kernels) are bit-identical for
// GOMAXPROCS 1 and 2.
func TestMetaGradDeterministicAcrossGOMAXPROCS(t *testing.T) {
	for _, mode := range []GradMode{Exact, FiniteDiff} {
		run := func(procs int) []*tensor.Tensor[float32] {
			prev := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(prev)
			net, theta, obj := smallPerfTask(t, mode, 20, 2)
			res, err := MetaGrad(obj, theta, Unroll{Steps: 2, Eta: StepSizes(net, 0.1, 0.1), Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			return res.Grad
		}
		a, b := run(1), run(2)
		for k := range a {
			for i := range a[k].Data {
				if math.Float32bits(a[k].Data[i]) != math.Float32bits(b[k].Data[i]) {
					t.Fatalf("%s: tensor %d [%d]: %v with 1 thread, %v with 2", mode, k, i, a[k].Data[i], b[k].Data[i])
				}
			}
		}
	}
}

// smallPerfTask is the perf workload's task on a smaller network (2 cells,
// C = 4) with the given query size and inner steps.
func smallPerfTask(t *testing.T, mode GradMode, query, steps int) (*SearchNet, []*tensor.Tensor[float32], *TaskObjective[float32]) {
	t.Helper()
	c := DefaultPerfConfig()
	c.Mode, c.Query, c.Net.Channels, c.Net.Cells, c.Steps = mode, query, 4, 2, steps
	net, err := NewSearchNet(c.Net)
	if err != nil {
		t.Fatal(err)
	}
	theta, obj := perfTask(net, c)
	return net, theta, obj
}
