package search

import (
	"fmt"
	"math"

	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// ArchPoint is the state of the architecture parameters α at one point of
// a search, for its convergence curves:
//
//	H_e = -sum_o p_eo log p_eo / log J,   p_e = softmax(α_e)   (J ops)
//
// EntropyNormal and EntropyReduce are the means of H_e over the 14 edges of
// the normal and of the reduction cell: 1 for uniform weights, 0 for one-hot
// ones. MaxDelta is max |α - α_prev| over both cells since the previous
// point (0 at the first), and Genotype the genotype decoded from softmax(α)
// itself with the search's rule (the prior's architecture; the shipped
// derivation adapts α to tasks first, so its genotype may differ).
type ArchPoint struct {
	EntropyNormal, EntropyReduce float64
	MaxDelta                     float64
	Genotype                     string
}

// ArchStats computes the ArchPoint of theta, with prev the α logits of the
// previous point (nil at the first); it returns the current logits for the
// next call.
func ArchStats[T tensor.Float](net *SearchNet, theta []*tensor.Tensor[T], rule genotype.Rule, prev [2][][]float64) (ArchPoint, [2][][]float64, error) {
	n, r := ArchTables(net, theta)
	cur := [2][][]float64{n, r}
	p := ArchPoint{EntropyNormal: meanEntropy(n), EntropyReduce: meanEntropy(r)}
	if prev[0] != nil {
		for c := range cur {
			for e, row := range cur[c] {
				for o, v := range row {
					p.MaxDelta = math.Max(p.MaxDelta, math.Abs(v-prev[c][e][o]))
				}
			}
		}
	}
	g, err := genotype.Decode("alpha", genotype.Softmax(n), genotype.Softmax(r), net.cfg.Ops, rule)
	if err != nil {
		return ArchPoint{}, cur, err
	}
	p.Genotype = g.String()
	return p, cur, nil
}

// meanEntropy is the mean over rows of the normalised entropy of
// softmax(row).
func meanEntropy(logits [][]float64) float64 {
	if len(logits) == 0 {
		return 0
	}
	var sum float64
	for _, p := range genotype.Softmax(logits) {
		if len(p) < 2 {
			continue
		}
		var h float64
		for _, q := range p {
			if q > 0 {
				h -= q * math.Log(q)
			}
		}
		sum += h / math.Log(float64(len(p)))
	}
	return sum / float64(len(logits))
}

// Convergence is the criterion a search's convergence curves are judged by
// (docs/DECISIONS.md R24, R42): the network of the genotype decoded from α
// has not changed over the last StableShare of the search's iterations, and
// the mean normalised entropy of both cells has fallen below MaxEntropy (α
// has moved off uniform: a stable genotype of near-uniform α is no result).
type Convergence struct {
	StableShare float64
	MaxEntropy  float64
}

// DefaultConvergence is the criterion search records are judged by, chosen
// on the validation alphabets of search-tune-omniglot (docs/DECISIONS.md
// R42): stable over the last quarter, entropy below 0.98.
func DefaultConvergence() Convergence {
	return Convergence{StableShare: 0.25, MaxEntropy: 0.98}
}

// Rule states the criterion in words, for tables and records.
func (c Convergence) Rule() string {
	return fmt.Sprintf("the network of the genotype of softmax(alpha) unchanged over the last %.0f%% of the iterations (the order of a node's two edges does not count) and mean normalised entropy of both cells below %.2f (docs/DECISIONS.md R42)", 100*c.StableShare, c.MaxEntropy)
}

// Converged judges a curve of ArchPoints (in iteration order, iters[i] the
// iteration of point i): whether it converged, and from which iteration
// the genotype has stayed what it is at the end (the first iteration of
// the final run of genotypes that build the same network,
// genotype.SameArchitecture: a swap of which of a node's two edges is the
// stronger is no change; -1 for an empty curve).
func (c Convergence) Converged(iters []int, pts []ArchPoint) (ok bool, stableFrom int) {
	if len(pts) == 0 {
		return false, -1
	}
	last := pts[len(pts)-1]
	same := sameNetworkAs(last.Genotype)
	i := len(pts) - 1
	for i > 0 && same(pts[i-1].Genotype) {
		i--
	}
	stableFrom = iters[i]
	end := iters[len(iters)-1]
	stable := float64(end-stableFrom) >= c.StableShare*float64(end) && len(pts) > 1
	return stable && last.EntropyNormal < c.MaxEntropy && last.EntropyReduce < c.MaxEntropy, stableFrom
}

// sameNetworkAs returns a test of whether an ArchPoint genotype
// (genotype.String form) builds the same network as ref, which it parses
// once; a string that does not parse (none that ArchStats writes) equals
// only itself.
func sameNetworkAs(ref string) func(string) bool {
	gr, errRef := genotype.ParseString(ref)
	return func(s string) bool {
		if s == ref {
			return true
		}
		if errRef != nil {
			return false
		}
		g, err := genotype.ParseString(s)
		return err == nil && genotype.SameArchitecture(g, gr)
	}
}
