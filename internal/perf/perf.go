// Package perf runs the standard performance workloads of metabench, the
// same ones, with the same shapes, as the PyTorch reference script
// ../shared/peer/torch_bench.py, so the two can be compared side by side:
//
//   - conv4_fwd_bwd: Conv-4 (4 x [conv3x3 64 pad 1 + bias, batch norm with
//     scale and shift, ReLU, max-pool 2x2], linear 64->5 with weight
//     [in, out]) on 1x28x28, batch 25: forward, cross-entropy, gradients of
//     all 18 parameters.
//   - maml2_task: one 5-way 1-shot Omniglot task (5 support, 75 query), one
//     inner SGD step at lr 0.4, exact second-order meta-gradient.
//   - fomaml_task: the same task, first-order meta-gradient.
//   - maml2_mini_task: one 5-way 5-shot mini-ImageNet task, Conv-4 with 32
//     filters on 3x84x84, 25 support, 75 query, 5 inner steps at lr 0.01,
//     exact second-order meta-gradient.
//
// Parameters are drawn as in the script (conv and linear weights N(0,1)*0.1,
// biases and shifts 0, scales 1), inputs N(0,1), labels i mod 5, in float32.
// Each workload runs 2 warm-up repetitions, then reps timed ones (reps/3,
// at least 3, for maml2_mini_task), and reports median, min and max in
// milliseconds.
package perf

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/internal/gemm"
	"github.com/metabench/metabench/maml"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/tensor"
)

// Names lists the workloads in the order they run, for the default search
// unroll lengths (see Options.SearchSteps).
func Names() []string { return NamesFor(nil) }

// NamesFor lists the workloads for the given search unroll lengths.
func NamesFor(searchSteps []int) []string {
	out := []string{"conv4_fwd_bwd", "maml2_task", "fomaml_task", "maml2_mini_task"}
	for _, t := range searchStepsOrDefault(searchSteps) {
		out = append(out, searchName(search.Exact, t), searchName(search.FiniteDiff, t))
	}
	return out
}

func searchStepsOrDefault(steps []int) []int {
	if len(steps) == 0 {
		return []int{1}
	}
	return steps
}

// searchName is the name of a BASE search meta-iteration workload:
// base_search_exact_t1 (variant A, exact unrolled meta-gradient) or
// base_search_fd_t1 (variant A', finite-difference HVP recursion).
func searchName(mode search.GradMode, steps int) string {
	m := "exact"
	if mode == search.FiniteDiff {
		m = "fd"
	}
	return fmt.Sprintf("base_search_%s_t%d", m, steps)
}

// Timing is one workload's result; the JSON names match torch_bench.py.
type Timing struct {
	MedianMS float64 `json:"median_ms"`
	MinMS    float64 `json:"min_ms"`
	MaxMS    float64 `json:"max_ms"`
	Reps     int     `json:"reps"`
	// TimesMS are the repetitions' times in the order they ran (the
	// spread a speed check reads its within-run noise from).
	TimesMS []float64 `json:"times_ms,omitempty"`
	// PeakRSSMB is the peak resident memory while this workload ran (the
	// high-water mark is reset before it where the OS allows; 0 if unknown).
	PeakRSSMB float64 `json:"peak_rss_mb,omitempty"`
	// MatFLOPs are the floating-point operations of one repetition's matrix
	// products (gemm.FLOPs: 2mnk per product, counted by the engine;
	// convolutions are im2col products), GFLOPS that count over the median
	// time and PeakFraction GFLOPS over the machine's measured peak
	// (Report.Peak). Element-wise work (batch norm, pooling, activations,
	// the depthwise convolutions of the search) is not counted: it is
	// memory-bound, so the fraction is that of the time spent at the
	// arithmetic the cores are built for.
	MatFLOPs     int64   `json:"mat_flops,omitempty"`
	GFLOPS       float64 `json:"gflops,omitempty"`
	PeakFraction float64 `json:"peak_fraction,omitempty"`
}

// Options select and size the run.
type Options struct {
	Reps int      // timed repetitions (torch_bench.py's default is 15)
	Only []string // workload names; empty means all
	// SearchSteps are the inner-step counts T of the BASE search
	// workloads (one exact and one finite-difference workload per T, to
	// show how time and memory grow with T); empty means {1}.
	SearchSteps []int
	// Progress, when not nil, is called before each workload.
	Progress func(name string)
}

