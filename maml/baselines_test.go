package maml

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

// tinyNet is the network of the finite-difference checks: Conv-4 with 2
// filters on 16x16 images, 3 ways (159 parameters), in float64.
func tinyNet(seed uint64) (*nn.Conv4[float64], []*tensor.Tensor[float64]) {
	m := nn.NewConv4[float64](1, 16, 2, 3)
	return m, m.Init(rand.New(rand.NewPCG(seed, seed))).Tensors
}

// jitter adds U(-a, a) noise to every element (so that per-element rates
// and per-step rows differ from one another).
func jitter(ts []*tensor.Tensor[float64], a float64, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 3))
	for _, t := range ts {
		for j := range t.Data {
			t.Data[j] += a * (2*r.Float64() - 1)
		}
	}
}

// checkMetaGradFD compares a method's task gradient (θ, then its
// meta-parameters) with central finite differences of the task's Objective,
// in float64.
func checkMetaGradFD(t *testing.T, meth Method[float64], m nn.Model[float64], params []*tensor.Tensor[float64], task *Task[float64], s *Settings) {
	t.Helper()
	res, err := meth.TaskGrad(m, params, task, s, nil)
	require.NoError(t, err)
	all := append(append([]*tensor.Tensor[float64](nil), params...), metaParamsOf(meth)...)
	require.Len(t, res.Grads, len(all))
	var x0, got []float64
	for i, p := range all {
		x0 = append(x0, p.Data...)
		got = append(got, res.Grads[i].Data...)
	}
	set := func(x []float64) {
		k := 0
		for _, p := range all {
			k += copy(p.Data, x[k:])
		}
	}
	want := fd.Gradient(nil, func(x []float64) float64 {
		set(x)
		r, err := meth.TaskGrad(m, params, task, s, nil)
		require.NoError(t, err)
		return r.Objective
	}, x0, &fd.Settings{Formula: fd.Central, Step: 1e-6})
	set(x0)
	worst, scale := 0.0, 0.0
	for i := range got {
		worst = math.Max(worst, math.Abs(got[i]-want[i]))
		scale = math.Max(scale, math.Abs(want[i]))
	}
	require.Greater(t, scale, 1e-3, "%s: the gradient is (nearly) zero", meth.Name())
	for i := range got {
		require.InDelta(t, want[i], got[i], 1e-6+1e-5*math.Abs(want[i]), "%s: element %d of %d (worst %g, largest %g)", meth.Name(), i, len(got), worst, scale)
	}
}

// TestBaselinesMetaGradFD: the gradient of every registered method whose
// gradient is exact (second order: MAML, ANIL, Meta-SGD, MAML++ with respect
// to θ and to the learned rates and per-step batch-norm weights; no inner
// loop: ProtoNets) agrees with central finite differences of its objective
// on a tiny network, in float64.
func TestBaselinesMetaGradFD(t *testing.T) {
	settings := map[string]Settings{
		"anil":    {InnerLR: 0.5, InnerSteps: 2},
		"metasgd": {InnerLR: 0.3, InnerSteps: 2},
		// mid-way through the multi-step loss annealing: every step's loss counts
		"mamlpp": {InnerLR: 0.3, InnerSteps: 3, Iteration: 4},
	}
	opts := map[string]any{"mamlpp": &MAMLPPOptions{PerStepBN: true, LearnInnerLR: true, MultiStepLossIterations: 10}}
	for _, name := range Names() {
		d, _ := Lookup(name)
		if !d.Caps.SecondOrder && !d.Caps.NoInnerLoop {
			continue // first order: not the gradient of its objective
		}
		t.Run(name, func(t *testing.T) {
			m, p := tinyNet(11)
			meth := testMethod[float64](t, name, opts)
			s, ok := settings[name]
			if !ok && !d.Caps.NoInnerLoop {
				s = Settings{InnerLR: 0.4, InnerSteps: 2}
			}
			NewOuterFor(meth, m, &s, p)
			jitter(metaParamsOf(meth), 0.1, 5)
			checkMetaGradFD(t, meth, m, p, synthTask[float64](21, 3, 2, 2), &s)
		})
	}
}

