package maml

import (
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

// synthTask is a random task on 16x16 images (labels in class order).
func synthTask[T tensor.Float](seed uint64, ways, shots, queries int) *Task[T] {
	return synthTaskSized[T](seed, ways, shots, queries, 16)
}

// synthTaskSized is a random task on size x size images.
func synthTaskSized[T tensor.Float](seed uint64, ways, shots, queries, size int) *Task[T] {
	r := rand.New(rand.NewPCG(seed, 99))
	mk := func(n int) (*tensor.Tensor[T], []int) {
		x := tensor.New[T](ways*n, 1, size, size)
		for i := range x.Data {
			x.Data[i] = T(r.Float64())
		}
		y := make([]int, ways*n)
		for i := range y {
			y[i] = i / n
		}
		return x, y
	}
	xs, ys := mk(shots)
	xq, yq := mk(queries)
	return &Task[T]{XS: xs, YS: ys, XQ: xq, YQ: yq}
}

// TestRegistry: every registered method is built under its name for both
// element types, with its default options or options of its type; Names is
// sorted; unknown names, options of another type and bad registrations are
// refused.
func TestRegistry(t *testing.T) {
	names := Names()
	if len(names) == 0 || !sort.StringsAreSorted(names) {
		t.Fatalf("Names() = %v", names)
	}
	for _, n := range names {
		d, _ := Lookup(n)
		m32, err := NewWith[float32](n, d.DefaultOptions())
		if err != nil || m32.Name() != n {
			t.Fatalf("NewWith(%s) = %v, %v", n, m32, err)
		}
		m64, err := New[float64](n)
		if err != nil || m64.Name() != n {
			t.Fatalf("New[float64](%s) = %v, %v", n, m64, err)
		}
		if d.Options != nil {
			if _, err := NewWith[float32](n, struct{}{}); err == nil {
				t.Fatalf("%s accepted options of another type", n)
			}
			if _, ok := d.Options().(OptionsValidator); ok {
				if err := d.Options().(OptionsValidator).Validate(); err != nil {
					t.Fatalf("%s: its defaults do not validate: %v", n, err)
				}
			}
		}
	}
	if _, err := New[float32]("maml++"); err == nil {
		t.Fatal("unknown method accepted")
	}
	for _, d := range []Def{{Name: "maml", New32: MAML[float32]{}.ctor, New64: MAML[float64]{}.ctor}, {Name: "a.b"}, {Name: "x"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%+v) did not panic", d.Name)
				}
			}()
			Register(d)
		}()
	}
}

// ctor returns m whatever the options (TestRegistry's bad registrations).
func (m MAML[T]) ctor(any) Method[T] { return m }

// TestZeroInnerSteps: with T = 0 the MAML meta-gradient is the plain query
// gradient, and first and second order agree exactly.
func TestZeroInnerSteps(t *testing.T) {
	m := nn.NewConv4[float64](1, 16, 4, 3)
	p := m.Init(rand.New(rand.NewPCG(1, 1))).Tensors
	task := synthTask[float64](1, 3, 1, 2)
	so, err := TaskMetaGrad(m, p, task, Hyper{InnerLR: 0.4, InnerSteps: 0, SecondOrder: true})
	if err != nil {
		t.Fatal(err)
	}
	fo, err := TaskMetaGrad(m, p, task, Hyper{InnerLR: 0.4, InnerSteps: 0})
	if err != nil {
		t.Fatal(err)
	}
	q := &Task[float64]{XS: task.XQ, YS: task.YQ, XQ: task.XQ, YQ: task.YQ}
	g := supportGrad(t, m, p, q)
	for i := range g {
		for j := range g[i].Data {
			if so.Grads[i].Data[j] != g[i].Data[j] || fo.Grads[i].Data[j] != g[i].Data[j] {
				t.Fatalf("param %d[%d]: %v %v vs %v", i, j, so.Grads[i].Data[j], fo.Grads[i].Data[j], g[i].Data[j])
			}
		}
	}
}

