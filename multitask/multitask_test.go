package multitask

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/tensor"
)

// tinyNet has two heads (8 px stride 2, 16 px stride 4) meeting at 4x4.
func tinyNet(t *testing.T) *Net {
	t.Helper()
	n, err := NewNet(NetConfig{Cells: 2, Channels: 4, Classes: 10, Reductions: []int{1},
		Heads: []HeadConfig{{Size: 8, Stride: 2}, {Size: 16, Stride: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// patterns is a separable 10-class problem: class c lights pixel block c of
// a 4x4 grid of 2x2 (or 4x4) blocks, plus uniform noise.
func patterns(n, size int, seed uint64) *Images {
	rng := rand.New(rand.NewPCG(seed, 7))
	im := &Images{N: n, C: 3, H: size, W: size, X: make([]float32, n*3*size*size), Y: make([]int, n)}
	b := size / 4
	for i := 0; i < n; i++ {
		c := i % 10
		im.Y[i] = c
		by, bx := c/4, c%4
		for ch := 0; ch < 3; ch++ {
			for y := 0; y < size; y++ {
				for x := 0; x < size; x++ {
					v := 0.3 * rng.Float32()
					if y/b == by && x/b == bx {
						v += 1
					}
					im.X[((i*3+ch)*size+y)*size+x] = v
				}
			}
		}
	}
	return im
}

func tinySettings() Settings {
	s := DefaultSettings()
	s.Inner.Batch = 10
	s.Inner.EtaW, s.Inner.EtaA = 0.05, 0.05
	s.InnerSteps = 2
	s.MetaBatch = 3
	s.Iterations = 4
	s.Workers = 2
	return s
}

func tinyTasks(iter, k int) (*Task, error) {
	size := 8
	if (iter+k)%2 == 1 {
		size = 16
	}
	seed := uint64(1000*iter + k)
	return &Task{Size: size, Support: *patterns(20, size, seed), Query: *patterns(10, size, seed+500)}, nil
}

func equalTheta(t *testing.T, what string, a, b []*tensor.Tensor[float32]) {
	t.Helper()
	for i := range a {
		for j := range a[i].Data {
			if math.Float32bits(a[i].Data[j]) != math.Float32bits(b[i].Data[j]) {
				t.Fatalf("%s: tensor %d value %d: %v != %v", what, i, j, a[i].Data[j], b[i].Data[j])
			}
		}
	}
}

func TestNetLayout(t *testing.T) {
	n := tinyNet(t)
	specs := n.Specs()
	if len(specs) != n.NumTensors() {
		t.Fatalf("%d specs for %d tensors", len(specs), n.NumTensors())
	}
	// Stride-2 head: stem conv only; stride-4 head: one pre-conv + stem conv.
	if got := len(n.HeadTensors(0)); got != 1 {
		t.Errorf("head 8 has %d tensors, want 1", got)
	}
	if got := len(n.HeadTensors(1)); got != 2 {
		t.Errorf("head 16 has %d tensors, want 2", got)
	}
	if _, err := n.HeadFor(32); err == nil {
		t.Error("HeadFor(32) found a head")
	}
	if _, err := NewNet(NetConfig{Cells: 2, Channels: 4, Classes: 10, Heads: []HeadConfig{{8, 3}}}); err == nil {
		t.Error("stride 3 accepted")
	}
}

func TestVariantBZeroStepsLeavesThetaUnchanged(t *testing.T) {
	s := tinySettings()
	s.InnerSteps = 0
	tr, err := NewTrainer(tinyNet(t), s, 3, tinyTasks)
	if err != nil {
		t.Fatal(err)
	}
	before := CloneTheta(tr.Theta)
	if _, err := tr.Step(0); err != nil {
		t.Fatal(err)
	}
	equalTheta(t, "T=0", before, tr.Theta)
}

func TestVariantBOneTaskBetaOneEqualsAdaptedCopy(t *testing.T) {
	s := tinySettings()
	s.MetaBatch, s.Beta, s.BetaFinal = 1, 1, 1
	tr, err := NewTrainer(tinyNet(t), s, 5, tinyTasks)
	if err != nil {
		t.Fatal(err)
	}
	task, _ := tinyTasks(0, 0)
	h, _ := tr.Net.HeadFor(task.Size)
	in := s.Inner
	in.Tau = s.Tau(0)
	before := CloneTheta(tr.Theta)
	want, err := tr.Net.Adapt(tr.Theta, h, &task.Support, in, s.InnerSteps, TaskRand(tr.Seed, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(0); err != nil {
		t.Fatal(err)
	}
	equalTheta(t, "K=1 beta=1", want.Psi, tr.Theta)
	if tr.Theta[0].Data[0] == before[0].Data[0] {
		t.Error("the inner steps did not move the shared weights")
	}
}

func TestUpdateAveragesHeadsOverTheirTasks(t *testing.T) {
	n := tinyNet(t)
	theta := n.Init(rand.New(rand.NewPCG(1, 1)))
	shift := func(h int, d float32) *Adapted {
		psi := make([]*tensor.Tensor[float32], len(theta))
		copy(psi, theta)
		for _, i := range n.TaskTensors(h) {
			psi[i] = theta[i].Clone()
			for j := range psi[i].Data {
				psi[i].Data[j] += d
			}
		}
		return &Adapted{Head: h, Psi: psi}
	}
	// Three tasks on head 0 (+1, +2, +3), one on head 1 (+4).
	out, err := Update(n, theta, []*Adapted{shift(0, 1), shift(0, 2), shift(0, 3), shift(1, 4)}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	check := func(i int, want float64) {
		t.Helper()
		got := float64(out[i].Data[0] - theta[i].Data[0])
		if math.Abs(got-want) > 1e-5 {
			t.Errorf("tensor %d moved %g, want %g", i, got, want)
		}
	}
	check(0, 0.5*(1+2+3+4)/4.0)       // shared: mean over all four tasks
	check(n.AlphaIndex()[0], 0.5*2.5) // α likewise
	check(n.HeadTensors(0)[0], 0.5*2) // head 0: mean over its three tasks
	check(n.HeadTensors(1)[0], 0.5*4) // head 1: its single task
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	s := tinySettings()
	full, err := NewTrainer(tinyNet(t), s, 9, tinyTasks)
	if err != nil {
		t.Fatal(err)
	}
	for it := 0; it < 3; it++ {
		if _, err := full.Step(it); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := NewTrainer(tinyNet(t), s, 9, tinyTasks)
	for it := 0; it < 2; it++ {
		if _, err := first.Step(it); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), CheckpointFile)
	ck := &Checkpoint{Iter: 2}
	ck.Capture(first)
	if err := SaveCheckpoint(path, ck); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := NewTrainer(tinyNet(t), s, 9, tinyTasks)
	if err := loaded.Restore(second); err != nil {
		t.Fatal(err)
	}
	if _, err := second.Step(loaded.Iter); err != nil {
		t.Fatal(err)
	}
	equalTheta(t, "resumed", full.Theta, second.Theta)
	other, _ := NewTrainer(tinyNet(t), s, 10, tinyTasks)
	if err := loaded.Restore(other); err == nil {
		t.Error("checkpoint restored into a trainer with another seed")
	}
}

func TestAdaptationImprovesOverPrior(t *testing.T) {
	n := tinyNet(t)
	theta := n.Init(rand.New(rand.NewPCG(2, 2)))
	train, test := patterns(60, 8, 11), patterns(60, 8, 12)
	in := Inner{Relax: search.Relaxation{Kind: search.RelaxGumbel}, Tau: 1, EtaW: 0.05, EtaA: 0.05, Momentum: 0.9, WeightDecay: 3e-4, Clip: 5, Batch: 20}
	res, err := n.AdaptDataset(theta, 0, train, test, AdaptOptions{Inner: in, Epochs: 4, EvalBatch: 30, Snapshot: true}, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	prior, last := res.Curve[0].Accuracy, res.Curve[len(res.Curve)-1].Accuracy
	t.Logf("prior %.2f -> adapted %.2f (%v)", prior, last, res.Curve)
	if last <= prior+0.2 {
		t.Errorf("adapted accuracy %.2f does not beat the prior's %.2f by 0.2", last, prior)
	}
	hits := 0.0
	for _, c := range res.Correct {
		hits += c
	}
	if len(res.Correct) != test.N || hits/float64(test.N) != last {
		t.Errorf("per-image outcomes: %d for %d images, mean %v, last accuracy %v", len(res.Correct), test.N, hits/float64(len(res.Correct)), last)
	}
	if len(res.Snapshots) != 5 || len(res.Curve) != 5 {
		t.Errorf("%d snapshots, %d curve points, want 5", len(res.Snapshots), len(res.Curve))
	}
	// Freezing the logits leaves α at the prior's values.
	in.EtaA = 0
	fr, err := n.AdaptDataset(theta, 0, train, test, AdaptOptions{Inner: in, Epochs: 1, EvalBatch: 30}, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range n.AlphaIndex() {
		equalTheta(t, "frozen alpha", theta[i:i+1], fr.Psi[i:i+1])
	}
	// Scoring with Gumbel samples is reproducible and close to the noise-free score.
	ev := Eval{Relax: in.Relax, Tau: 1, Batch: 30, Samples: 3, Seed: 4}
	a1, err := n.Accuracy(res.Psi, 0, test, ev)
	if err != nil {
		t.Fatal(err)
	}
	if a2, _ := n.Accuracy(res.Psi, 0, test, ev); a1 != a2 || a1 < last-0.3 {
		t.Errorf("sampled accuracy %.2f then %.2f (noise-free %.2f)", a1, a2, last)
	}
	if _, err := n.Genotype("adapted", res.Psi, "base"); err != nil {
		t.Fatal(err)
	}
}

func TestTrainFinal(t *testing.T) {
	g, ok := genotypeBuiltin("darts-v2")
	if !ok {
		t.Fatal("no darts-v2")
	}
	opt := FinalOptions{Net: search.FinalConfig{Cells: 2, Channels: 4, Classes: 10, InChannels: 3, StemStride: 2, Reductions: []int{1}},
		Epochs: 2, Batch: 20, LR: 0.05, Momentum: 0.9, WeightDecay: 3e-4, Clip: 5, EvalBatch: 30}
	res, err := TrainFinal(g, patterns(60, 8, 1), patterns(60, 8, 2), opt, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if res.N != 60 || res.Correct < 0 || res.Correct > res.N || res.Params <= 0 {
		t.Errorf("result %+v", res)
	}
}

// TestAdaptNoNoiseTrainsTheScoredNetwork: with NoNoise a step sees the
// noise-free softmax(α/τ) that Predict scores, so the loss before the first
// step does not depend on the generator (a Gumbel step's does); Cosine
// anneals the learning rates over the steps.
func TestAdaptNoNoiseTrainsTheScoredNetwork(t *testing.T) {
	n := tinyNet(t)
	theta := n.Init(rand.New(rand.NewPCG(2, 2)))
	data := patterns(20, 8, 11)
	in := Inner{Relax: search.Relaxation{Kind: search.RelaxGumbel}, Tau: 0.1, EtaW: 0.05, EtaA: 0.05, Momentum: 0.9, Batch: 20}
	first := func(in Inner, seed uint64) float64 {
		a, err := n.Adapt(theta, 0, data, in, 1, rand.New(rand.NewPCG(seed, 1)))
		if err != nil {
			t.Fatal(err)
		}
		return a.Losses[0]
	}
	// The generator also orders the batch, so the losses may differ in
	// their last bits (summation order; the matrix route decides): the
	// noise-free loss agrees to 1e-5 relative, a Gumbel step's differs far
	// beyond that.
	if g1, g2 := first(in, 1), first(in, 2); math.Abs(g1-g2) <= 1e-3*math.Abs(g1) {
		t.Fatalf("Gumbel steps: the first loss does not depend on the noise (%g, %g)", g1, g2)
	}
	in.NoNoise = true
	if n1, n2 := first(in, 1), first(in, 2); math.Abs(n1-n2) > 1e-5*math.Abs(n1) {
		t.Fatalf("NoNoise: the first loss depends on the generator (%g, %g)", n1, n2)
	}
	// Cosine over 2 steps: the first at the full rate, the second at
	// η/2·(1+cos(π/2)) = η/2; without momentum and decay the second step
	// moves Ψ half as far as a constant-rate second step does.
	in.Momentum = 0
	run := func(steps int, cosine bool) []*tensor.Tensor[float32] {
		in.Cosine = cosine
		a, err := n.Adapt(theta, 0, data, in, steps, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		return a.Psi
	}
	one, constant, cosine := run(1, false), run(2, false), run(2, true)
	i := n.TaskTensors(0)[0]
	moved := false
	for j := range one[i].Data {
		dc, dk := float64(constant[i].Data[j]-one[i].Data[j]), float64(cosine[i].Data[j]-one[i].Data[j])
		if math.Abs(dk-dc/2) > 1e-5+1e-3*math.Abs(dc) {
			t.Fatalf("value %d: cosine second step %g, constant %g: want half", j, dk, dc)
		}
		moved = moved || dc != 0
	}
	if !moved {
		t.Fatal("the second step moved nothing")
	}
}

// TestClipArchBoundsTheArchitectureStep: ClipArch rescales the α gradients
// to that global norm, so one momentum-free step moves α by at most
// EtaA·ClipArch, and leaves the weights' step alone.
func TestClipArchBoundsTheArchitectureStep(t *testing.T) {
	n := tinyNet(t)
	theta := n.Init(rand.New(rand.NewPCG(2, 2)))
	data := patterns(20, 8, 11)
	in := Inner{Relax: search.Relaxation{Kind: search.RelaxGumbel}, Tau: 0.1, EtaW: 0.05, EtaA: 1, Batch: 20, NoNoise: true}
	step := func(clip float64) []*tensor.Tensor[float32] {
		in.ClipArch = clip
		a, err := n.Adapt(theta, 0, data, in, 1, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		return a.Psi
	}
	free, clipped := step(0), step(1e-3)
	moved := func(psi []*tensor.Tensor[float32], arch bool) float64 {
		s := 0.0
		for _, i := range n.TaskTensors(0) {
			if n.IsArch(i) != arch {
				continue
			}
			for j, v := range psi[i].Data {
				d := float64(v - theta[i].Data[j])
				s += d * d
			}
		}
		return math.Sqrt(s)
	}
	if m := moved(free, true); !(m > 2e-3) {
		t.Fatalf("unclipped α step %g: too small for the test", m)
	}
	if m := moved(clipped, true); m > 1e-3*(1+1e-3) || m < 1e-3*(1-1e-2) {
		t.Fatalf("clipped α step %g, want 1e-3", m)
	}
	if a, b := moved(free, false), moved(clipped, false); a != b {
		t.Fatalf("weights moved %g unclipped, %g with the α clip", a, b)
	}
	in.ClipArch = -1
	if err := in.Validate(); err == nil {
		t.Fatal("a negative arch clip validated")
	}
}
