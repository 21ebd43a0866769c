package search

import (
	"fmt"
	"math/rand/v2"

	"github.com/metabench/metabench/tensor"
)

// PerfConfig sizes the search meta-iteration workload of `metabench perf`.
type PerfConfig struct {
	Net       SearchNetConfig
	ImageSize int // square images of Net.InChannels channels
	Support   int // support images (ways x shots)
	Query     int // query images
	Steps     int // T inner steps
	Mode      GradMode
	Relax     Relaxation
	FDEps     float64
}

// DefaultPerfConfig is one 5-way 1-shot Omniglot task (5 support, 75 query
// images of 1x28x28) on the scaled-down Omniglot search network (3 cells
// N R N, C = 8, stem stride 1), one inner step, exact second-order
// meta-gradient with Gumbel-softmax: the task of one BASE meta-iteration.
func DefaultPerfConfig() PerfConfig {
	return PerfConfig{
		Net:       SearchNetConfig{Cells: 3, Channels: 8, Classes: 5, InChannels: 1, StemStride: 1, Reductions: []int{1}},
		ImageSize: 28, Support: 5, Query: 75, Steps: 1, Mode: Exact, Relax: Relaxation{Kind: RelaxGumbel},
	}
}

// perfTask draws the workload's Θ (seed 1) and its task: inputs N(0,1),
// labels i mod ways.
func perfTask(net *SearchNet, c PerfConfig) ([]*tensor.Tensor[float32], *TaskObjective[float32]) {
	rng := rand.New(rand.NewPCG(1, 1))
	theta := InitTheta[float32](net, rng)
	mk := func(n int) Batch[float32] {
		x := tensor.New[float32](n, c.Net.InChannels, c.ImageSize, c.ImageSize)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		y := make([]int, n)
		for i := range y {
			y[i] = i % c.Net.Classes
		}
		return Batch[float32]{X: x, Y: y}
	}
	return theta, NewTaskObjective(net, c.Relax, 1, mk(c.Support), mk(c.Query), c.Steps, rng)
}

// PerfWorkload prepares the workload: inputs N(0,1), labels i mod ways, Θ
// drawn from seed 1, float32. The returned function runs one repetition:
// T inner steps and the meta-gradient of one task.
func PerfWorkload(c PerfConfig) (func() error, error) {
	net, err := NewSearchNet(c.Net)
	if err != nil {
		return nil, err
	}
	if c.ImageSize < 1 || c.Support < 1 || c.Query < 1 || c.Steps < 0 {
		return nil, fmt.Errorf("perf workload: bad sizes %+v", c)
	}
	theta, obj := perfTask(net, c)
	eta := StepSizes(net, 0.1, 0.1)
	u := Unroll{Steps: c.Steps, Eta: eta, Mode: c.Mode, FDEps: c.FDEps, Work: tensor.NewWorkPool()}
	return func() error {
		_, err := MetaGrad(obj, theta, u)
		return err
	}, nil
}
