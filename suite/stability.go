package suite

import (
	"fmt"
	"strings"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search/genotype"
)

// Slot is one intermediate node of a derived cell (2..5) and the two edges
// each search seed chose for it. A node sums its two edges, so a seed's
// choice is the unordered pair (shown in input order, genotype.Canonical),
// and agreement is counted on pairs, not on the position the decoding rule
// listed an edge at (it lists them by strength).
type Slot struct {
	Cell    string   // normal or reduce
	Node    int      // intermediate node, 2..5
	Choices []string // "op:input + op:input" per seed, in the Stability's seed order
	// Share is the share of the node's edges that two seeds have in common
	// (op and input), averaged over the pairs of seeds; OpShare the same for
	// the operations alone (any input).
	Share, OpShare float64
}

// Stability is how a search unit's derived genotypes agree across seeds:
// per node and, averaged over the 8 nodes (the 16 edges), Share and OpShare,
// pairwise between seeds so that the number of seeds does not move them.
// One seed agrees with itself (1); two seeds drawing each node's two ops
// independently and uniformly from the 7 would share about 2/7 of them.
type Stability struct {
	Unit           string
	Seeds          []int64
	Slots          []Slot
	Share, OpShare float64
	Identical      bool // every seed derived the same network (genotype.SameArchitecture)
}

// GenotypeStability summarises the search rows (records of kind search
// with a genotype) of a suite's table, one Stability per unit.
func GenotypeStability(rows []*Row) ([]Stability, error) {
	var out []Stability
	for _, r := range rows {
		var gs []*genotype.Genotype
		var seeds []int64
		for i, rec := range r.Records {
			s, ok := rec.Extra["genotype"].(string)
			if rec.Kind != "search" || !ok {
				continue
			}
			g, err := genotype.ParseString(s)
			if err != nil {
				return nil, fmt.Errorf("unit %s seed %d: %w", r.Unit, r.Seeds[i], err)
			}
			gs, seeds = append(gs, g.Canonical()), append(seeds, r.Seeds[i])
		}
		if len(gs) == 0 {
			continue
		}
		st := Stability{Unit: r.Unit, Seeds: seeds, Identical: true}
		for _, g := range gs[1:] {
			st.Identical = st.Identical && genotype.Equal(gs[0], g) // canonical forms: the same network
		}
		for _, cell := range []string{"normal", "reduce"} {
			for node := 0; node < genotype.Steps; node++ {
				sl := Slot{Cell: cell, Node: 2 + node}
				var pairs, ops [][2]string
				for _, g := range gs {
					edges := g.Normal
					if cell == "reduce" {
						edges = g.Reduce
					}
					a, b := edges[2*node], edges[2*node+1]
					p := [2]string{fmt.Sprintf("%s:%d", a.Op, a.Input), fmt.Sprintf("%s:%d", b.Op, b.Input)}
					sl.Choices = append(sl.Choices, p[0]+" + "+p[1])
					pairs, ops = append(pairs, p), append(ops, [2]string{a.Op, b.Op})
				}
				sl.Share, sl.OpShare = pairShare(pairs), pairShare(ops)
				st.Slots = append(st.Slots, sl)
				st.Share += sl.Share / float64(2*genotype.Steps)
				st.OpShare += sl.OpShare / float64(2*genotype.Steps)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// pairShare is the mean, over the pairs of seeds, of the share of a node's
// two edges that the two seeds have in common (multiset intersection of
// their unordered pairs, /2): 1 for identical choices, 0 for disjoint ones;
// one seed agrees with itself (1).
func pairShare(ps [][2]string) float64 {
	if len(ps) < 2 {
		return 1
	}
	sum, n := 0, 0
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			sum += pairOverlap(ps[i], ps[j])
			n++
		}
	}
	return float64(sum) / float64(2*n)
}

// pairOverlap is the size of the multiset intersection of two pairs.
func pairOverlap(m, p [2]string) int {
	switch {
	case m[0] == p[0] && m[1] == p[1], m[0] == p[1] && m[1] == p[0]:
		return 2
	case m[0] == p[0] || m[0] == p[1] || m[1] == p[0] || m[1] == p[1]:
		return 1
	}
	return 0
}

// StabilityTable renders one Stability: a row per node with each seed's
// pair of edges and the agreement.
func StabilityTable(st Stability) *reports.Table {
	t := &reports.Table{Title: fmt.Sprintf("derived genotypes of %s across seeds", st.Unit)}
	t.Header = []string{"cell", "node"}
	for _, sd := range st.Seeds {
		t.Header = append(t.Header, fmt.Sprintf("seed %d", sd))
	}
	t.Header = append(t.Header, "same op:input", "same op")
	for _, sl := range st.Slots {
		row := []string{sl.Cell, fmt.Sprint(sl.Node)}
		row = append(row, sl.Choices...)
		t.Rows = append(t.Rows, append(row, fmt.Sprintf("%.0f%%", 100*sl.Share), fmt.Sprintf("%.0f%%", 100*sl.OpShare)))
	}
	same := "no"
	if st.Identical {
		same = "yes"
	}
	t.Notes = append(t.Notes, fmt.Sprintf("mean over the %d edges: two seeds have %.0f%% of their edges in common (op and input), %.0f%% of their ops (any input), averaged over the pairs of seeds; a node's two edges are an unordered pair; identical networks: %s (seeds %s)",
		2*len(st.Slots), 100*st.Share, 100*st.OpShare, same, strings.Trim(fmt.Sprint(st.Seeds), "[]")))
	return t
}

// ArchSeries are the convergence curves of the search rows' records, one
// per seed, named "unit seed N" (records without curves are left out).
func ArchSeries(rows []*Row) ([]reports.ArchSeries, error) {
	var out []reports.ArchSeries
	for _, r := range rows {
		for i, rec := range r.Records {
			if rec.Kind != "search" {
				continue
			}
			pts, err := reports.ArchCurve(rec)
			if err != nil {
				return nil, err
			}
			if len(pts) > 0 {
				out = append(out, reports.ArchSeries{Name: fmt.Sprintf("%s seed %d", r.Unit, r.Seeds[i]), Points: pts})
			}
		}
	}
	return out, nil
}
