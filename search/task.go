package search

import (
	"fmt"
	"math/rand/v2"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// Batch is a set of images [N, C, H, W] with their labels.
type Batch[T tensor.Float] struct {
	X *tensor.Tensor[T]
	Y []int
}

// TaskObjective is one few-shot task of the search network as an Objective:
// ψ = (the network weights in Layout order, α_normal, α_reduce). Inner step t
// uses the support set and the Gumbel noise drawn for step t; the query loss
// uses the query set and its own fresh noise (SPEC A15). One noise matrix per
// cell type per forward pass, shared by every cell of that type and every
// image of the batch.
type TaskObjective[T tensor.Float] struct {
	Net        *SearchNet
	Relax      Relaxation
	Tau        float64
	Support    Batch[T]
	Query      Batch[T]
	Noise      [][2]*tensor.Tensor[T] // [step] {normal, reduce}
	QueryNoise [2]*tensor.Tensor[T]
	Work       *tensor.Workspace
	// queryLogits keeps a copy of the logits of the latest query-loss pass
	// (see QueryLogits).
	queryLogits *tensor.Tensor[T]
}

// QueryLogits returns a copy of the query logits of the latest Loss(·, ψ,
// QueryStep) on this objective, nil before the first: after MetaGrad, the
// logits at ψ^T, so that the query accuracy needs no second forward pass.
func (o *TaskObjective[T]) QueryLogits() *tensor.Tensor[T] { return o.queryLogits }

// NewTaskObjective draws the Gumbel noise of `steps` inner steps and of the
// query evaluation from rng (nothing is drawn for the softmax relaxation).
func NewTaskObjective[T tensor.Float](net *SearchNet, r Relaxation, tau float64, support, query Batch[T], steps int, rng *rand.Rand) *TaskObjective[T] {
	o := &TaskObjective[T]{Net: net, Relax: r, Tau: tau, Support: support, Query: query}
	if r.Kind == RelaxGumbel {
		J := net.NumOps()
		draw := func() [2]*tensor.Tensor[T] {
			return [2]*tensor.Tensor[T]{GumbelNoise[T](rng, genotype.NumEdges, J), GumbelNoise[T](rng, genotype.NumEdges, J)}
		}
		for t := 0; t < steps; t++ {
			o.Noise = append(o.Noise, draw())
		}
		o.QueryNoise = draw()
	} else {
		o.Noise = make([][2]*tensor.Tensor[T], steps)
	}
	return o
}

// Logits runs the network at ψ on x with the noise pair g.
func (o *TaskObjective[T]) Logits(tp *ad.Tape[T], psi []*ad.Var[T], x *tensor.Tensor[T], g [2]*tensor.Tensor[T]) *ad.Var[T] {
	nW := len(o.Net.layout.Specs)
	if len(psi) != nW+2 {
		panic(fmt.Sprintf("search: TaskObjective: %d tensors, want %d weights + 2 architecture logits", len(psi), nW))
	}
	zn := Relax(psi[nW], o.Relax, g[0], o.Tau)
	zr := Relax(psi[nW+1], o.Relax, g[1], o.Tau)
	return SearchForward(o.Net, tp, psi[:nW], tp.Const(x), zn, zr, o.Work)
}

// Loss implements Objective: mean cross-entropy on the support set (t >= 0)
// or the query set (t == QueryStep).
func (o *TaskObjective[T]) Loss(tp *ad.Tape[T], psi []*ad.Var[T], t int) *ad.Var[T] {
	if t == QueryStep {
		logits := o.Logits(tp, psi, o.Query.X, o.QueryNoise)
		o.queryLogits = tensor.Clone(logits.Value()) // out of the tape's arena
		return ad.CrossEntropy(logits, o.Query.Y)
	}
	if t < 0 || t >= len(o.Noise) {
		panic(fmt.Sprintf("search: TaskObjective: inner step %d of %d", t, len(o.Noise)))
	}
	return ad.CrossEntropy(o.Logits(tp, psi, o.Support.X, o.Noise[t]), o.Support.Y)
}

// InitArch draws architecture logits 1e-3 * N(0, 1) for one cell type.
func InitArch[T tensor.Float](rng *rand.Rand, numOps int) *tensor.Tensor[T] {
	a := tensor.New[T](genotype.NumEdges, numOps)
	for i := range a.Data {
		a.Data[i] = T(1e-3 * rng.NormFloat64())
	}
	return a
}

// InitTheta draws the meta-network Θ: the network weights (PyTorch default
// initialisation) followed by α_normal and α_reduce.
func InitTheta[T tensor.Float](net *SearchNet, rng *rand.Rand) []*tensor.Tensor[T] {
	th := NewParams[T](net.layout, rng)
	return append(th, InitArch[T](rng, net.NumOps()), InitArch[T](rng, net.NumOps()))
}

// StepSizes returns η per tensor of Θ: etaW for the weights, etaA for the two
// architecture-logit matrices.
func StepSizes(net *SearchNet, etaW, etaA float64) []float64 {
	n := len(net.layout.Specs)
	eta := make([]float64, n+2)
	for k := 0; k < n; k++ {
		eta[k] = etaW
	}
	eta[n], eta[n+1] = etaA, etaA
	return eta
}

// ArchTables returns α_normal and α_reduce of a Θ or ψ as float64 tables.
func ArchTables[T tensor.Float](net *SearchNet, psi []*tensor.Tensor[T]) (normal, reduce [][]float64) {
	n := len(net.layout.Specs)
	conv := func(t *tensor.Tensor[T]) [][]float64 {
		J := t.Shape[1]
		out := make([][]float64, t.Shape[0])
		for e := range out {
			out[e] = make([]float64, J)
			for o := range out[e] {
				out[e][o] = float64(t.Data[e*J+o])
			}
		}
		return out
	}
	return conv(psi[n]), conv(psi[n+1])
}

// constVars wraps values as constants of tp (evaluation).
func constVars[T tensor.Float](tp *ad.Tape[T], vals []*tensor.Tensor[T]) []*ad.Var[T] {
	vs := make([]*ad.Var[T], len(vals))
	for i, v := range vals {
		vs[i] = tp.Const(v)
	}
	return vs
}
