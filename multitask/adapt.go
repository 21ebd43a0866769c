package multitask

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/metabench/metabench/tensor"
)

// AdaptOptions say how a prior is adapted to a new dataset (SPEC 3.6): the
// inner optimiser run for Epochs passes over the training images.
type AdaptOptions struct {
	Inner     Inner
	Epochs    int
	EvalBatch int // test images per evaluation batch
	// EvalSamples is Eval.Samples: Gumbel samples averaged when scoring
	// (0 = the noise-free softmax(α/τ)).
	EvalSamples int
	// Snapshot keeps a copy of the shared weights and of α after every epoch
	// (for the PCA of Figure 3).
	Snapshot bool
	// Stop, when set, is asked after every epoch; an error ends the
	// adaptation with it (a cancelled run).
	Stop func() error
}

// EpochPoint is the test accuracy of the adapted meta-network after Epoch
// passes (Epoch 0 is the prior itself); TrainSec is the adaptation time up
// to that point, evaluation excluded.
type EpochPoint struct {
	Epoch    int
	Steps    int
	TrainSec float64
	Accuracy float64
	Loss     float64 // mean minibatch loss over the epoch (0 at epoch 0)
}

// Snapshot is a flattened copy of ψ after an epoch: the shared weights and
// the two architecture-logit matrices.
type Snapshot struct {
	Epoch   int
	Weights []float64
	Arch    []float64
}

// AdaptResult is a prior adapted to a dataset.
type AdaptResult struct {
	Psi       []*tensor.Tensor[float32]
	Curve     []EpochPoint
	Snapshots []Snapshot
	TrainSec  float64 // adaptation time, evaluation excluded
	Steps     int
	// Correct[i] is 1 when test image i is classified correctly after the
	// last epoch, else 0: per-image outcomes for paired comparisons.
	Correct []float64
}

// StepsPerEpoch is ceil(n / batch).
func StepsPerEpoch(n, batch int) int { return (n + batch - 1) / batch }

// AdaptDataset adapts Θ to a dataset on head h for opt.Epochs passes over
// train (minibatches as in Adapt, from rng) and scores the test images after
// every pass, the prior included (epoch 0). theta is not modified.
func (m *Net) AdaptDataset(theta []*tensor.Tensor[float32], h int, train, test *Images, opt AdaptOptions, rng *rand.Rand) (*AdaptResult, error) {
	if opt.Epochs < 0 {
		return nil, fmt.Errorf("adaptation: %d epochs", opt.Epochs)
	}
	ev := Eval{Relax: opt.Inner.Relax, Tau: opt.Inner.Tau, Batch: opt.EvalBatch, Samples: opt.EvalSamples, Seed: 0x6576616c}
	res := &AdaptResult{}
	score := func(psi []*tensor.Tensor[float32]) (float64, error) {
		pred, err := m.Predict(psi, h, test, ev)
		if err != nil {
			return 0, err
		}
		res.Correct = make([]float64, len(pred))
		acc := 0.0
		for i, p := range pred {
			if p == test.Y[i] {
				res.Correct[i] = 1
				acc++
			}
		}
		return acc / float64(len(pred)), nil
	}
	acc0, err := score(theta)
	if err != nil {
		return nil, fmt.Errorf("adaptation: scoring the prior: %w", err)
	}
	res.Curve = append(res.Curve, EpochPoint{Accuracy: acc0})
	if opt.Snapshot {
		res.Snapshots = append(res.Snapshots, m.snapshot(0, theta))
	}
	spe := StepsPerEpoch(train.N, opt.Inner.Batch)
	steps := spe * opt.Epochs
	start := time.Now()
	var evalSec float64
	var losses []float64
	after := func(t int, psi []*tensor.Tensor[float32]) error {
		if t%spe != 0 {
			return nil
		}
		if opt.Stop != nil {
			if err := opt.Stop(); err != nil {
				return err
			}
		}
		e0 := time.Now()
		ep := t / spe
		acc, err := score(psi)
		if err != nil {
			return fmt.Errorf("adaptation: scoring epoch %d: %w", ep, err)
		}
		evalSec += time.Since(e0).Seconds()
		pt := EpochPoint{Epoch: ep, Steps: t, TrainSec: time.Since(start).Seconds() - evalSec, Accuracy: acc}
		res.Curve = append(res.Curve, pt)
		if opt.Snapshot {
			res.Snapshots = append(res.Snapshots, m.snapshot(ep, psi))
		}
		return nil
	}
	a, err := m.adaptObserved(theta, h, train, opt.Inner, steps, rng, after)
	if err != nil {
		return nil, err
	}
	losses = a.Losses
	for i := 1; i < len(res.Curve); i++ {
		lo, hi := (i-1)*spe, i*spe
		s := 0.0
		for _, l := range losses[lo:hi] {
			s += l
		}
		res.Curve[i].Loss = s / float64(hi-lo)
	}
	res.Psi, res.Steps = a.Psi, steps
	res.TrainSec = time.Since(start).Seconds() - evalSec
	return res, nil
}

func (m *Net) snapshot(epoch int, psi []*tensor.Tensor[float32]) Snapshot {
	s := Snapshot{Epoch: epoch}
	for i := 0; i < m.nShared; i++ {
		for _, v := range psi[i].Data {
			s.Weights = append(s.Weights, float64(v))
		}
	}
	for _, i := range m.alpha {
		for _, v := range psi[i].Data {
			s.Arch = append(s.Arch, float64(v))
		}
	}
	return s
}