// TestMetaSGDAtUniformRateIsMAML: with every learned rate equal to the MAML
// rate, Meta-SGD's θ-gradient is MAML's exact meta-gradient, and the
// α-gradient is not zero.
func TestMetaSGDAtUniformRateIsMAML(t *testing.T) {
	m, p := tinyNet(12)
	task := synthTask[float64](22, 3, 2, 2)
	s := Settings{InnerLR: 0.4, InnerSteps: 2}
	want, err := TaskMetaGrad(m, p, task, Hyper{InnerLR: 0.4, InnerSteps: 2, SecondOrder: true})
	require.NoError(t, err)
	for _, name := range []string{"metasgd", "mamlpp"} {
		meth := testMethod[float64](t, name, map[string]any{"mamlpp": &MAMLPPOptions{LearnInnerLR: true}})
		s := s
		NewOuterFor(meth, m, &s, p)
		got, err := meth.TaskGrad(m, p, task, &s, nil)
		require.NoError(t, err)
		for i := range p {
			for j, v := range want.Grads[i].Data {
				require.InDelta(t, v, got.Grads[i].Data[j], 1e-12, "%s param %d[%d]", name, i, j)
			}
		}
		require.InDelta(t, want.QueryLoss, got.Objective, 1e-12)
		nz := 0.0
		for _, g := range got.Grads[len(p):] {
			for _, v := range g.Data {
				nz = math.Max(nz, math.Abs(v))
			}
		}
		require.Greater(t, nz, 0.0, "%s: learned rates get no gradient", name)
	}
}

// TestMAMLPPPlainIsMAML: MAML++ with every option off is MAML, bit for bit
// in the meta-gradient and its outer step, first order included.
func TestMAMLPPPlainIsMAML(t *testing.T) {
	m, p := tinyNet(13)
	task := synthTask[float64](23, 3, 2, 2)
	for _, second := range []bool{true, false} {
		foIters := 0
		if !second {
			foIters = 5
		}
		s := Settings{InnerLR: 0.4, InnerSteps: 2, FirstOrderIterations: foIters}
		want, err := MAML[float64]{SecondOrder: true}.TaskGrad(m, p, task, &s, nil)
		require.NoError(t, err)
		pp := &MAMLPP[float64]{}
		NewOuterFor[float64](pp, m, &s, p)
		require.Empty(t, pp.MetaParams())
		got, err := pp.TaskGrad(m, p, task, &s, nil)
		require.NoError(t, err)
		for i := range p {
			for j, v := range want.Grads[i].Data {
				require.InDelta(t, v, got.Grads[i].Data[j], 1e-12, "second order %v: param %d[%d]", second, i, j)
			}
		}
	}
}

// TestMAMLPPPerStepBN: with per-step batch norm the model's own γ and β are
// neither adapted nor meta-learned, step t's forward pass reads row t (a row
// past the inner steps changes nothing, one inside them changes the
// objective), and the learned rates and rows are meta-parameters.
func TestMAMLPPPerStepBN(t *testing.T) {
	m, p := tinyNet(14)
	task := synthTask[float64](24, 3, 2, 2)
	s := Settings{InnerLR: 0.4, InnerSteps: 2, TestSteps: 2}
	pp := &MAMLPP[float64]{Options: MAMLPPOptions{PerStepBN: true, LearnInnerLR: true}}
	NewOuterFor[float64](pp, m, &s, p)
	require.Len(t, pp.bn, 8)
	require.Len(t, pp.lrs, 10)
	r, err := pp.TaskGrad(m, p, task, &s, nil)
	require.NoError(t, err)
	for _, i := range pp.bnIdx {
		for _, v := range r.Grads[i].Data {
			require.Zero(t, v, "model batch-norm weight %s has a gradient", m.ParamNames()[i])
		}
		require.Equal(t, p[i].Data, r.Adapted[i].Data, "%s adapted", m.ParamNames()[i])
	}
	// row 1 (the second step and the query pass after it) matters
	before := r.Objective
	pp.bn[0].Data[len(pp.bn[0].Data)-1] += 0.5
	r2, err := pp.TaskGrad(m, p, task, &s, nil)
	require.NoError(t, err)
	require.NotEqual(t, before, r2.Objective)
	// a model without parameter names cannot use per-step batch norm
	bare := &MAMLPP[float64]{Options: pp.Options}
	bare.NewOuter(&s, p)
	_, err = bare.TaskGrad(m, p, task, &s, nil)
	require.ErrorContains(t, err, "NewOuterFor")
}

