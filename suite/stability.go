package suite

import (
	"fmt"
	"strings"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search/genotype"
)

// Slot is one selected edge of a derived cell (node 2..5, its first or
// second input) and what each search seed chose for it.
type Slot struct {
	Cell    string   // normal or reduce
	Node, K int      // intermediate node (2..5) and which of its two edges
	Choices []string // "op:input" per seed, in the Stability's seed order
	// Share is the fraction of seeds that chose the most common op:input,
	// OpShare the same for the operation alone (any input).
	Share, OpShare float64
}

// Stability is how a search unit's derived genotypes agree across seeds:
// per slot and, averaged over the 16 slots, Share and OpShare. One seed
// agrees with itself (1); seeds choosing independently and uniformly among
// the 7 operations would give an OpShare near 1/7 per slot plus chance
// ties.
type Stability struct {
	Unit           string
	Seeds          []int64
	Slots          []Slot
	Share, OpShare float64
	Identical      bool // every seed derived the same genotype
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
			gs, seeds = append(gs, g), append(seeds, r.Seeds[i])
		}
		if len(gs) == 0 {
			continue
		}
		st := Stability{Unit: r.Unit, Seeds: seeds, Identical: true}
		for _, g := range gs[1:] {
			st.Identical = st.Identical && genotype.Equal(gs[0], g)
		}
		for _, cell := range []string{"normal", "reduce"} {
			for e := 0; e < 2*genotype.Steps; e++ {
				sl := Slot{Cell: cell, Node: 2 + e/2, K: e % 2}
				var ops []string
				for _, g := range gs {
					edges := g.Normal
					if cell == "reduce" {
						edges = g.Reduce
					}
					sl.Choices = append(sl.Choices, fmt.Sprintf("%s:%d", edges[e].Op, edges[e].Input))
					ops = append(ops, edges[e].Op)
				}
				sl.Share, sl.OpShare = modalShare(sl.Choices), modalShare(ops)
				st.Slots = append(st.Slots, sl)
				st.Share += sl.Share / float64(4*genotype.Steps)
				st.OpShare += sl.OpShare / float64(4*genotype.Steps)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// modalShare is the fraction of xs equal to the most common value.
func modalShare(xs []string) float64 {
	count, best := map[string]int{}, 0
	for _, x := range xs {
		count[x]++
		best = max(best, count[x])
	}
	return float64(best) / float64(len(xs))
}

// StabilityTable renders one Stability: a row per slot with each seed's
// choice and the agreement.
func StabilityTable(st Stability) *reports.Table {
	t := &reports.Table{Title: fmt.Sprintf("derived genotypes of %s across seeds", st.Unit)}
	t.Header = []string{"cell", "node", "edge"}
	for _, sd := range st.Seeds {
		t.Header = append(t.Header, fmt.Sprintf("seed %d", sd))
	}
	t.Header = append(t.Header, "same op:input", "same op")
	for _, sl := range st.Slots {
		row := []string{sl.Cell, fmt.Sprint(sl.Node), fmt.Sprint(sl.K)}
		row = append(row, sl.Choices...)
		t.Rows = append(t.Rows, append(row, fmt.Sprintf("%.0f%%", 100*sl.Share), fmt.Sprintf("%.0f%%", 100*sl.OpShare)))
	}
	same := "no"
	if st.Identical {
		same = "yes"
	}
	t.Notes = append(t.Notes, fmt.Sprintf("mean over the %d edges: %.0f%% of seeds agree with the most common op:input, %.0f%% with the most common op; identical genotypes: %s (seeds %s)",
		len(st.Slots), 100*st.Share, 100*st.OpShare, same, strings.Trim(fmt.Sprint(st.Seeds), "[]")))
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