// Report is the outcome of Run.
type Report struct {
	GoVersion  string
	GOMAXPROCS int
	GemmPath   string
	Order      []string
	Workloads  map[string]Timing
	PeakRSSMB  float64 // process peak over the whole run (0 if unknown)
	// Peak is the attainable float32 rate of the cores in use, measured
	// before the workloads (gemm.MeasurePeak).
	Peak gemm.Peak
}

// workload is a prepared workload: fn runs one repetition.
type workload struct {
	name string
	reps int
	fn   func() error
}

// Run prepares and times the selected workloads.
func Run(opts Options) (*Report, error) {
	if opts.Reps < 1 {
		return nil, fmt.Errorf("perf: reps must be at least 1, got %d", opts.Reps)
	}
	all := NamesFor(opts.SearchSteps)
	for _, n := range opts.Only {
		if !slices.Contains(all, n) {
			return nil, fmt.Errorf("perf: unknown workload %q (have %v)", n, all)
		}
	}
	for _, t := range opts.SearchSteps {
		if t < 1 {
			return nil, fmt.Errorf("perf: search steps must be at least 1, got %d", t)
		}
	}
	rep := &Report{
		GoVersion:  runtime.Version(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GemmPath:   gemm.Path(),
		Workloads:  map[string]Timing{},
	}
	rep.Peak = gemm.MeasurePeak(600 * time.Millisecond)
	ws, err := workloads(opts.Reps, searchStepsOrDefault(opts.SearchSteps))
	if err != nil {
		return nil, err
	}
	for i, w := range ws {
		// Each workload's closure owns its scratch arena. Only the loop
		// variable w holds it from here on, so once the next iteration
		// replaces w the collector can return that memory (FreeOSMemory
		// below) and a workload's peak is its own, not the sum of everything
		// before it (torch_bench.py frees each workload's tensors the same way).
		ws[i] = workload{}
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, w.name) {
			continue
		}
		if opts.Progress != nil {
			opts.Progress(w.name)
		}
		debug.FreeOSMemory()
		resetPeakRSS()
		t, err := timed(w.fn, w.reps, 2)
		if err != nil {
			return nil, fmt.Errorf("perf: %s: %w", w.name, err)
		}
		t.PeakRSSMB = peakRSSMB()
		if t.MatFLOPs > 0 && t.MedianMS > 0 {
			t.GFLOPS = float64(t.MatFLOPs) / (t.MedianMS * 1e6)
			if rep.Peak.GFLOPS > 0 {
				t.PeakFraction = t.GFLOPS / rep.Peak.GFLOPS
			}
		}
		rep.Order = append(rep.Order, w.name)
		rep.Workloads[w.name] = t
	}
	rep.PeakRSSMB = processPeakRSSMB()
	return rep, nil
}

// timed runs fn warmup times, then reps timed times; the first warm-up
// repetition counts the matrix-product operations of one repetition.
func timed(fn func() error, reps, warmup int) (Timing, error) {
	var flops int64
	for i := 0; i < warmup; i++ {
		before := gemm.FLOPs()
		if err := fn(); err != nil {
			return Timing{}, err
		}
		if i == 0 {
			flops = gemm.FLOPs() - before
		}
	}
	ms := make([]float64, reps)
	for i := range ms {
		start := time.Now()
		if err := fn(); err != nil {
			return Timing{}, err
		}
		ms[i] = float64(time.Since(start).Nanoseconds()) / 1e6
	}
	inOrder := slices.Clone(ms)
	slices.Sort(ms)
	med := ms[reps/2]
	if reps%2 == 0 {
		med = (ms[reps/2-1] + ms[reps/2]) / 2
	}
	return Timing{MedianMS: med, MinMS: ms[0], MaxMS: ms[reps-1], Reps: reps, TimesMS: inOrder, MatFLOPs: flops}, nil
}

// conv4Params draws Conv-4 parameters as torch_bench.py's conv4() does.
func conv4Params(m *nn.Conv4[float32], rng *rand.Rand) []*tensor.Tensor[float32] {
	names, shapes := m.ParamNames(), m.ParamShapes()
	ps := make([]*tensor.Tensor[float32], len(shapes))
	for i, s := range shapes {
		t := tensor.New[float32](s...)
		switch name := names[i]; {
		case name[len(name)-2:] == ".w": // conv [F, C, 3, 3] and linear [in, out]
			for j := range t.Data {
				t.Data[j] = float32(rng.NormFloat64() * 0.1)
			}
		case len(name) > 6 && name[len(name)-6:] == ".gamma":
			for j := range t.Data {
				t.Data[j] = 1
			}
		}
		ps[i] = t
	}
	return ps
}