func TestMSLWeights(t *testing.T) {
	require.Nil(t, mslWeights(5, 0, 0))
	require.Nil(t, mslWeights(5, 100, 100))
	w := mslWeights(5, 0, 100)
	for _, v := range w {
		require.InDelta(t, 0.2, v, 1e-15)
	}
	w = mslWeights(5, 99, 100)
	sum := 0.0
	for _, v := range w {
		sum += v
	}
	require.InDelta(t, 0.006, w[0], 1e-15) // the floor 0.03/S
	require.InDelta(t, 1-4*0.006, w[4], 1e-15)
	require.InDelta(t, 1, sum, 1e-12)
	w = mslWeights(4, 5, 10)
	require.InDelta(t, 0.125, w[0], 1e-15)
	require.InDelta(t, 0.25+0.5*0.75, w[3], 1e-15)
}

// TestMetaAdamSchedule: the settings' schedule reaches the outer Adam.
func TestMetaAdamSchedule(t *testing.T) {
	s := Settings{MetaLR: 1e-3, MetaLRFinal: 1e-5, Iterations: 100, MetaLRSchedule: ScheduleCosine}
	a := MetaAdam[float32](&s, nil)
	require.InDelta(t, 1e-3, a.Rate(0), 1e-18)
	require.InDelta(t, (1e-3+1e-5)/2, a.Rate(50), 1e-15)
	require.InDelta(t, 1e-5, a.Rate(100), 1e-18)
	require.InDelta(t, 1e-5, a.Rate(150), 1e-18)
	s.MetaLRFinal = 0
	require.InDelta(t, 0, MetaAdam[float32](&s, nil).Rate(100), 1e-18)
}

// TestANILAdaptsTheHeadOnly: ANIL's inner loop leaves the body at θ and
// moves the head; with no inner step its meta-gradient is the query
// gradient; and the body does get a meta-gradient (through the features).
func TestANILAdaptsTheHeadOnly(t *testing.T) {
	m, p := tinyNet(15)
	task := synthTask[float64](25, 3, 2, 2)
	s := Settings{InnerLR: 0.5, InnerSteps: 2}
	r, err := ANIL[float64]{}.TaskGrad(m, p, task, &s, nil)
	require.NoError(t, err)
	head := map[int]bool{16: true, 17: true}
	for i := range p {
		if head[i] {
			require.NotEqual(t, p[i].Data, r.Adapted[i].Data, "head %d not adapted", i)
			continue
		}
		require.Equal(t, p[i].Data, r.Adapted[i].Data, "body param %s adapted", m.ParamNames()[i])
		nz := 0.0
		for _, v := range r.Grads[i].Data {
			nz = math.Max(nz, math.Abs(v))
		}
		require.Greater(t, nz, 0.0, "body param %s has no meta-gradient", m.ParamNames()[i])
	}
	// ANIL differs from MAML (which adapts the body too)
	mr, _ := TaskMetaGrad(m, p, task, Hyper{InnerLR: 0.5, InnerSteps: 2, SecondOrder: true})
	require.NotEqual(t, mr.Grads[0].Data, r.Grads[0].Data)
	s.InnerSteps = 0
	r0, err := ANIL[float64]{}.TaskGrad(m, p, task, &s, nil)
	require.NoError(t, err)
	g := supportGrad(t, m, p, &Task[float64]{XS: task.XQ, YS: task.YQ})
	for i := range g {
		for j, v := range g[i].Data {
			require.InDelta(t, v, r0.Grads[i].Data[j], 1e-13)
		}
	}
	// evaluation: the head-only adaptation's query score
	acc, loss, err := ANIL[float64]{}.EvalTask(m, p, task, &Settings{InnerLR: 0.5, TestSteps: 2})
	require.NoError(t, err)
	s.InnerSteps = 2
	require.InDelta(t, r.QueryAcc, acc, 0)
	require.InDelta(t, r.QueryLoss, loss, 1e-12)
}

