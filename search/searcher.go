package search

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/internal/parallel"
	"github.com/metabench/metabench/optim"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// Variants of the meta-update (SPEC 3.3, 3.4).
const (
	VariantExact      = "exact"       // A: unrolled optimisation embedding, second order
	VariantFD         = "fd"          // A': finite-difference HVP recursion
	VariantFirstOrder = "first-order" // A with dψ^T/dΘ = I
	VariantReptile    = "reptile"     // B: Θ <- Θ + β mean_k(ψ_k^T - Θ)
)

// Settings are the hyper-parameters of a search (SPEC 3, 5.3, 6).
type Settings struct {
	Variant    string     // exact, fd, first-order or reptile
	Relax      Relaxation // softmax or gumbel (soft by default)
	TauMax     float64    // τ at the first meta-iteration (1.0)
	TauMin     float64    // τ at the last (0.1)
	InnerSteps int        // T
	EtaW       float64    // η_W, inner step on weights
	EtaA       float64    // η_α, inner step on architecture logits
	MetaBatch  int        // K tasks per meta-iteration
	Iterations int        // E, for the temperature and β schedules (0: τ = TauMax, β = Beta)
	// Outer optimiser of variants A/A'/first-order: Adam on the weights
	// (MetaLR) and Adam on α (ArchLR, betas (ArchBeta1, 0.999), L2 decay
	// ArchWD); meta-gradients clipped element-wise to [-Clip, Clip] (0 = off).
	MetaLR, ArchLR, ArchBeta1, ArchWD, Clip float64
	// ArchSchedule is ArchLR's schedule over Iterations: "" or
	// ScheduleConstant, or ScheduleCosine (ArchLRAt).
	ArchSchedule string
	// Variant B: β linear from Beta to BetaFinal over Iterations.
	Beta, BetaFinal float64
	FDEps           float64 // finite-difference radius numerator (0 = 0.01)
	Workers         int     // tasks run in parallel (0 = GOMAXPROCS)
}

// DefaultSettings are SPEC's recommendations for the few-shot search
// (variant A with Gumbel-softmax; SPEC 5.3, 6.2, A5, A9).
func DefaultSettings() Settings {
	return Settings{Variant: VariantExact, Relax: Relaxation{Kind: RelaxGumbel}, TauMax: 1, TauMin: 0.1,
		InnerSteps: 5, EtaW: 0.01, EtaA: 0.01, MetaBatch: 4, Iterations: 10000,
		MetaLR: 1e-3, ArchLR: 3e-4, ArchBeta1: 0.5, ArchWD: 1e-3, Clip: 10, Beta: 1, BetaFinal: 0}
}

// Validate checks the settings.
func (s Settings) Validate() error {
	switch s.Variant {
	case VariantExact, VariantFD, VariantFirstOrder, VariantReptile:
	default:
		return fmt.Errorf("variant %q: want exact, fd, first-order or reptile", s.Variant)
	}
	if err := s.Relax.Validate(); err != nil {
		return err
	}
	switch {
	case s.Relax.Kind == RelaxGumbel && (s.TauMax <= 0 || s.TauMin <= 0 || s.TauMin > s.TauMax):
		return fmt.Errorf("temperature: tau_max %g, tau_min %g: want 0 < tau_min <= tau_max", s.TauMax, s.TauMin)
	case s.InnerSteps < 0:
		return fmt.Errorf("inner_steps %d: want at least 0", s.InnerSteps)
	case s.EtaW < 0 || s.EtaA < 0:
		return fmt.Errorf("inner step sizes %g, %g: want at least 0", s.EtaW, s.EtaA)
	case s.MetaBatch < 1:
		return fmt.Errorf("meta_batch %d: want at least 1", s.MetaBatch)
	case s.Variant != VariantReptile && (s.MetaLR <= 0 || s.ArchLR < 0):
		return fmt.Errorf("meta_lr %g / arch_lr %g: want meta_lr above 0 and arch_lr at least 0", s.MetaLR, s.ArchLR)
	case s.ArchBeta1 < 0 || s.ArchBeta1 >= 1:
		return fmt.Errorf("arch_beta1 %g: want [0, 1)", s.ArchBeta1)
	case s.Clip < 0:
		return fmt.Errorf("clip %g: want 0 (off) or above", s.Clip)
	case s.Variant == VariantReptile && (s.Beta <= 0 || s.BetaFinal < 0):
		return fmt.Errorf("reptile beta %g -> %g: want beta above 0", s.Beta, s.BetaFinal)
	case s.FDEps < 0:
		return fmt.Errorf("fd_eps %g: want 0 (default 0.01) or above", s.FDEps)
	case s.ArchSchedule != "" && s.ArchSchedule != ScheduleConstant && s.ArchSchedule != ScheduleCosine:
		return fmt.Errorf("arch_lr schedule %q: want %s or %s", s.ArchSchedule, ScheduleConstant, ScheduleCosine)
	case s.ArchSchedule == ScheduleCosine && s.Iterations <= 0:
		return fmt.Errorf("arch_lr schedule %s: needs the number of iterations", ScheduleCosine)
	}
	return nil
}

