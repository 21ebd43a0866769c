package multitask

import (
	"fmt"
	"math"
	"math/rand/v2"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/optim"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// Images is a set of images in float32 NCHW with labels 0..K-1.
type Images struct {
	X          []float32
	Y          []int
	N, C, H, W int
}

// Validate checks sizes and labels against k classes.
func (im *Images) Validate(k int) error {
	if im.N < 1 || len(im.X) != im.N*im.C*im.H*im.W || len(im.Y) != im.N {
		return fmt.Errorf("images: %d images, %d values for %dx%dx%d, %d labels", im.N, len(im.X), im.C, im.H, im.W, len(im.Y))
	}
	for i, y := range im.Y {
		if y < 0 || y >= k {
			return fmt.Errorf("images: image %d has label %d outside 0..%d", i, y, k-1)
		}
	}
	return nil
}

// batch gathers the images idx into a [len(idx), C, H, W] tensor.
func (im *Images) batch(idx []int) (*tensor.Tensor[float32], []int) {
	sz := im.C * im.H * im.W
	x := tensor.New[float32](len(idx), im.C, im.H, im.W)
	y := make([]int, len(idx))
	for j, i := range idx {
		copy(x.Data[j*sz:(j+1)*sz], im.X[i*sz:(i+1)*sz])
		y[j] = im.Y[i]
	}
	return x, y
}

// Inner is the inner optimiser of variant B and of adaptation (SPEC 3.4,
// 6.3): SGD on the mean cross-entropy of minibatches, with momentum and
// weight decay on the weights, the same momentum and no decay on α, and
// gradient-norm clipping of the weight gradients. Optimiser state is fresh
// for every call.
type Inner struct {
	Relax       search.Relaxation
	Tau         float64 // temperature of the Gumbel relaxation (1 for softmax)
	EtaW        float64 // learning rate on weights
	EtaA        float64 // learning rate on α; 0 freezes the architecture
	Momentum    float64
	WeightDecay float64
	Clip        float64 // max global norm of the weight gradients (0 = off)
	ClipArch    float64 // max global norm of the α gradients (0 = off)
	Batch       int     // minibatch size
	// NoNoise trains with the noise-free architecture weights softmax(α/τ),
	// the network Predict scores without Eval.Samples, instead of one Gumbel
	// sample softmax((α+g)/τ) per step.
	NoNoise bool
	// Cosine anneals both learning rates as η/2·(1+cos(π t/T)) over the T
	// steps of the call (SPEC 6.3); otherwise they are constant.
	Cosine bool
}

// Validate checks the settings.
func (in Inner) Validate() error {
	if err := in.Relax.Validate(); err != nil {
		return err
	}
	switch {
	case in.Relax.Kind == search.RelaxGumbel && !(in.Tau > 0):
		return fmt.Errorf("temperature %g: want above 0", in.Tau)
	case in.EtaW < 0 || in.EtaA < 0:
		return fmt.Errorf("inner learning rates %g, %g: want at least 0", in.EtaW, in.EtaA)
	case in.Momentum < 0 || in.Momentum >= 1:
		return fmt.Errorf("momentum %g: want [0, 1)", in.Momentum)
	case in.WeightDecay < 0 || in.Clip < 0 || in.ClipArch < 0:
		return fmt.Errorf("weight decay %g / clip %g / arch clip %g: want at least 0", in.WeightDecay, in.Clip, in.ClipArch)
	case in.Batch < 1:
		return fmt.Errorf("batch %d: want at least 1", in.Batch)
	}
	return nil
}

// relaxed returns z_normal, z_reduce for one forward pass. With noise (nil
// for evaluation and for the softmax relaxation) the Gumbel-softmax sample
// softmax((α+g)/τ); without, the noise-free softmax(α/τ).
func (m *Net) relaxed(th []*ad.Var[float32], r search.Relaxation, tau float64, g [2]*tensor.Tensor[float32]) (zn, zr *ad.Var[float32]) {
	if r.Kind == search.RelaxSoftmax {
		return search.Relax(th[m.alpha[0]], r, nil, 1), search.Relax(th[m.alpha[1]], r, nil, 1)
	}
	if g[0] == nil {
		sm := search.Relaxation{Kind: search.RelaxSoftmax, Hard: r.Hard}
		return search.Relax(ad.Scale(th[m.alpha[0]], float32(1/tau)), sm, nil, 1),
			search.Relax(ad.Scale(th[m.alpha[1]], float32(1/tau)), sm, nil, 1)
	}
	return search.Relax(th[m.alpha[0]], r, g[0], tau), search.Relax(th[m.alpha[1]], r, g[1], tau)
}

// Adapted is the result of adapting Θ on one task.
type Adapted struct {
	Head   int
	Psi    []*tensor.Tensor[float32] // len(Θ); tensors outside TaskTensors(Head) alias Θ's
	Losses []float64                 // minibatch loss before each step
}

// Adapt runs steps inner SGD steps of in on head h from theta over data:
// minibatches of in.Batch images taken in the order of a fresh permutation
// of data per pass, one Gumbel noise pair per step, all drawn from rng.
// theta is not modified. With steps = 0 it returns copies of theta.
func (m *Net) Adapt(theta []*tensor.Tensor[float32], h int, data *Images, in Inner, steps int, rng *rand.Rand) (*Adapted, error) {
	return m.adaptObserved(theta, h, data, in, steps, rng, nil)
}

// adaptObserved is Adapt calling after(t, ψ) after every step (t = 1..steps).
func (m *Net) adaptObserved(theta []*tensor.Tensor[float32], h int, data *Images, in Inner, steps int, rng *rand.Rand,
	after func(step int, psi []*tensor.Tensor[float32]) error) (*Adapted, error) {
	if len(theta) != m.total {
		return nil, fmt.Errorf("adapt: %d tensors for a meta-network of %d", len(theta), m.total)
	}
	if h < 0 || h >= len(m.heads) {
		return nil, fmt.Errorf("adapt: head %d of %d", h, len(m.heads))
	}
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("adapt: %w", err)
	}
	if err := data.Validate(m.cfg.Classes); err != nil {
		return nil, fmt.Errorf("adapt: %w", err)
	}
	if data.C != 3 || data.H != m.heads[h].cfg.Size || data.W != data.H {
		return nil, fmt.Errorf("adapt: images %dx%dx%d for the %d-pixel RGB head", data.C, data.H, data.W, m.heads[h].cfg.Size)
	}
	idx := m.TaskTensors(h)
	psi := make([]*tensor.Tensor[float32], len(theta))
	copy(psi, theta)
	var wIdx, aIdx []int
	for _, i := range idx {
		psi[i] = theta[i].Clone()
		if m.IsArch(i) {
			if in.EtaA > 0 {
				aIdx = append(aIdx, i)
			}
		} else {
			wIdx = append(wIdx, i)
		}
	}
	pick := func(ts []*tensor.Tensor[float32], at []int) []*tensor.Tensor[float32] {
		out := make([]*tensor.Tensor[float32], len(at))
		for k, i := range at {
			out[k] = ts[i]
		}
		return out
	}
	optW := &optim.SGD[float32]{LR: in.EtaW, Momentum: in.Momentum, WeightDecay: in.WeightDecay}
	optA := &optim.SGD[float32]{LR: in.EtaA, Momentum: in.Momentum}
	res := &Adapted{Head: h, Psi: psi}
	var perm []int
	pos := 0
	work := &tensor.Workspace{}
	J := m.numOps
	for t := 0; t < steps; t++ {
		b := min(in.Batch, data.N)
		bi := make([]int, b)
		for k := range bi {
			if pos >= len(perm) {
				perm = rng.Perm(data.N)
				pos = 0
			}
			bi[k] = perm[pos]
			pos++
		}
		if in.Cosine && steps > 0 {
			f := 0.5 * (1 + math.Cos(math.Pi*float64(t)/float64(steps)))
			optW.LR, optA.LR = in.EtaW*f, in.EtaA*f
		}
		var g [2]*tensor.Tensor[float32]
		if in.Relax.Kind == search.RelaxGumbel && !in.NoNoise {
			g = [2]*tensor.Tensor[float32]{search.GumbelNoise[float32](rng, genotype.NumEdges, J), search.GumbelNoise[float32](rng, genotype.NumEdges, J)}
		}
		x, y := data.batch(bi)
		tp := ad.NewTape[float32]()
		vars := make([]*ad.Var[float32], len(psi))
		for _, i := range idx {
			vars[i] = tp.Param(psi[i])
		}
		zn, zr := m.relaxed(vars, in.Relax, in.Tau, g)
		loss := ad.CrossEntropy(m.Forward(tp, vars, h, tp.Const(x), zn, zr, work), y)
		l := float64(loss.Item())
		res.Losses = append(res.Losses, l)
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("adapt: loss at step %d is %v (diverged; lower the learning rates)", t, l)
		}
		want := append(append([]int(nil), wIdx...), aIdx...)
		wantVars := make([]*ad.Var[float32], len(want))
		for k, i := range want {
			wantVars[k] = vars[i]
		}
		gv, err := ad.Grad(loss, wantVars, false)
		if err != nil {
			return nil, fmt.Errorf("adapt: step %d: %w", t, err)
		}
		grads := make([]*tensor.Tensor[float32], len(gv))
		for k, v := range gv {
			grads[k] = v.Value()
		}
		gw, ga := grads[:len(wIdx)], grads[len(wIdx):]
		if in.Clip > 0 {
			optim.ClipByGlobalNorm(gw, in.Clip)
		}
		optW.Step(pick(psi, wIdx), gw)
		if in.ClipArch > 0 && len(ga) > 0 {
			optim.ClipByGlobalNorm(ga, in.ClipArch)
		}
		if len(aIdx) > 0 {
			optA.Step(pick(psi, aIdx), ga)
		}
		if after != nil {
			if err := after(t+1, psi); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// Eval says how an adapted meta-network is scored.
type Eval struct {
	Relax search.Relaxation
	Tau   float64 // the Gumbel temperature (1 for softmax)
	Batch int     // images per evaluation batch (BN statistics are per batch)
	// Samples > 0 (Gumbel relaxation only) averages the class probabilities
	// over that many Gumbel samples z = softmax((α+g)/τ), the predictive
	// distribution of the training relaxation; 0 uses the noise-free
	// architecture weights softmax(α/τ). The noise of batch b, sample s is
	// drawn from (Seed, b), so scores are reproducible.
	Samples int
	Seed    uint64
}

// Predict returns the predicted class of every image of data at ψ on head
// h, evaluated in batches as ev says. Batch norm uses the statistics of each
// evaluation batch (the search network has no running statistics; SPEC 1.2).
func (m *Net) Predict(psi []*tensor.Tensor[float32], h int, data *Images, ev Eval) ([]int, error) {
	batch := ev.Batch
	if batch < 1 {
		batch = data.N
	}
	if data.C != 3 || data.H != m.heads[h].cfg.Size {
		return nil, fmt.Errorf("predict: images %dx%dx%d for the %d-pixel RGB head", data.C, data.H, data.W, m.heads[h].cfg.Size)
	}
	samples := ev.Samples
	if ev.Relax.Kind != search.RelaxGumbel {
		samples = 0
	}
	out := make([]int, data.N)
	work := &tensor.Workspace{}
	J := m.numOps
	for s := 0; s < data.N; s += batch {
		e := min(s+batch, data.N)
		bi := make([]int, e-s)
		for k := range bi {
			bi[k] = s + k
		}
		x, _ := data.batch(bi)
		tp := ad.NewTape[float32]()
		vars := make([]*ad.Var[float32], len(psi))
		for _, i := range m.TaskTensors(h) {
			vars[i] = tp.Const(psi[i])
		}
		xv := tp.Const(x)
		var score []float64
		K := m.cfg.Classes
		if samples == 0 {
			zn, zr := m.relaxed(vars, ev.Relax, ev.Tau, [2]*tensor.Tensor[float32]{})
			lg := m.Forward(tp, vars, h, xv, zn, zr, work).Value()
			score = make([]float64, len(lg.Data))
			for j, v := range lg.Data {
				score[j] = float64(v)
			}
		} else {
			rng := rand.New(rand.NewPCG(ev.Seed, uint64(s)))
			score = make([]float64, len(bi)*K)
			for range samples {
				g := [2]*tensor.Tensor[float32]{search.GumbelNoise[float32](rng, genotype.NumEdges, J), search.GumbelNoise[float32](rng, genotype.NumEdges, J)}
				zn, zr := m.relaxed(vars, ev.Relax, ev.Tau, g)
				pr := ad.Softmax(m.Forward(tp, vars, h, xv, zn, zr, work), 1).Value()
				for j, v := range pr.Data {
					score[j] += float64(v)
				}
			}
		}
		for j := range bi {
			row := score[j*K : (j+1)*K]
			best := 0
			for c := range row {
				if row[c] > row[best] {
					best = c
				}
			}
			out[s+j] = best
		}
	}
	return out, nil
}

// Accuracy is the fraction of data that Predict classifies correctly.
func (m *Net) Accuracy(psi []*tensor.Tensor[float32], h int, data *Images, ev Eval) (float64, error) {
	pred, err := m.Predict(psi, h, data, ev)
	if err != nil {
		return 0, err
	}
	hit := 0
	for i, p := range pred {
		if p == data.Y[i] {
			hit++
		}
	}
	return float64(hit) / float64(data.N), nil
}