// TestProtoLogits: the logits are minus the squared Euclidean distances to
// the support means, and ProtoNets scores a task by them on the embeddings
// of support and query taken as one batch.
func TestProtoLogits(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	ys := []int{0, 1, 2, 0, 1, 2, 1}
	zs, zq := tensor.New[float64](7, 4), tensor.New[float64](5, 4)
	for _, z := range []*tensor.Tensor[float64]{zs, zq} {
		for i := range z.Data {
			z.Data[i] = r.NormFloat64()
		}
	}
	tp := autodiff.NewTape[float64]()
	lg, err := ProtoLogits(tp.Const(zs), ys, tp.Const(zq))
	require.NoError(t, err)
	require.Equal(t, []int{5, 3}, lg.Shape())
	for q := 0; q < 5; q++ {
		for k := 0; k < 3; k++ {
			d := 0.0
			for j := 0; j < 4; j++ {
				c, n := 0.0, 0
				for i, y := range ys {
					if y == k {
						c += zs.Data[i*4+j]
						n++
					}
				}
				d += math.Pow(zq.Data[q*4+j]-c/float64(n), 2)
			}
			require.InDelta(t, -d, lg.Value().Data[q*3+k], 1e-12)
		}
	}
	_, err = ProtoLogits(tp.Const(zs), []int{0, 2, 2, 0, 2, 2, 0}, tp.Const(zq))
	require.ErrorContains(t, err, "class 1")

	m, p := tinyNet(16)
	task := synthTask[float64](26, 3, 2, 3)
	var z *tensor.Tensor[float64]
	tp = autodiff.NewTape[float64]()
	tp.NoGrad(func() {
		vs := make([]*autodiff.Var[float64], len(p))
		for i := range p {
			vs[i] = tp.Const(p[i])
		}
		z = m.Embed(tp, vs, tp.Const(concatRows(task.XS, task.XQ))).Value()
	})
	ns := task.XS.Shape[0]
	d := z.Shape[1]
	want, err := ProtoLogits(tp.Const(tensor.FromSlice(z.Data[:ns*d], ns, d)), task.YS, tp.Const(tensor.FromSlice(z.Data[ns*d:], z.Shape[0]-ns, d)))
	require.NoError(t, err)
	acc, loss, err := ProtoNets[float64]{}.EvalTask(m, p, task, &Settings{})
	require.NoError(t, err)
	require.Equal(t, nn.Accuracy(want.Value(), task.YQ), acc)
	require.InDelta(t, float64(autodiff.CrossEntropy(want, task.YQ).Item()), loss, 1e-12)
	res, err := ProtoNets[float64]{}.TaskGrad(m, p, task, &Settings{}, nil)
	require.NoError(t, err)
	require.InDelta(t, loss, res.QueryLoss, 1e-12)
	for _, i := range m.HeadParams() {
		for _, v := range res.Grads[i].Data {
			require.Zero(t, v, "the head is not part of the embedding")
		}
	}
}

