package optim

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/metabench/metabench/tensor"
)

func scalarParam(v float64) []*tensor.Tensor[float64] {
	return []*tensor.Tensor[float64]{tensor.FromSlice([]float64{v}, 1)}
}

func grad1(g float64) []*tensor.Tensor[float64] {
	return []*tensor.Tensor[float64]{tensor.FromSlice([]float64{g}, 1)}
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Fatalf("%s: got %.17g, want %.17g", what, got, want)
	}
}

// The expected values below follow PyTorch's documented update equations,
// worked out by hand for a single parameter p0 = 1 and the gradients shown.
func TestSGD(t *testing.T) {
	cases := []struct {
		name  string
		opt   *SGD[float64]
		grads []float64
		want  []float64
	}{
		// p -= 0.1*0.5 per step
		{"plain", &SGD[float64]{LR: 0.1}, []float64{0.5, 0.5}, []float64{0.95, 0.9}},
		// g = 0.5 + 0.1p; b1 = g1 = 0.6, p1 = 0.94; g2 = 0.594, b2 = 0.9*0.6+0.594 = 1.134,
		// p2 = 0.8266; g3 = 0.58266, b3 = 1.60326, p3 = 0.666274
		{"momentum+wd", &SGD[float64]{LR: 0.1, Momentum: 0.9, WeightDecay: 0.1}, []float64{0.5, 0.5, 0.5}, []float64{0.94, 0.8266, 0.666274}},
		// b1 = 0.5, d1 = 0.5+0.9*0.5 = 0.95, p1 = 0.905; b2 = 0.95, d2 = 0.5+0.855, p2 = 0.7695
		{"nesterov", &SGD[float64]{LR: 0.1, Momentum: 0.9, Nesterov: true}, []float64{0.5, 0.5}, []float64{0.905, 0.7695}},
		// first step ignores dampening: b1 = 0.5, p1 = 0.95; b2 = 0.45 + 0.5*0.5 = 0.7, p2 = 0.88
		{"dampening", &SGD[float64]{LR: 0.1, Momentum: 0.9, Dampening: 0.5}, []float64{0.5, 0.5}, []float64{0.95, 0.88}},
		// varying gradient: b1 = 1, p1 = 0.9; b2 = 0.5*1 - 2 = -1.5, p2 = 1.05
		{"momentum-sign-change", &SGD[float64]{LR: 0.1, Momentum: 0.5}, []float64{1, -2}, []float64{0.9, 1.05}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := scalarParam(1)
			for i, g := range c.grads {
				c.opt.Step(p, grad1(g))
				near(t, "p", p[0].Data[0], c.want[i], 1e-12)
			}
			if c.opt.Steps != len(c.grads) {
				t.Fatalf("Steps = %d", c.opt.Steps)
			}
		})
	}
}

func TestAdam(t *testing.T) {
	// Constant gradient: the bias-corrected moments are g and g², so every
	// step moves p by lr*g/(|g|+eps) exactly (closed form).
	a := NewAdam[float64](0.1)
	p := scalarParam(1)
	for s := 1; s <= 3; s++ {
		a.Step(p, grad1(0.5))
		near(t, "constant-gradient step", p[0].Data[0], 1-float64(s)*0.1*0.5/(0.5+1e-8), 1e-12)
	}
	// L2 weight decay 0.1, gradients 0.5, -0.2, 0.3 (hand computation of
	// g = grad + wd p; m, v; step lr/(1-b1^t); denom sqrt(v)/sqrt(1-b2^t)+eps).
	// Step 1: g = 0.6, m = 0.06, v = 3.6e-4, p = 1 - 0.1*0.6/(0.6+1e-8).
	a = NewAdam[float64](0.1)
	a.WeightDecay = 0.1
	p = scalarParam(1)
	want := []float64{0.9000000016666666, 0.8475190629593703, 0.7791121607663538}
	wantM := []float64{0.06, 0.04300000001666665, 0.07717519064459369}
	for i, g := range []float64{0.5, -0.2, 0.3} {
		a.Step(p, grad1(g))
		near(t, "adam p", p[0].Data[0], want[i], 1e-12)
		near(t, "adam m", a.M[0].Data[0], wantM[i], 1e-12)
	}
	// AdamW: p *= 1 - lr*wd before the same update without L2.
	a = NewAdam[float64](0.1)
	a.WeightDecay, a.Decoupled = 0.1, true
	p = scalarParam(1)
	want = []float64{0.890000002, 0.8465394180965108, 0.7836299894801902}
	for i, g := range []float64{0.5, -0.2, 0.3} {
		a.Step(p, grad1(g))
		near(t, "adamw p", p[0].Data[0], want[i], 1e-12)
	}
}

// Saving the state after k steps and restoring it into a fresh optimiser
// gives bit-identical parameters to an uninterrupted run.
func TestCheckpointResume(t *testing.T) {
	grads := [][]float32{{0.5, -1, 2}, {0.1, 0.2, -0.3}, {1, 1, 1}, {-0.7, 0.4, 0}}
	type stepper interface {
		Step(params, grads []*tensor.Tensor[float32])
	}
	run := func(mk func() stepper, split int) []float32 {
		o := mk()
		p := []*tensor.Tensor[float32]{tensor.FromSlice([]float32{1, 2, 3}, 3)}
		for i, g := range grads {
			if i == split {
				b, err := json.Marshal(o)
				if err != nil {
					t.Fatal(err)
				}
				o = mk()
				if err := json.Unmarshal(b, o); err != nil {
					t.Fatal(err)
				}
			}
			o.Step(p, []*tensor.Tensor[float32]{tensor.FromSlice(append([]float32(nil), g...), 3)})
		}
		return p[0].Data
	}
	mks := map[string]func() stepper{
		"adam": func() stepper { a := NewAdam[float32](0.01); a.WeightDecay = 0.01; return a },
		"sgd":  func() stepper { return &SGD[float32]{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-3} },
	}
	for name, mk := range mks {
		full := run(mk, -1)
		resumed := run(mk, 2)
		for i := range full {
			if math.Float32bits(full[i]) != math.Float32bits(resumed[i]) {
				t.Fatalf("%s: resumed run differs at %d: %v vs %v", name, i, resumed, full)
			}
		}
	}
}

