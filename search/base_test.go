package search

import (
	"math"
	"math/rand/v2"
	"testing"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

func randBatch(rng *rand.Rand, n, c, h, classes int) Batch[float64] {
	x := tensor.New[float64](n, c, h, h)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % classes
	}
	return Batch[float64]{X: x, Y: y}
}

// tinyTask is a 1-cell C=4 search network on 6x6 single-channel images.
func tinyTask(t *testing.T, relax string, steps int, seed uint64) (*SearchNet, *TaskObjective[float64], []*tensor.Tensor[float64]) {
	t.Helper()
	net, err := NewSearchNet(SearchNetConfig{Cells: 1, Channels: 4, Classes: 3, InChannels: 1, StemStride: 1, Reductions: []int{}})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	theta := InitTheta[float64](net, rng)
	// larger logits than 1e-3 N(0,1) so the architecture gradient matters
	for _, a := range theta[len(theta)-2:] {
		for i := range a.Data {
			a.Data[i] = 0.5 * rng.NormFloat64()
		}
	}
	obj := NewTaskObjective(net, Relaxation{Kind: relax}, 0.7, randBatch(rng, 6, 1, 6, 3), randBatch(rng, 6, 1, 6, 3), steps, rng)
	return net, obj, theta
}

func relErr(a, b []*tensor.Tensor[float64]) float64 {
	num, den := 0.0, 0.0
	for k := range a {
		for i := range a[k].Data {
			d := a[k].Data[i] - b[k].Data[i]
			num += d * d
			den += b[k].Data[i] * b[k].Data[i]
		}
	}
	return math.Sqrt(num / den)
}

// TestExactMatchesFiniteDifference: variants A and A' agree on a tiny
// network (1 cell, C = 4, float64) to 1e-3 relative.
func TestExactMatchesFiniteDifference(t *testing.T) {
	for _, relax := range []string{RelaxGumbel, RelaxSoftmax} {
		net, obj, theta := tinyTask(t, relax, 2, 7)
		eta := StepSizes(net, 0.1, 0.3)
		ex, err := MetaGrad(obj, theta, Unroll{Steps: 2, Eta: eta, Mode: Exact, FDEps: 1e-6})
		if err != nil {
			t.Fatal(err)
		}
		fd, err := MetaGrad(obj, theta, Unroll{Steps: 2, Eta: eta, Mode: FiniteDiff, FDEps: 1e-6})
		if err != nil {
			t.Fatal(err)
		}
		fo, err := MetaGrad(obj, theta, Unroll{Steps: 2, Eta: eta, Mode: FirstOrder, FDEps: 1e-6})
		if err != nil {
			t.Fatal(err)
		}
		fdDarts, err := MetaGrad(obj, theta, Unroll{Steps: 2, Eta: eta, Mode: FiniteDiff})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: with the DARTS radius 0.01/||u||, |fd - exact|/|exact| = %.2e (kinks of ReLU/max-pool/BN on 6x6 maps inside the stencil)", relax, relErr(fdDarts.Grad, ex.Grad))
		e := relErr(fd.Grad, ex.Grad)
		efo := relErr(fo.Grad, ex.Grad)
		t.Logf("%s: |fd - exact|/|exact| = %.2e, |first-order - exact|/|exact| = %.2e", relax, e, efo)
		if e > 1e-3 {
			t.Errorf("%s: finite-difference and exact meta-gradients differ by %.2e relative", relax, e)
		}
		if efo < 10*e {
			t.Errorf("%s: first-order gradient (%.2e) is as close as fd (%.2e): the test does not see second-order terms", relax, efo, e)
		}
		if d := relErr(fd.Adapted, ex.Adapted); d > 1e-12 {
			t.Errorf("adapted parameters differ by %.2e", d)
		}
	}
}