// batch draws n images channels x hw x hw from N(0,1), labels i mod ways.
func batch(n, ways, channels, hw int, rng *rand.Rand) (*tensor.Tensor[float32], []int) {
	x := tensor.New[float32](n, channels, hw, hw)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % ways
	}
	return x, y
}

func task(support, query int, ways, channels, hw int, rng *rand.Rand) *maml.Task[float32] {
	xs, ys := batch(support, ways, channels, hw, rng)
	xq, yq := batch(query, ways, channels, hw, rng)
	return &maml.Task[float32]{XS: xs, YS: ys, XQ: xq, YQ: yq}
}

// workloads prepares the workloads with fixed seeds: the four of
// torch_bench.py, then one BASE search meta-iteration (the task of
// search.DefaultPerfConfig: 5-way 1-shot Omniglot, 75 queries, on the
// scaled-down search network) per unroll length and gradient mode.
func workloads(reps int, searchSteps []int) ([]workload, error) {
	rng := rand.New(rand.NewPCG(1, 1))
	omni := nn.NewConv4[float32](1, 28, 64, 5)
	omniParams := conv4Params(omni, rng)
	x, y := batch(25, 5, 1, 28, rng)
	omniTask := task(5, 75, 5, 1, 28, rng)
	mini := nn.NewConv4[float32](3, 84, 32, 5)
	miniParams := conv4Params(mini, rng)
	miniTask := task(25, 75, 5, 3, 84, rng)

	metaGrad := func(m *nn.Conv4[float32], ps []*tensor.Tensor[float32], t *maml.Task[float32], h maml.Hyper) func() error {
		return func() error {
			_, err := maml.TaskMetaGrad[float32](m, ps, t, h)
			return err
		}
	}
	// Every workload recycles its buffers from one repetition to the next
	// through a workspace arena, as a training loop does (maml.Trainer);
	// the gradients are copied out, as PyTorch's .grad holds them.
	convWork := tensor.NewWorkspace()
	convGrads := make([]*tensor.Tensor[float32], len(omniParams))
	ws := []workload{
		{"conv4_fwd_bwd", reps, func() error {
			scope := convWork.Begin()
			defer scope.End()
			tp := autodiff.NewTape[float32]()
			tp.SetWorkspace(convWork)
			vars := nn.Vars(tp, omniParams)
			loss := autodiff.CrossEntropy(omni.Forward(tp, vars, tp.Const(x)), y)
			g, err := autodiff.GradRelease(loss, vars) // loss.backward() frees the graph too
			for i := range g {
				convGrads[i] = tensor.Clone(g[i].Value())
			}
			return err
		}},
		{"maml2_task", reps, metaGrad(omni, omniParams, omniTask, maml.Hyper{InnerLR: 0.4, InnerSteps: 1, SecondOrder: true, Work: tensor.NewWorkPool()})},
		{"fomaml_task", reps, metaGrad(omni, omniParams, omniTask, maml.Hyper{InnerLR: 0.4, InnerSteps: 1, SecondOrder: false, Work: tensor.NewWorkPool()})},
		{"maml2_mini_task", max(3, reps/3), metaGrad(mini, miniParams, miniTask, maml.Hyper{InnerLR: 0.01, InnerSteps: 5, SecondOrder: true, Work: tensor.NewWorkPool()})},
	}
	for _, t := range searchSteps {
		for _, mode := range []search.GradMode{search.Exact, search.FiniteDiff} {
			c := search.DefaultPerfConfig()
			c.Steps, c.Mode = t, mode
			if mode == search.FiniteDiff {
				c.FDEps = 0.01 // DARTS's radius, the search default
			}
			fn, err := search.PerfWorkload(c)
			if err != nil {
				return nil, fmt.Errorf("perf: %s: %w", searchName(mode, t), err)
			}
			ws = append(ws, workload{searchName(mode, t), max(3, reps/5), fn})
		}
	}
	return ws, nil
}
