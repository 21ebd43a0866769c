package multitask

import (
	"errors"
	"fmt"
	"github.com/metabench/metabench/internal/parallel"
	"math/rand/v2"

	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/tensor"
)

// Settings are the hyper-parameters of multi-task meta-training with
// variant B (SPEC 3.4, 6.2, A5, A10, A11).
type Settings struct {
	Inner       Inner   // inner optimiser; Inner.Tau is replaced by the schedule
	TauMax      float64 // τ at the first meta-iteration
	TauMin      float64 // τ at the last (linear)
	InnerSteps  int     // T, SGD steps per task
	MetaBatch   int     // K tasks per meta-iteration
	Iterations  int     // E, for the τ and β schedules (0: τ = TauMax, β = Beta)
	Beta        float64 // β at the first meta-iteration
	BetaFinal   float64 // β at the last (linear)
	Workers     int     // tasks adapted in parallel (0 = GOMAXPROCS)
	EvalBatch   int     // query images per evaluation batch (0 = all)
	EvalSamples int     // Gumbel samples averaged when scoring the query images (0 = noise-free softmax(α/τ))
}

// DefaultSettings are SPEC's recommendations (DARTS inner SGD: lr 0.025,
// momentum 0.9, weight decay 3e-4, clip 5, batch 64; η_α = η_W; Gumbel τ
// 1.0 -> 0.1; β 1 -> 0; 24 tasks per meta-iteration, 130 iterations).
func DefaultSettings() Settings {
	return Settings{
		Inner: Inner{Relax: search.Relaxation{Kind: search.RelaxGumbel}, Tau: 1, EtaW: 0.025, EtaA: 0.025,
			Momentum: 0.9, WeightDecay: 3e-4, Clip: 5, Batch: 64},
		TauMax: 1, TauMin: 0.1, InnerSteps: 200, MetaBatch: 24, Iterations: 130, Beta: 1, BetaFinal: 0}
}

// Validate checks the settings.
func (s Settings) Validate() error {
	in := s.Inner
	in.Tau = 1
	if err := in.Validate(); err != nil {
		return err
	}
	switch {
	case s.Inner.Relax.Kind == search.RelaxGumbel && (s.TauMax <= 0 || s.TauMin <= 0 || s.TauMin > s.TauMax):
		return fmt.Errorf("temperature: tau_max %g, tau_min %g: want 0 < tau_min <= tau_max", s.TauMax, s.TauMin)
	case s.InnerSteps < 0:
		return fmt.Errorf("inner_steps %d: want at least 0", s.InnerSteps)
	case s.MetaBatch < 1:
		return fmt.Errorf("meta_batch %d: want at least 1", s.MetaBatch)
	case s.Beta <= 0 || s.BetaFinal < 0:
		return fmt.Errorf("beta %g -> %g: want beta above 0 and beta_final at least 0", s.Beta, s.BetaFinal)
	case s.EvalBatch < 0 || s.EvalSamples < 0:
		return fmt.Errorf("eval_batch %d / eval_samples %d: want at least 0", s.EvalBatch, s.EvalSamples)
	}
	return nil
}

// Tau is the temperature of meta-iteration iter (1 for softmax).
func (s Settings) Tau(iter int) float64 {
	if s.Inner.Relax.Kind == search.RelaxSoftmax {
		return 1
	}
	if s.Iterations <= 0 {
		return s.TauMax
	}
	return search.Temperature(iter, s.Iterations, s.TauMax, s.TauMin)
}

// BetaAt is the meta step size of meta-iteration iter: linear from Beta to
// BetaFinal over Iterations.
func (s Settings) BetaAt(iter int) float64 {
	if s.Iterations <= 1 {
		return s.Beta
	}
	f := min(max(float64(iter)/float64(s.Iterations-1), 0), 1)
	return s.Beta + (s.BetaFinal-s.Beta)*f
}

// Task is one 10-class task: the head (image size) it uses, the images the
// inner loop trains on, and held-out images of the same classes on which the
// adapted copy is scored (monitoring only: variant B needs no query set).
type Task struct {
	Size    int
	Support Images
	Query   Images
}

// TaskFunc returns task k of meta-iteration iter. It must be a pure function
// of (iter, k) and safe for concurrent use.
type TaskFunc func(iter, k int) (*Task, error)

// Trainer runs variant-B meta-iterations on a meta-network. Every random
// draw of iteration iter, task k derives from (Seed, iter, k) and the inner
// optimiser state is fresh for every task, so Θ and the iteration number are
// the whole state: a run resumed from a checkpoint continues bit for bit as
// an uninterrupted one.
type Trainer struct {
	Net      *Net
	Settings Settings
	Theta    []*tensor.Tensor[float32] // updated in place
	Seed     int64
	Tasks    TaskFunc
}

// NewTrainer initialises Θ from the seed.
func NewTrainer(net *Net, s Settings, seed int64, tasks TaskFunc) (*Trainer, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if tasks == nil {
		return nil, errors.New("meta-training: no task source")
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x4d54494e4954)) // "MTINIT"
	return &Trainer{Net: net, Settings: s, Theta: net.Init(rng), Seed: seed, Tasks: tasks}, nil
}