// The schedules of the architecture rate.
const (
	ScheduleConstant = "constant"
	ScheduleCosine   = "cosine"
)

// ArchLRAt is the rate of the outer Adam on α at meta-iteration iter: ArchLR
// throughout (constant), or cosine annealing without restarts (Loshchilov
// and Hutter's SGDR, the schedule DARTS uses for its weights)
//
//	ArchLR · (1 + cos(π·iter/Iterations)) / 2,
//
// ArchLR at iteration 0, falling to ArchLR·(1 + cos(π(E−1)/E))/2 ≈ 0 at the
// last one. Early iterations move α fast; late ones let it settle where the
// meta-gradient's mean, not its noise, puts it.
func (s Settings) ArchLRAt(iter int) float64 {
	if s.ArchSchedule != ScheduleCosine || s.Iterations <= 0 {
		return s.ArchLR
	}
	return s.ArchLR * (1 + math.Cos(math.Pi*float64(iter)/float64(s.Iterations))) / 2
}

// TaskFunc returns the support and query sets of task k of meta-iteration
// iter; it must be a pure function of (iter, k) and safe for concurrent use.
type TaskFunc func(iter, k int) (support, query Batch[float32], err error)

// Searcher runs BASE meta-iterations on a search network. All randomness of
// iteration iter, task k derives from (Seed, iter, k), so a run resumed from
// a checkpoint continues exactly as an uninterrupted one.
type Searcher struct {
	Net      *SearchNet
	Settings Settings
	Theta    []*tensor.Tensor[float32] // weights..., α_normal, α_reduce (updated in place)
	Seed     int64
	Tasks    TaskFunc
	optW     *optim.Adam[float32]
	optA     *optim.Adam[float32]
	work     *tensor.WorkPool // one workspace arena per concurrent task
}

// AdamState is the state of one outer Adam optimiser (for checkpoints).
type AdamState struct {
	Steps int
	M, V  [][]float32 // nil before the first step
}

// NewSearcher initialises Θ from the seed.
func NewSearcher(net *SearchNet, s Settings, seed int64, tasks TaskFunc) (*Searcher, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if tasks == nil {
		return nil, errors.New("searcher: no task source")
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x42415345))
	sr := &Searcher{Net: net, Settings: s, Theta: InitTheta[float32](net, rng), Seed: seed, Tasks: tasks, work: tensor.NewWorkPool()}
	sr.optW = optim.NewAdam[float32](s.MetaLR)
	sr.optA = optim.NewAdam[float32](s.ArchLR)
	sr.optA.Beta1, sr.optA.WeightDecay = s.ArchBeta1, s.ArchWD
	return sr, nil
}

func adamState(o *optim.Adam[float32]) AdamState {
	st := AdamState{Steps: o.Steps}
	for i := range o.M {
		st.M = append(st.M, append([]float32(nil), o.M[i].Data...))
		st.V = append(st.V, append([]float32(nil), o.V[i].Data...))
	}
	return st
}

func setAdamState(o *optim.Adam[float32], st AdamState, params []*tensor.Tensor[float32]) error {
	o.Steps, o.M, o.V = st.Steps, nil, nil
	if st.M == nil {
		return nil
	}
	if len(st.M) != len(params) || len(st.V) != len(params) {
		return errors.New("optimiser state does not match the network")
	}
	for i, p := range params {
		if len(st.M[i]) != p.Len() || len(st.V[i]) != p.Len() {
			return errors.New("optimiser state does not match the network")
		}
		o.M = append(o.M, tensor.FromSlice(append([]float32(nil), st.M[i]...), p.Shape...))
		o.V = append(o.V, tensor.FromSlice(append([]float32(nil), st.V[i]...), p.Shape...))
	}
	return nil
}

