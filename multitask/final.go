package multitask

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/optim"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// FinalOptions say how the network of a genotype is trained on a dataset
// (SPEC 6.1 "CIFAR final", scaled down): SGD with momentum and weight decay,
// learning rate cosine-annealed from LR to 0 over the run, gradient-norm
// clipping, drop-path ramped linearly to Net.DropPath.
type FinalOptions struct {
	Net         search.FinalConfig
	Epochs      int
	Batch       int
	LR          float64
	Momentum    float64
	WeightDecay float64
	Clip        float64
	EvalBatch   int
	// Stop, when set, is asked before every epoch; an error ends the
	// training with it (a cancelled run).
	Stop func() error
}

// Validate checks the options.
func (o FinalOptions) Validate() error {
	switch {
	case o.Epochs < 1:
		return fmt.Errorf("final training: epochs %d, want at least 1", o.Epochs)
	case o.Batch < 1:
		return fmt.Errorf("final training: batch %d, want at least 1", o.Batch)
	case o.LR <= 0:
		return fmt.Errorf("final training: lr %g, want above 0", o.LR)
	case o.Momentum < 0 || o.Momentum >= 1 || o.WeightDecay < 0 || o.Clip < 0:
		return errors.New("final training: momentum in [0,1), weight decay and clip at least 0")
	}
	return o.Net.Validate()
}

// FinalResult is a final network trained and scored on a test set.
type FinalResult struct {
	Genotype string
	Params   int
	Correct  int
	N        int
	Error    float64 // test error rate (its interval: reports.Wilson)
	TrainSec float64
	Losses   []float64 // mean training loss per epoch
}

// TrainFinal builds the final network of g (opt.Net sizes it; the classifier
// has opt.Net.Classes outputs), trains it on train from a fresh
// initialisation drawn from rng, and scores it on test. Batch norm uses
// batch statistics at test time too (evaluation batches of EvalBatch).
func TrainFinal(g *genotype.Genotype, train, test *Images, opt FinalOptions, rng *rand.Rand) (*FinalResult, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if opt.Net.InChannels == 0 {
		opt.Net.InChannels = train.C
	}
	net, err := search.NewFinalNet(g, opt.Net)
	if err != nil {
		return nil, err
	}
	if err := train.Validate(opt.Net.Classes); err != nil {
		return nil, fmt.Errorf("final training: %w", err)
	}
	if err := test.Validate(opt.Net.Classes); err != nil {
		return nil, fmt.Errorf("final training: test: %w", err)
	}
	params := search.NewParams[float32](net.Layout(), rng)
	sgd := &optim.SGD[float32]{LR: opt.LR, Momentum: opt.Momentum, WeightDecay: opt.WeightDecay}
	spe := StepsPerEpoch(train.N, opt.Batch)
	total := spe * opt.Epochs
	work := &tensor.Workspace{}
	res := &FinalResult{Genotype: g.Name, Params: net.ParamCount()}
	start := time.Now()
	step := 0
	for ep := 0; ep < opt.Epochs; ep++ {
		if opt.Stop != nil {
			if err := opt.Stop(); err != nil {
				return nil, err
			}
		}
		perm := rng.Perm(train.N)
		sum := 0.0
		for s := 0; s < spe; s++ {
			bi := perm[s*opt.Batch : min((s+1)*opt.Batch, train.N)]
			x, y := train.batch(bi)
			tp := ad.NewTape[float32]()
			vars := make([]*ad.Var[float32], len(params))
			for i, p := range params {
				vars[i] = tp.Param(p)
			}
			fo := search.FinalForwardOpts{Work: work}
			if opt.Net.DropPath > 0 {
				fo.DropPath, fo.Rng = opt.Net.DropPath*float64(ep)/float64(opt.Epochs), rng
			}
			logits, aux := search.FinalForward(net, tp, vars, tp.Const(x), fo)
			loss := ad.CrossEntropy(logits, y)
			if aux != nil {
				loss = ad.Add(loss, ad.Scale(ad.CrossEntropy(aux, y), 0.4))
			}
			l := float64(loss.Item())
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return nil, fmt.Errorf("final training of %s: loss %v at epoch %d (diverged; lower the learning rate)", g.Name, l, ep)
			}
			sum += l
			gv, err := ad.Grad(loss, vars, false)
			if err != nil {
				return nil, fmt.Errorf("final training of %s: %w", g.Name, err)
			}
			grads := make([]*tensor.Tensor[float32], len(gv))
			for i, v := range gv {
				grads[i] = v.Value()
			}
			if opt.Clip > 0 {
				optim.ClipByGlobalNorm(grads, opt.Clip)
			}
			sgd.LR = opt.LR * 0.5 * (1 + math.Cos(math.Pi*float64(step)/float64(total)))
			sgd.Step(params, grads)
			step++
		}
		res.Losses = append(res.Losses, sum/float64(spe))
	}
	res.TrainSec = time.Since(start).Seconds()
	eb := opt.EvalBatch
	if eb < 1 {
		eb = test.N
	}
	for s := 0; s < test.N; s += eb {
		bi := make([]int, min(s+eb, test.N)-s)
		for k := range bi {
			bi[k] = s + k
		}
		x, y := test.batch(bi)
		tp := ad.NewTape[float32]()
		vars := make([]*ad.Var[float32], len(params))
		for i, p := range params {
			vars[i] = tp.Const(p)
		}
		lg, _ := search.FinalForward(net, tp, vars, tp.Const(x), search.FinalForwardOpts{Work: work})
		v := lg.Value()
		K := v.Shape[1]
		for j := range bi {
			row := v.Data[j*K : (j+1)*K]
			best := 0
			for c := range row {
				if row[c] > row[best] {
					best = c
				}
			}
			if best == y[j] {
				res.Correct++
			}
		}
	}
	res.N = test.N
	wrong := res.N - res.Correct
	res.Error = float64(wrong) / float64(res.N)
	return res, nil
}