// TaskRand is the generator of task k of iteration iter: minibatch order and
// Gumbel noise.
func TaskRand(seed int64, iter, k int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed)^0x9e3779b97f4a7c15*uint64(iter+2), uint64(k)+0x6d756c7469))
}

// IterStats summarises one meta-iteration.
type IterStats struct {
	Tau, Beta float64
	Loss      float64         // mean over tasks of the last inner minibatch loss
	QueryAcc  float64         // mean over tasks of the adapted copy's accuracy on the held-out images
	HeadTasks map[int]int     // tasks per head size
	HeadAcc   map[int]float64 // mean query accuracy per head size
}

// Step runs meta-iteration iter: K tasks adapted in parallel from Θ with T
// inner steps, then the variant-B update of Θ (Update).
func (tr *Trainer) Step(iter int) (IterStats, error) {
	s := tr.Settings
	tau := s.Tau(iter)
	in := s.Inner
	in.Tau = tau
	K := s.MetaBatch
	res := make([]*Adapted, K)
	accs := make([]float64, K)
	sizes := make([]int, K)
	err := parallel.For(K, s.Workers, func(k int) error {
		task, err := tr.Tasks(iter, k)
		if err != nil {
			return fmt.Errorf("iteration %d task %d: %w", iter, k, err)
		}
		h, err := tr.Net.HeadFor(task.Size)
		if err != nil {
			return fmt.Errorf("iteration %d task %d: %w", iter, k, err)
		}
		a, err := tr.Net.Adapt(tr.Theta, h, &task.Support, in, s.InnerSteps, TaskRand(tr.Seed, iter, k))
		if err != nil {
			return fmt.Errorf("iteration %d task %d: %w", iter, k, err)
		}
		if task.Query.N > 0 {
			ev := Eval{Relax: in.Relax, Tau: tau, Batch: s.EvalBatch, Samples: s.EvalSamples, Seed: uint64(tr.Seed) ^ uint64(iter)<<20 ^ uint64(k)}
			if accs[k], err = tr.Net.Accuracy(a.Psi, h, &task.Query, ev); err != nil {
				return fmt.Errorf("iteration %d task %d: %w", iter, k, err)
			}
		}
		res[k], sizes[k] = a, task.Size
		return nil
	})
	if err != nil {
		return IterStats{}, err
	}
	st := IterStats{Tau: tau, Beta: s.BetaAt(iter), HeadTasks: map[int]int{}, HeadAcc: map[int]float64{}}
	for k, a := range res {
		if n := len(a.Losses); n > 0 {
			st.Loss += a.Losses[n-1] / float64(K)
		}
		st.QueryAcc += accs[k] / float64(K)
		st.HeadTasks[sizes[k]]++
		st.HeadAcc[sizes[k]] += accs[k]
	}
	for sz, n := range st.HeadTasks {
		st.HeadAcc[sz] /= float64(n)
	}
	nt, err := Update(tr.Net, tr.Theta, res, st.Beta)
	if err != nil {
		return st, fmt.Errorf("iteration %d: %w", iter, err)
	}
	for i := range tr.Theta {
		copy(tr.Theta[i].Data, nt[i].Data)
	}
	return st, nil
}

// Update is the variant-B meta-update with per-head averaging (SPEC 3.4):
//
//	shared weights and α:  Θ_s ← Θ_s + β (1/K) Σ_k (ψ_k,s − Θ_s)
//	head h:                Θ_h ← Θ_h + β (1/|K_h|) Σ_{k∈K_h} (ψ_k,h − Θ_h)
//
// K_h being the tasks that used head h (a head no task used is unchanged).
// Sums run in task order in float64. It returns the new Θ; theta and the
// adapted copies are not modified.
func Update(net *Net, theta []*tensor.Tensor[float32], adapted []*Adapted, beta float64) ([]*tensor.Tensor[float32], error) {
	if len(adapted) == 0 {
		return nil, errors.New("variant-B update: no adapted tasks")
	}
	if len(theta) != net.total {
		return nil, fmt.Errorf("variant-B update: %d tensors for a meta-network of %d", len(theta), net.total)
	}
	users := make([][]int, net.total) // users[i]: the tasks that adapted Θ[i]
	for k, a := range adapted {
		if a == nil || len(a.Psi) != len(theta) {
			return nil, fmt.Errorf("variant-B update: task %d does not match Θ", k)
		}
		for _, i := range net.TaskTensors(a.Head) {
			users[i] = append(users[i], k)
		}
	}
	out := make([]*tensor.Tensor[float32], len(theta))
	for i, th := range theta {
		if len(users[i]) == 0 {
			out[i] = th.Clone()
			continue
		}
		acc := make([]float64, th.Len())
		for _, k := range users[i] {
			p := adapted[k].Psi[i]
			if p.Len() != th.Len() {
				return nil, fmt.Errorf("variant-B update: task %d tensor %d has %d values, Θ %d", k, i, p.Len(), th.Len())
			}
			for j, v := range p.Data {
				acc[j] += float64(v) - float64(th.Data[j])
			}
		}
		c := beta / float64(len(users[i]))
		nt := th.Clone()
		for j := range nt.Data {
			nt.Data[j] = float32(float64(th.Data[j]) + c*acc[j])
		}
		out[i] = nt
	}
	return out, nil
}