// OptState returns copies of the outer optimisers' state (for checkpoints):
// Adam on the weights and Adam on the architecture logits.
func (sr *Searcher) OptState() (w, a AdamState) { return adamState(sr.optW), adamState(sr.optA) }

// SetOptState restores the outer optimisers' state.
func (sr *Searcher) SetOptState(w, a AdamState) error {
	nW := len(sr.Net.layout.Specs)
	if err := setAdamState(sr.optW, w, sr.Theta[:nW]); err != nil {
		return err
	}
	return setAdamState(sr.optA, a, sr.Theta[nW:])
}

// Names are the names of Θ's tensors: the weights', then alpha_normal and
// alpha_reduce.
func (sr *Searcher) Names() []string {
	var out []string
	for _, s := range sr.Net.layout.Specs {
		out = append(out, s.Name)
	}
	return append(out, "alpha_normal", "alpha_reduce")
}

// Tau is the temperature of meta-iteration iter.
func (sr *Searcher) Tau(iter int) float64 {
	if sr.Settings.Relax.Kind == RelaxSoftmax {
		return 1
	}
	if sr.Settings.Iterations <= 0 {
		return sr.Settings.TauMax
	}
	return Temperature(iter, sr.Settings.Iterations, sr.Settings.TauMax, sr.Settings.TauMin)
}

// taskRand is the generator of task k of iteration iter (Gumbel noise).
func taskRand(seed int64, iter, k int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed)^0x9e3779b97f4a7c15*uint64(iter+1), uint64(k)+0x7461736b))
}

// IterStats summarises one meta-iteration.
type IterStats struct {
	Tau       float64
	QueryLoss float64 // mean over tasks, at ψ^T (variant B: last inner loss)
	QueryAcc  float64
}

func (sr *Searcher) eta() []float64 { return StepSizes(sr.Net, sr.Settings.EtaW, sr.Settings.EtaA) }

// Step runs meta-iteration iter and updates Θ.
func (sr *Searcher) Step(iter int) (IterStats, error) {
	s := sr.Settings
	tau := sr.Tau(iter)
	K := s.MetaBatch
	res := make([]*Unrolled[float32], K)
	accs := make([]float64, K)
	err := parallel.For(K, s.Workers, func(k int) error {
		sup, qry, err := sr.Tasks(iter, k)
		if err != nil {
			return fmt.Errorf("iteration %d task %d: %w", iter, k, err)
		}
		obj := NewTaskObjective(sr.Net, s.Relax, tau, sup, qry, s.InnerSteps, taskRand(sr.Seed, iter, k))
		var r *Unrolled[float32]
		if s.Variant == VariantReptile {
			psi, losses, err := Adapt(obj, sr.Theta, sr.eta(), s.InnerSteps, sr.work)
			if err != nil {
				return fmt.Errorf("iteration %d task %d: %w", iter, k, err)
			}
			r = &Unrolled[float32]{Adapted: psi, InnerLosses: losses}
			if len(losses) > 0 {
				r.QueryLoss = losses[len(losses)-1]
			}
		} else {
			r, err = MetaGrad(obj, sr.Theta, Unroll{Steps: s.InnerSteps, Eta: sr.eta(), Mode: GradMode(s.Variant), FDEps: s.FDEps, Work: sr.work})
			if err != nil {
				return fmt.Errorf("iteration %d task %d: %w", iter, k, err)
			}
		}
		if ql := obj.QueryLogits(); ql != nil { // MetaGrad's own pass at ψ^T
			accs[k] = accuracy(ql, obj.Query.Y)
		} else { // Reptile runs no query pass
			accs[k] = queryAccuracy(obj, r.Adapted, sr.work)
		}
		res[k] = r
		return nil
	})
	if err != nil {
		return IterStats{}, err
	}
	st := IterStats{Tau: tau}
	for k := range res {
		st.QueryLoss += res[k].QueryLoss / float64(K)
		st.QueryAcc += accs[k] / float64(K)
	}
	if s.Variant == VariantReptile {
		beta := s.Beta
		if s.Iterations > 1 {
			beta = s.Beta + (s.BetaFinal-s.Beta)*float64(iter)/float64(s.Iterations-1)
		}
		adapted := make([][]*tensor.Tensor[float32], K)
		for k := range res {
			adapted[k] = res[k].Adapted
		}
		nt, err := ReptileUpdate(sr.Theta, adapted, beta)
		if err != nil {
			return st, err
		}
		for i := range sr.Theta {
			copy(sr.Theta[i].Data, nt[i].Data)
		}
		return st, nil
	}
	mean := make([]*tensor.Tensor[float32], len(sr.Theta))
	for i, p := range sr.Theta {
		mean[i] = tensor.New[float32](p.Shape...)
	}
	for _, r := range res { // task order: deterministic
		for i, g := range r.Grad {
			for j, v := range g.Data {
				mean[i].Data[j] += v / float32(K)
			}
		}
	}
	for _, m := range mean {
		for _, v := range m.Data {
			if math.IsNaN(float64(v)) {
				return st, fmt.Errorf("iteration %d: meta-gradient is NaN", iter)
			}
		}
	}
	if s.Clip > 0 {
		optim.ClipByValue(mean, -float32(s.Clip), float32(s.Clip))
	}
	nW := len(sr.Net.layout.Specs)
	sr.optW.Step(sr.Theta[:nW], mean[:nW])
	if s.ArchLR > 0 {
		sr.optA.LR = s.ArchLRAt(iter)
		sr.optA.Step(sr.Theta[nW:], mean[nW:])
	}
	return st, nil
}

