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
			c := DefaultPerfConfig()
			c.Mode, c.Query, c.Net.Channels, c.Net.Cells, c.Steps = mode, 20, 4, 2, 2
			net, err := NewSearchNet(c.Net)
			if err != nil {
				t.Fatal(err)
			}
			theta, obj := perfTask(net, c)
			res, err := MetaGrad(obj, theta, Unroll{Steps: c.Steps, Eta: StepSizes(net, 0.1, 0.1), Mode: mode})
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