// TestMetaGradZeroSteps: with T = 0 every mode is the plain query gradient.
func TestMetaGradZeroSteps(t *testing.T) {
	net, obj, theta := tinyTask(t, RelaxGumbel, 0, 3)
	eta := StepSizes(net, 0.1, 0.1)
	_, want, err := gradAt[float64](obj, theta, QueryStep, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []GradMode{Exact, FiniteDiff, FirstOrder} {
		r, err := MetaGrad(obj, theta, Unroll{Steps: 0, Eta: eta, Mode: m})
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(r.Grad, want); e > 1e-12 {
			t.Errorf("%s with T=0: %.2e from the query gradient", m, e)
		}
	}
	if _, err := MetaGrad(obj, theta, Unroll{Steps: 0, Eta: eta[:3], Mode: Exact}); err == nil {
		t.Error("wrong number of step sizes accepted")
	}
	if _, err := ParseGradMode("second"); err == nil {
		t.Error("bad mode accepted")
	}
}

// TestReptileUpdate: T = 0 leaves Θ unchanged; K = 1, β = 1 sets Θ = ψ^T.
func TestReptileUpdate(t *testing.T) {
	net, obj, theta := tinyTask(t, RelaxGumbel, 2, 5)
	eta := StepSizes(net, 0.1, 0.1)
	psi0, _, err := Adapt(obj, theta, eta, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := ReptileUpdate(theta, [][]*tensor.Tensor[float64]{psi0, psi0}, 0.7)
	if e := relErr(same, theta); e != 0 {
		t.Errorf("T=0 moved Θ by %.2e", e)
	}
	psi, losses, err := Adapt(obj, theta, eta, 2, nil)
	if err != nil || len(losses) != 2 {
		t.Fatal(err)
	}
	got, _ := ReptileUpdate(theta, [][]*tensor.Tensor[float64]{psi}, 1)
	if e := relErr(got, psi); e > 1e-15 {
		t.Errorf("K=1, β=1: Θ differs from ψ^T by %.2e", e)
	}
	if relErr(psi, theta) == 0 {
		t.Error("adaptation did not move ψ")
	}
	// the architecture logits are adapted too
	n := len(net.Layout().Specs)
	if relErr(psi[n:], theta[n:]) == 0 {
		t.Error("α not adapted")
	}
}

// TestGumbelFrequencies: as τ -> 0 the argmax frequencies of Gumbel-softmax
// samples match softmax(α) (chi-squared test, 7 degrees of freedom).
func TestGumbelFrequencies(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	alpha := []float64{0.1, -0.5, 1.2, 0, 0.3, -1, 0.7, 0.2}
	p := genotype.Softmax([][]float64{alpha})[0]
	tp := ad.NewTape[float64]()
	a := tp.Const(tensor.FromSlice(alpha, 1, 8))
	const n = 4000
	counts := make([]float64, 8)
	for s := 0; s < n; s++ {
		g := GumbelNoise[float64](rng, 1, 8)
		z := Relax(a, Relaxation{Kind: RelaxGumbel}, g, 0.05).Value().Data
		best := 0
		for o := range z {
			if z[o] > z[best] {
				best = o
			}
		}
		counts[best]++
	}
	chi := 0.0
	for o := range p {
		e := n * p[o]
		chi += (counts[o] - e) * (counts[o] - e) / e
	}
	// 99.9% quantile of chi^2 with 7 dof is 24.3
	if chi > 24.3 {
		t.Errorf("chi^2 = %.1f for counts %v vs p %v", chi, counts, p)
	}
	// hard straight-through: one-hot value, soft gradient
	ta := ad.NewTape[float64]()
	av := ta.Param(tensor.FromSlice(append([]float64(nil), alpha...), 1, 8))
	z := Relax(av, Relaxation{Kind: RelaxGumbel, Hard: true}, GumbelNoise[float64](rng, 1, 8), 1)
	sum, ones := 0.0, 0
	for _, v := range z.Value().Data {
		sum += v
		if v == 1 {
			ones++
		}
	}
	if sum != 1 || ones != 1 {
		t.Errorf("hard sample %v is not one-hot", z.Value().Data)
	}
	w := ta.Const(tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6, 7, 8}, 1, 8))
	g, _ := ad.Grad(ad.SumAll(ad.Mul(z, w)), []*ad.Var[float64]{av}, false)
	nz := 0
	for _, v := range g[0].Value().Data {
		if v != 0 {
			nz++
		}
	}
	if nz < 2 {
		t.Errorf("straight-through gradient %v has no soft part", g[0].Value().Data)
	}
}

func TestTemperature(t *testing.T) {
	if Temperature(0, 10, 1, 0.1) != 1 || math.Abs(Temperature(9, 10, 1, 0.1)-0.1) > 1e-15 || math.Abs(Temperature(20, 10, 1, 0.1)-0.1) > 1e-15 {
		t.Error("schedule endpoints")
	}
	if math.Abs(Temperature(3, 7, 1, 0.1)-0.55) > 1e-12 {
		t.Error("schedule midpoint")
	}
}

// TestOpShapes: every op keeps H x W at stride 1 and gives ceil(H/2) at
// stride 2, odd sizes included (FactorizedReduce padding fix).
func TestOpShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, search := range []bool{true, false} {
		for _, H := range []int{4, 7, 8, 11, 16, 21, 28, 32, 42} {
			for _, s := range []int{1, 2} {
				l := &Layout{}
				b := builder{l: l, affine: !search}
				var ops []op
				for _, name := range genotype.KnownOps() {
					o, err := b.newOp(name, name, 4, s, search)
					if err != nil {
						t.Fatal(err)
					}
					ops = append(ops, o)
				}
				tp := ad.NewTape[float32]()
				f := &fwd[float32]{tp: tp, p: constVars32(tp, NewParams[float32](l, rng))}
				x := tp.Const(tensor.Full[float32](0.5, 2, 4, H, H))
				for k, o := range ops {
					y := f.op(o, x)
					want := []int{2, 4, ceilDiv(H, s), ceilDiv(H, s)}
					if !tensor.SameShape(y.Shape(), want) {
						t.Errorf("%s H=%d s=%d: shape %v, want %v", genotype.KnownOps()[k], H, s, y.Shape(), want)
					}
				}
			}
		}
	}
}

func constVars32(tp *ad.Tape[float32], vals []*tensor.Tensor[float32]) []*ad.Var[float32] {
	out := make([]*ad.Var[float32], len(vals))
	for i, v := range vals {
		out[i] = tp.Const(v)
	}
	return out
}