// queryAccuracy is the query accuracy of the adapted ψ (no gradient).
func queryAccuracy(obj *TaskObjective[float32], psi []*tensor.Tensor[float32], work *tensor.WorkPool) float64 {
	tp, done := ad.NewScopedTape[float32](work)
	defer done()
	return accuracy(obj.Logits(tp, constVars(tp, psi), obj.Query.X, obj.QueryNoise).Value(), obj.Query.Y)
}

// accuracy is the share of rows of logits whose first largest entry is the
// label.
func accuracy(logits *tensor.Tensor[float32], labels []int) float64 {
	K := logits.Shape[1]
	hit := 0
	for i, y := range labels {
		row := logits.Data[i*K : (i+1)*K]
		best := 0
		for j := range row {
			if row[j] > row[best] {
				best = j
			}
		}
		if best == y {
			hit++
		}
	}
	return float64(hit) / float64(len(labels))
}

// Derived is the architecture decoded after a search.
type Derived struct {
	Genotype *genotype.Genotype
	Normal   [][]float64 // the decoded probability tables (14 x J)
	Reduce   [][]float64
	Tasks    int // adapted tasks averaged (0: the prior's α)
}

// Derive decodes Θ into a genotype: with tasks > 0, the average over that
// many tasks (task(i), adapted with T inner steps at temperature tau) of
// softmax(α^T) (SPEC 4.1, A16); with tasks == 0, softmax of the prior's α.
func (sr *Searcher) Derive(name string, rule genotype.Rule, tasks int, tau float64, task func(i int) (Batch[float32], error)) (*Derived, error) {
	s := sr.Settings
	var normals, reduces [][][]float64
	if tasks == 0 {
		n, r := ArchTables(sr.Net, sr.Theta)
		normals, reduces = [][][]float64{n}, [][][]float64{r}
	} else {
		normals = make([][][]float64, tasks)
		reduces = make([][][]float64, tasks)
		err := parallel.For(tasks, s.Workers, func(i int) error {
			sup, err := task(i)
			if err != nil {
				return fmt.Errorf("derivation task %d: %w", i, err)
			}
			obj := NewTaskObjective(sr.Net, s.Relax, tau, sup, sup, s.InnerSteps, taskRand(sr.Seed, -1, i))
			psi, _, err := Adapt(obj, sr.Theta, sr.eta(), s.InnerSteps, sr.work)
			if err != nil {
				return fmt.Errorf("derivation task %d: %w", i, err)
			}
			normals[i], reduces[i] = ArchTables(sr.Net, psi)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	pn, err := genotype.Average(normals)
	if err != nil {
		return nil, err
	}
	pr, err := genotype.Average(reduces)
	if err != nil {
		return nil, err
	}
	g, err := genotype.Decode(name, pn, pr, sr.Net.cfg.Ops, rule)
	if err != nil {
		return nil, err
	}
	return &Derived{Genotype: g, Normal: pn, Reduce: pr, Tasks: tasks}, nil
}