// TestSecondOrderDiffers: with T ≥ 1 the Hessian terms change the gradient.
func TestSecondOrderDiffers(t *testing.T) {
	m := nn.NewConv4[float64](1, 16, 4, 3)
	p := m.Init(rand.New(rand.NewPCG(1, 1))).Tensors
	task := synthTask[float64](2, 3, 2, 2)
	so, _ := TaskMetaGrad(m, p, task, Hyper{InnerLR: 0.4, InnerSteps: 2, SecondOrder: true})
	fo, _ := TaskMetaGrad(m, p, task, Hyper{InnerLR: 0.4, InnerSteps: 2})
	d := 0.0
	for i := range so.Grads {
		for j := range so.Grads[i].Data {
			d = math.Max(d, math.Abs(so.Grads[i].Data[j]-fo.Grads[i].Data[j]))
		}
	}
	if d < 1e-6 {
		t.Fatalf("second- and first-order meta-gradients agree to %g", d)
	}
}

// TestFirstOrderIterations: with derivative-order annealing, second-order
// MAML follows first-order MAML bit for bit for the first iterations and
// second-order MAML (from the same parameters and Adam state) after them.
func TestFirstOrderIterations(t *testing.T) {
	run := func(name string, foIters int, iters []int) []*tensor.Tensor[float64] {
		m := nn.NewConv4[float64](1, 16, 4, 3)
		p := m.Init(rand.New(rand.NewPCG(6, 6))).Tensors
		meth, _ := New[float64](name)
		s := Settings{InnerLR: 0.4, InnerSteps: 2, MetaLR: 1e-2, Iterations: 10, FirstOrderIterations: foIters}
		tr := NewTrainer[float64](m, meth, s, p, 9, 2, 1, func(iter, k int) (*Task[float64], error) {
			return synthTask[float64](uint64(iter*100+k), 3, 1, 2), nil
		})
		for _, it := range iters {
			if _, err := tr.Step(it); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	maxDiff := func(a, b []*tensor.Tensor[float64]) float64 {
		d := 0.0
		for i := range a {
			for j := range a[i].Data {
				d = math.Max(d, math.Abs(a[i].Data[j]-b[i].Data[j]))
			}
		}
		return d
	}
	// Iterations 0 and 1 first-order: identical to fomaml.
	if d := maxDiff(run("maml", 2, []int{0, 1}), run("fomaml", 0, []int{0, 1})); d != 0 {
		t.Fatalf("annealed first iterations differ from fomaml by %g", d)
	}
	// Iteration 2 is second order: the annealed run differs from fomaml
	// there, and an annealing that ends at 2 equals one that ends at 1 when
	// only iterations 0, 2 and 3 run (iteration 1 is skipped in both).
	if d := maxDiff(run("maml", 2, []int{0, 1, 2}), run("fomaml", 0, []int{0, 1, 2})); d < 1e-9 {
		t.Fatalf("second-order iteration 2 equals first-order to %g", d)
	}
	if d := maxDiff(run("maml", 2, []int{0, 2, 3}), run("maml", 1, []int{0, 2, 3})); d != 0 {
		t.Fatalf("runs first-order exactly at iteration 0 differ by %g", d)
	}
	if d := maxDiff(run("maml", 1, []int{0, 1}), run("maml", 0, []int{0, 1})); d < 1e-9 {
		t.Fatalf("first-order iteration 0 made no difference (%g)", d)
	}
}

// TestZeroParams: parameters held at zero are zero after every step, for
// every method, while the others move.
func TestZeroParams(t *testing.T) {
	for _, name := range Names() {
		m := nn.NewConv4[float64](1, 16, 4, 3)
		p := m.Init(rand.New(rand.NewPCG(7, 7))).Tensors
		init := make([]*tensor.Tensor[float64], len(p))
		for i := range p {
			init[i] = p[i].Clone()
		}
		meth := testMethod[float64](t, name, map[string]any{"reptile": &ReptileOptions{InnerOptimizer: "sgd", MetaStep: 1, MetaStepFinal: 1}})
		s := Settings{InnerLR: 0.4, InnerSteps: 2, MetaLR: 1e-2, Iterations: 10}
		tr := NewTrainer[float64](m, meth, s, p, 9, 2, 1, func(iter, k int) (*Task[float64], error) {
			return synthTask[float64](uint64(iter*100+k), 3, 1, 2), nil
		})
		tr.ZeroParams = m.HeadParams() // (2 inner steps: from a zero head the first step gives the body no gradient, so 1-step Reptile could not move it)
		for it := 0; it < 2; it++ {
			if _, err := tr.Step(it); err != nil {
				t.Fatal(err)
			}
		}
		head := map[int]bool{}
		for _, i := range m.HeadParams() {
			head[i] = true
			for j, v := range p[i].Data {
				if v != 0 {
					t.Fatalf("%s: head param %d[%d] = %g after 2 steps", name, i, j, v)
				}
			}
		}
		moved := 0.0
		for i := range p {
			if !head[i] {
				for j := range p[i].Data {
					moved = math.Max(moved, math.Abs(p[i].Data[j]-init[i].Data[j]))
				}
			}
		}
		if moved == 0 {
			t.Fatalf("%s: the body did not move", name)
		}
	}
	// The inner loop learns the head from zero: with a zero head the first
	// inner step's head gradient is the (negated) class-mean features, so
	// adaptation must lift the support accuracy above chance on a task
	// whose classes differ.
	m := nn.NewConv4[float64](1, 16, 4, 3)
	p := m.Init(rand.New(rand.NewPCG(8, 8))).Tensors
	for _, i := range m.HeadParams() {
		clear(p[i].Data)
	}
	task := synthTask[float64](11, 3, 2, 2)
	task.XQ, task.YQ = task.XS, task.YS
	acc, _, err := AdaptEval[float64](m, p, task, 0.4, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acc <= 1.0/3 {
		t.Fatalf("one step from a zero head: support accuracy %g", acc)
	}
}

// TestReptileFullStep: one task and ε = 1 move θ exactly to the adapted φ.
func TestReptileFullStep(t *testing.T) {
	m := nn.NewConv4[float64](1, 16, 4, 3)
	p := m.Init(rand.New(rand.NewPCG(2, 2))).Tensors
	task := synthTask[float64](3, 3, 2, 3)
	s := Settings{InnerLR: 0.01, InnerSteps: 3}
	meth := &Reptile[float64]{Options: ReptileOptions{InnerOptimizer: "adam", InnerBatch: 4, UseQuery: true, MetaStep: 1, MetaStepFinal: 1}}
	phi, err := meth.TaskGrad(m, p, task, &s, TaskRand(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	params := make([]*tensor.Tensor[float64], len(p))
	for i := range p {
		params[i] = p[i].Clone()
	}
	tr := NewTrainer[float64](m, meth, s, params, 5, 1, 1, func(iter, k int) (*Task[float64], error) { return task, nil })
	if _, err := tr.Step(0); err != nil {
		t.Fatal(err)
	}
	for i := range params {
		for j := range params[i].Data {
			if d := math.Abs(params[i].Data[j] - phi.Adapted[i].Data[j]); d > 1e-12 {
				t.Fatalf("param %d[%d]: θ' %v, φ %v", i, j, params[i].Data[j], phi.Adapted[i].Data[j])
			}
		}
	}
	o := &DecayedSGD[float64]{Start: 1, Final: 0, Iterations: 100}
	if o.Epsilon(0) != 1 || o.Epsilon(50) != 0.5 || o.Epsilon(100) != 0 || o.Epsilon(200) != 0 {
		t.Fatalf("linear decay: %v %v %v", o.Epsilon(0), o.Epsilon(50), o.Epsilon(100))
	}
}

// TestStepDeterministic: a meta-iteration gives bit-identical parameters for
// any number of workers (per-task slots, reduction in task order).
func TestStepDeterministic(t *testing.T) {
	for _, name := range Names() {
		var ref []*tensor.Tensor[float32]
		for _, workers := range []int{1, 2, 5} {
			m := nn.NewConv4[float32](1, 16, 4, 3)
			p := m.Init(rand.New(rand.NewPCG(4, 4))).Tensors
			meth := testMethod[float32](t, name, map[string]any{"reptile": &ReptileOptions{InnerOptimizer: "adam", InnerBatch: 3, UseQuery: true, MetaStep: 1}})
			s := Settings{InnerLR: 0.1, InnerSteps: 2, TestSteps: 2, MetaLR: 1e-3, Clip: 0.5, Iterations: 10}
			tr := NewTrainer[float32](m, meth, s, p, 9, 5, workers, func(iter, k int) (*Task[float32], error) {
				return synthTask[float32](uint64(iter*100+k), 3, 1, 2), nil
			})
			for it := 0; it < 2; it++ {
				if _, err := tr.Step(it); err != nil {
					t.Fatal(err)
				}
			}
			if ref == nil {
				ref = p
				continue
			}
			for i := range p {
				for j := range p[i].Data {
					if p[i].Data[j] != ref[i].Data[j] {
						t.Fatalf("%s: %d workers differ from 1 at param %d[%d]", name, workers, i, j)
					}
				}
			}
		}
	}
}

// TestAdamStateRoundTrip: restoring the state continues identically.
func TestAdamStateRoundTrip(t *testing.T) {
	mk := func() []*tensor.Tensor[float32] {
		return []*tensor.Tensor[float32]{tensor.FromSlice([]float32{1, -2, 3}, 3)}
	}
	g := []*tensor.Tensor[float32]{tensor.FromSlice([]float32{0.5, -1, 2}, 3)}
	a, b := mk(), mk()
	oa := NewAdam(a, 0.1)
	oa.Step(a, g, 0)
	ob := NewAdam(b, 0.1)
	ob.Step(b, g, 0)
	oc := NewAdam(b, 0.1)
	if err := oc.SetState(ob.State()); err != nil {
		t.Fatal(err)
	}
	oa.Step(a, g, 1)
	oc.Step(b, g, 1)
	if !reflect.DeepEqual(a[0].Data, b[0].Data) {
		t.Fatalf("%v vs %v", a[0].Data, b[0].Data)
	}
	// First Adam step moves each coordinate by lr against the gradient sign.
	c := mk()
	NewAdam(c, 0.1).Step(c, g, 0)
	for j, want := range []float32{0.9, -1.9, 2.9} {
		if math.Abs(float64(c[0].Data[j]-want)) > 1e-6 {
			t.Fatalf("adam step %v", c[0].Data)
		}
	}
	if err := NewAdam(c, 0.1).SetState(OuterState[float32]{Kind: "sgd-decay"}); err == nil {
		t.Fatal("wrong state kind accepted")
	}
}

func TestAdamDecay(t *testing.T) {
	meth, _ := New[float32]("maml")
	o := meth.NewOuter(&Settings{MetaLR: 0.01, MetaLRFinal: 0.001, Iterations: 10}, nil).(*Adam[float32])
	if math.Abs(o.Rate(10)-0.001) > 1e-15 {
		t.Fatalf("decay not wired: %v", o.Rate(10))
	}
}

// TestAdamStepSchedule: lr_i = lr_0 γ^⌊i/S⌋, wired from Settings.
func TestAdamStepSchedule(t *testing.T) {
	meth, _ := New[float32]("protonets")
	o := meth.NewOuter(&Settings{MetaLR: 1e-3, MetaLRSchedule: ScheduleStep, MetaLRStepEvery: 2000, MetaLRStepFactor: 0.5, Iterations: 6000}, nil).(*Adam[float32])
	for _, c := range []struct {
		it   int
		want float64
	}{{0, 1e-3}, {1999, 1e-3}, {2000, 5e-4}, {3999, 5e-4}, {4000, 2.5e-4}, {5999, 2.5e-4}, {9000, 6.25e-5}} {
		if got := o.Rate(c.it); math.Abs(got-c.want) > 1e-18 {
			t.Errorf("Rate(%d) = %v, want %v", c.it, got, c.want)
		}
	}
}

// TestEvaluateOrder: per-episode results come back in episode order for
// any number of workers.
func TestEvaluateOrder(t *testing.T) {
	m := nn.NewConv4[float32](1, 16, 4, 3)
	p := m.Init(rand.New(rand.NewPCG(4, 4))).Tensors
	meth, _ := New[float32]("maml")
	s := Settings{InnerLR: 0.4, TestSteps: 1}
	ep := func(i int) (*Task[float32], error) { return synthTask[float32](uint64(i), 3, 1, 3), nil }
	a, err := Evaluate(meth, m, p, &s, 6, 1, ep)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Evaluate(meth, m, p, &s, 6, 4, ep)
	if err != nil || !reflect.DeepEqual(a, b) {
		t.Fatalf("%v vs %v (%v)", a, b, err)
	}
}

// TestReptileCarriedAdam: with the inner Adam carried from task to task, the
// first task of a run matches a fresh Adam, the state counts every inner
// step, a meta-iteration does not depend on the workers asked for (the
// tasks run in order), and the state round-trips through the outer state so
// that a resumed run ends with the same parameters.
func TestReptileCarriedAdam(t *testing.T) {
	s := Settings{InnerLR: 0.01, InnerSteps: 3, TestSteps: 4, Iterations: 10}
	opts := ReptileOptions{InnerOptimizer: "adam", InnerBatch: 3, UseQuery: true, MetaStep: 1, MetaStepFinal: 0, CarryAdam: true}
	src := func(iter, k int) (*Task[float64], error) { return synthTask[float64](uint64(iter*100+k), 3, 1, 2), nil }
	newRun := func(workers int) (*Trainer[float64], nn.Model[float64]) {
		m := nn.NewConv4[float64](1, 16, 4, 3)
		p := m.Init(rand.New(rand.NewPCG(6, 6))).Tensors
		return NewTrainer[float64](m, &Reptile[float64]{Options: opts}, s, p, 3, 4, workers, src), m
	}
	// the first task from a zero carried state is the fresh-Adam task
	tr, m := newRun(1)
	task, _ := src(0, 0)
	fresh, err := ReptileTask(m, tr.Params, task, tr.Method.(*Reptile[float64]).hyper(&s, s.InnerSteps), TaskRand(3, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	carried, err := tr.Method.TaskGrad(m, tr.Params, task, &s, TaskRand(3, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for i := range fresh.Grads {
		for j, v := range fresh.Grads[i].Data {
			if carried.Grads[i].Data[j] != v {
				t.Fatalf("first carried task differs from a fresh Adam at param %d[%d]", i, j)
			}
		}
	}
	inner := tr.Outer.(*DecayedSGD[float64]).Inner
	if inner == nil || inner.Steps != s.InnerSteps {
		t.Fatalf("carried state after one task: %+v", inner)
	}
	// a second task from the carried state differs from a fresh one
	second, _ := tr.Method.TaskGrad(m, tr.Params, task, &s, TaskRand(3, 0, 0))
	if second.Grads[0].Data[0] == fresh.Grads[0].Data[0] {
		t.Fatalf("the carried state changed nothing")
	}

	run := func(workers, iters int, from *Trainer[float64]) *Trainer[float64] {
		tr, _ := newRun(workers)
		start := 0
		if from != nil {
			for i := range tr.Params {
				copy(tr.Params[i].Data, from.Params[i].Data)
			}
			if err := tr.Outer.SetState(from.Outer.State()); err != nil {
				t.Fatal(err)
			}
			start = 2
		}
		for it := start; it < iters; it++ {
			if _, err := tr.Step(it); err != nil {
				t.Fatal(err)
			}
		}
		return tr
	}
	a, b := run(1, 4, nil), run(3, 4, nil)
	resumed := run(2, 4, run(1, 2, nil))
	if got := a.Outer.(*DecayedSGD[float64]).Inner.Steps; got != 4*4*s.InnerSteps {
		t.Fatalf("carried steps %d, want %d", got, 4*4*s.InnerSteps)
	}
	for i := range a.Params {
		for j, v := range a.Params[i].Data {
			if b.Params[i].Data[j] != v || resumed.Params[i].Data[j] != v {
				t.Fatalf("param %d[%d]: workers 1 %v, workers 3 %v, resumed %v", i, j, v, b.Params[i].Data[j], resumed.Params[i].Data[j])
			}
		}
	}
	// evaluation starts from a copy: the carried state is left unchanged
	st := a.Outer.State()
	if _, _, err := a.Method.EvalTask(m, a.Params, task, &s); err != nil {
		t.Fatal(err)
	}
	st2 := a.Outer.State()
	if st2.Steps != st.Steps || st2.Slots[0][0] != st.Slots[0][0] {
		t.Fatalf("evaluation changed the carried state")
	}
	var o Outer[float64] = &DecayedSGD[float64]{}
	if err := o.SetState(st); err == nil {
		t.Fatalf("a plain DecayedSGD accepted a carried state")
	}
}