// TestBaselinesResumeExact: for every registered method, with every option
// on, a float32 run stopped after 2 meta-iterations, saved as a checkpoint,
// loaded into a fresh method and trainer and continued, ends bit for bit
// where an uninterrupted run ends (θ, the method's meta-parameters and the
// outer state), and so does a run on one worker instead of two.
func TestBaselinesResumeExact(t *testing.T) {
	opts := map[string]any{
		"mamlpp":  &MAMLPPOptions{PerStepBN: true, LearnInnerLR: true, MultiStepLossIterations: 3},
		"reptile": &ReptileOptions{InnerOptimizer: "adam", InnerBatch: 4, UseQuery: true, MetaStep: 1, CarryAdam: true},
	}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s := Settings{InnerLR: 0.3, InnerSteps: 2, TestSteps: 3, MetaLR: 3e-3, Iterations: 6, MetaLRSchedule: ScheduleCosine,
				FirstOrderIterations: 1, Work: tensor.NewWorkPool()}
			src := func(iter, k int) (*Task[float32], error) { return synthTask[float32](uint64(iter*100+k), 3, 1, 2), nil }
			newRun := func(workers ...int) *Trainer[float32] {
				w := 2
				if len(workers) > 0 {
					w = workers[0]
				}
				m := nn.NewConv4[float32](1, 16, 4, 3)
				p := m.Init(rand.New(rand.NewPCG(6, 6))).Tensors
				return NewTrainer[float32](m, testMethod[float32](t, name, opts), s, p, 3, 3, w, src)
			}
			steps := func(tr *Trainer[float32], from, to int) {
				for it := from; it < to; it++ {
					_, err := tr.Step(it)
					require.NoError(t, err)
				}
			}
			full := newRun()
			steps(full, 0, 5)
			part := newRun()
			steps(part, 0, 2)
			path := filepath.Join(t.TempDir(), CheckpointFile)
			ck := &Checkpoint{Version: CheckpointVersion, Method: name, Iter: 2, Outer: part.Outer.State()}
			ck.SetTensors(part.Model.ParamNames(), part.Params)
			require.NoError(t, SaveCheckpoint(path, ck))
			back, err := LoadCheckpoint(path)
			require.NoError(t, err)
			resumed := newRun()
			for i, p := range back.Tensors() {
				copy(resumed.Params[i].Data, p.Data)
			}
			require.NoError(t, resumed.Outer.SetState(back.Outer))
			steps(resumed, 2, 5)
			one := newRun(1)
			steps(one, 0, 5)
			a, b := full.Outer.State(), resumed.Outer.State()
			require.Equal(t, a.Kind, b.Kind)
			require.Equal(t, a.Steps, b.Steps)
			require.Equal(t, a.Slots, b.Slots) // moments and the method's meta-parameters
			require.Equal(t, a.Slots, one.Outer.State().Slots, "one worker")
			for i := range full.Params {
				require.Equal(t, full.Params[i].Data, resumed.Params[i].Data, "param %d", i)
			}
			for i, mp := range metaParamsOf(full.Method) {
				require.Equal(t, mp.Data, metaParamsOf(resumed.Method)[i].Data)
			}
			// evaluation reads the restored state: same accuracy and loss
			task, _ := src(99, 0)
			a1, l1, err := full.Method.EvalTask(full.Model, full.Params, task, &s)
			require.NoError(t, err)
			a2, l2, err := resumed.Method.EvalTask(resumed.Model, resumed.Params, task, &s)
			require.NoError(t, err)
			require.Equal(t, a1, a2)
			require.Equal(t, l1, l2)
		})
	}
}

// TestDescribe: a method that describes itself names its variant for the
// record; MAML++ names its switches and annealing.
func TestDescribe(t *testing.T) {
	s := Settings{InnerLR: 0.1, InnerSteps: 5, FirstOrderIterations: 50, MetaLRSchedule: ScheduleCosine}
	for _, name := range Names() {
		meth, _ := New[float32](name)
		if d := Describe(meth, &s); d != nil {
			require.Contains(t, d["method_variant"], name+":")
		}
	}
	meth := &MAMLPP[float32]{Options: MAMLPPOptions{MultiStepLossIterations: 100, PerStepBN: true}}
	d := Describe[float32](meth, &s)
	require.Contains(t, d["method_variant"], "annealed over 100 iterations")
	require.Contains(t, d["method_variant"], "first order for the first 50 iterations")
	require.Equal(t, "cosine", d["meta_lr_schedule"])
	maml, _ := New[float32]("maml")
	require.Nil(t, Describe(maml, &s))
}