func TestClip(t *testing.T) {
	g := []*tensor.Tensor[float64]{tensor.FromSlice([]float64{-3, 0.5, 2}, 3)}
	ClipByValue(g, -1, 1)
	for i, w := range []float64{-1, 0.5, 1} {
		near(t, "clip value", g[0].Data[i], w, 0)
	}
	g = []*tensor.Tensor[float64]{tensor.FromSlice([]float64{3}, 1), tensor.FromSlice([]float64{4}, 1)}
	n := ClipByGlobalNorm(g, 1)
	near(t, "norm", n, 5, 1e-15)
	near(t, "clipped", g[0].Data[0], 3/(5+1e-6), 1e-15)
	near(t, "clipped", g[1].Data[0], 4/(5+1e-6), 1e-15)
	n = ClipByGlobalNorm(g, 2)
	near(t, "norm after", n, 5/(5+1e-6), 1e-12)
	near(t, "unclipped", g[0].Data[0], 3/(5+1e-6), 1e-15)
}

func TestShapeMismatchPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("no panic on mismatched shapes")
		}
	}()
	NewSGD[float64](0.1, 0).Step(scalarParam(1), []*tensor.Tensor[float64]{tensor.New[float64](2)})
}

// TestAdamKingma: FormKingma is, bit for bit, Kingma & Ba's update with its
// constants written as Go constants (the outer Adam of the MAML family and,
// with β1 = 0, Reptile's inner Adam), in float32 and float64, with and
// without a schedule.
func TestAdamKingma(t *testing.T) {
	testKingma[float32](t)
	testKingma[float64](t)
}

func testKingma[T Float](t *testing.T) {
	for _, b1 := range []float64{0.9, 0} {
		a := &Adam[T]{LR: 3e-3, Beta1: b1, Beta2: 0.999, Eps: 1e-8, Form: FormKingma, Schedule: &Schedule{LR: 3e-3, Final: 1e-3, Iterations: 4}}
		p := []*tensor.Tensor[T]{tensor.FromSlice([]T{1, -2, 0.5}, 3)}
		want := append([]T(nil), p[0].Data...)
		m, v := make([]T, 3), make([]T, 3)
		for it := 0; it < 6; it++ {
			g := []T{T(0.3 - 0.1*float64(it)), 2, T(-1e-3 * float64(it+1))}
			a.StepAt(p, []*tensor.Tensor[T]{tensor.FromSlice(append([]T(nil), g...), 3)}, it)
			lr := T(a.Schedule.Rate(it))
			c1, c2 := T(1-math.Pow(b1, float64(it+1))), T(1-math.Pow(0.999, float64(it+1)))
			for j := range want {
				if b1 == 0 {
					m[j] = T(0.0)*m[j] + T(1-0.0)*g[j]
				} else {
					m[j] = T(0.9)*m[j] + T(1-0.9)*g[j]
				}
				v[j] = T(0.999)*v[j] + T(1-0.999)*g[j]*g[j]
				want[j] -= lr * (m[j] / c1) / (T(math.Sqrt(float64(v[j]/c2))) + T(1e-8))
			}
			for j := range want {
				if p[0].Data[j] != want[j] {
					t.Fatalf("%T β1=%v step %d: %v, want %v", want[0], b1, it, p[0].Data, want)
				}
			}
		}
	}
	if asWritten[T](0.9, true) != T(1-0.9) || asWritten[T](0.999, true) != T(1-0.999) || asWritten[T](1e-8, false) != T(1e-8) {
		t.Fatalf("%T: constants not as written", T(0))
	}
}

// TestSchedule: constant, linear, cosine and step decay, and StepAt reads
// the schedule.
func TestSchedule(t *testing.T) {
	for _, c := range []struct {
		s    Schedule
		it   int
		want float64
	}{
		{Schedule{LR: 0.003}, 500, 0.003},
		{Schedule{LR: 0.003, Final: 0.001, Iterations: 1000}, 0, 0.003},
		{Schedule{LR: 0.003, Final: 0.001, Iterations: 1000}, 500, 0.002},
		{Schedule{LR: 0.003, Final: 0.001, Iterations: 1000}, 5000, 0.001},
		{Schedule{LR: 1, Iterations: 100, Cosine: true}, 50, 0.5},
		{Schedule{LR: 1, Final: 0.2, Iterations: 100, Cosine: true}, 100, 0.2},
		{Schedule{LR: 1e-3, StepEvery: 2000, StepFactor: 0.5, Iterations: 6000}, 1999, 1e-3},
		{Schedule{LR: 1e-3, StepEvery: 2000, StepFactor: 0.5, Iterations: 6000}, 4000, 2.5e-4},
		{Schedule{LR: 1e-3, StepEvery: 2000, StepFactor: 0.5, Iterations: 6000}, 9000, 6.25e-5},
	} {
		near(t, "rate", c.s.Rate(c.it), c.want, 1e-15)
	}
	a := NewAdam[float64](1)
	a.Schedule = &Schedule{LR: 0.1}
	p := scalarParam(1)
	a.StepAt(p, grad1(0.5), 7)
	near(t, "scheduled step", p[0].Data[0], 1-0.1*0.5/(0.5+1e-8), 1e-12)
}
