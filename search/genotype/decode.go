package genotype

import (
	"fmt"
	"math"
	"sort"
)

// Rule names a decoding rule (see the package documentation).
type Rule string

// The decoding rules.
const (
	RuleBASE  Rule = "base"  // top-2 (predecessor, op) pairs; may share a predecessor
	RuleDARTS Rule = "darts" // top-2 distinct edges, then the argmax op on each
)

// ParseRule validates a rule name.
func ParseRule(s string) (Rule, error) {
	switch Rule(s) {
	case RuleBASE, RuleDARTS:
		return Rule(s), nil
	}
	return "", fmt.Errorf("unknown decoding rule %q (want base or darts)", s)
}

func checkTable(p [][]float64) error {
	if len(p) != NumEdges {
		return fmt.Errorf("probability table has %d rows, want %d edges", len(p), NumEdges)
	}
	for e, row := range p {
		if len(row) < 2 {
			return fmt.Errorf("probability table row %d has %d columns, want at least 2 (none and one op)", e, len(row))
		}
		if len(row) != len(p[0]) {
			return fmt.Errorf("probability table row %d has %d columns, row 0 has %d", e, len(row), len(p[0]))
		}
		for _, v := range row {
			if math.IsNaN(v) {
				return fmt.Errorf("probability table row %d holds NaN", e)
			}
		}
	}
	return nil
}

// DecodeCell turns one cell type's 14 x J probability table (columns in
// opNames order, column 0 = none) into eight edges with the given rule.
func DecodeCell(p [][]float64, opNames []string, rule Rule) ([]Edge, error) {
	if err := checkTable(p); err != nil {
		return nil, err
	}
	if len(opNames) != len(p[0]) {
		return nil, fmt.Errorf("probability table has %d columns for %d op names", len(p[0]), len(opNames))
	}
	var out []Edge
	for i := 2; i < 2+Steps; i++ {
		type cand struct {
			j, o  int
			score float64
		}
		var cands []cand
		switch rule {
		case RuleBASE:
			for j := 0; j < i; j++ {
				for o := 1; o < len(opNames); o++ {
					cands = append(cands, cand{j, o, p[EdgeIndex(i, j)][o]})
				}
			}
		case RuleDARTS:
			for j := 0; j < i; j++ {
				row := p[EdgeIndex(i, j)]
				best := 1
				for o := 2; o < len(row); o++ {
					if row[o] > row[best] {
						best = o
					}
				}
				cands = append(cands, cand{j, best, row[best]})
			}
		default:
			return nil, fmt.Errorf("unknown decoding rule %q", rule)
		}
		sort.SliceStable(cands, func(a, b int) bool {
			ca, cb := cands[a], cands[b]
			if ca.score != cb.score {
				return ca.score > cb.score
			}
			if ca.j != cb.j {
				return ca.j < cb.j
			}
			return ca.o < cb.o
		})
		for _, c := range cands[:2] {
			out = append(out, Edge{Op: opNames[c.o], Input: c.j})
		}
	}
	return out, nil
}

// Decode builds a genotype from the normal and reduction probability tables.
func Decode(name string, normal, reduce [][]float64, opNames []string, rule Rule) (*Genotype, error) {
	n, err := DecodeCell(normal, opNames, rule)
	if err != nil {
		return nil, fmt.Errorf("decode normal cell: %w", err)
	}
	r, err := DecodeCell(reduce, opNames, rule)
	if err != nil {
		return nil, fmt.Errorf("decode reduction cell: %w", err)
	}
	return &Genotype{Name: name, Normal: n, NormalConcat: concat(), Reduce: r, ReduceConcat: concat()}, nil
}

// Softmax returns the row-wise softmax of a logit table (max-subtraction).
func Softmax(logits [][]float64) [][]float64 {
	out := make([][]float64, len(logits))
	for e, row := range logits {
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, v)
		}
		s := 0.0
		r := make([]float64, len(row))
		for o, v := range row {
			r[o] = math.Exp(v - m)
			s += r[o]
		}
		for o := range r {
			r[o] /= s
		}
		out[e] = r
	}
	return out
}

// Average returns the mean over tasks of the row-wise softmax of each task's
// adapted logits: P̄_e = (1/N) sum_n softmax(alpha_e^(n)).
func Average(alphas [][][]float64) ([][]float64, error) {
	if len(alphas) == 0 {
		return nil, fmt.Errorf("average architecture distribution: no tasks")
	}
	var acc [][]float64
	for n, a := range alphas {
		if len(a) == 0 || (acc != nil && (len(a) != len(acc) || len(a[0]) != len(acc[0]))) {
			return nil, fmt.Errorf("average architecture distribution: task %d has a %dx? table, task 0 %dx%d", n, len(a), len(alphas[0]), len(alphas[0][0]))
		}
		p := Softmax(a)
		if acc == nil {
			acc = p
			continue
		}
		for e := range p {
			for o := range p[e] {
				acc[e][o] += p[e][o]
			}
		}
	}
	for e := range acc {
		for o := range acc[e] {
			acc[e][o] /= float64(len(alphas))
		}
	}
	return acc, nil
}
