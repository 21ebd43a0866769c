package suite

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"

	"github.com/metabench/metabench/reports"
)

// Nightly checks every row of cand against the rows of the baselines: base
// holds one row set per baseline label, the first being the one that
// reproduction is checked against; the regression test pools the seeds of
// every label, counting a run that two labels hold (same seed, same bits)
// once. The regression tests of all rows are one family (Holm).
func Nightly(base [][]*Row, cand []*Row, opt reports.NightlyOptions) []reports.NightlyCheck {
	var out []reports.NightlyCheck
	var family []*reports.Regression
	for _, c := range cand {
		if len(c.Records) == 0 || len(c.Records[0].Episodes) == 0 {
			continue // a search or a tuning run (no test): nothing scored on test episodes
		}
		ck := reports.NightlyCheck{Unit: c.Unit, Step: c.Step, Method: c.Method, Seeds: len(c.Seeds)}
		var rows []*Row
		var first *Row // the first label's row: reproduction is checked against it
		for l, set := range base {
			if i := slices.IndexFunc(set, func(r *Row) bool { return r.Unit == c.Unit && r.Step == c.Step && r.Method == c.Method }); i >= 0 {
				rows = append(rows, set[i])
				if l == 0 {
					first = set[i]
				}
			}
		}
		if len(rows) == 0 {
			ck.Problem = "no baseline record of this unit and step"
			out = append(out, ck)
			continue
		}
		if d := mismatches(rows, c); len(d) > 0 {
			ck.Problem = "protocols differ: " + strings.Join(d, ", ")
			out = append(out, ck)
			continue
		}
		if first != nil {
			for i, sd := range c.Seeds {
				if j := slices.Index(first.Seeds, sd); j >= 0 {
					ck.Repro = append(ck.Repro, reports.Reproduce(reports.Run{Seed: sd, Episodes: first.Records[j].Episodes},
						reports.Run{Seed: sd, Episodes: c.Records[i].Episodes}))
				}
			}
		}
		pooled := map[string]bool{}
		var baseMeans []float64
		for _, r := range rows {
			for _, run := range r.Runs() {
				if k := runKey(run); !pooled[k] {
					pooled[k] = true
					baseMeans = append(baseMeans, run.Mean())
				}
			}
		}
		// a candidate run identical to a baseline run is that run again: it
		// adds nothing to the candidate's sample
		var candMeans []float64
		for _, run := range c.Runs() {
			if !pooled[runKey(run)] {
				candMeans = append(candMeans, run.Mean())
			}
		}
		ck.Reproduced = len(candMeans) == 0
		if !ck.Reproduced {
			reg, err := reports.TestRegression(baseMeans, candMeans, opt.Margin, opt.Alpha)
			if err != nil {
				ck.Problem = err.Error()
			} else {
				ck.Regression = reg
				family = append(family, reg)
			}
		}
		out = append(out, ck)
	}
	reports.AdjustRegressions(family)
	return out
}

// mismatches lists the protocol differences between c's records and the
// baseline rows' records.
func mismatches(rows []*Row, c *Row) []string {
	var out []string
	for _, r := range rows {
		for _, b := range r.Records {
			for _, d := range reports.ProtocolDiff(b, c.Records[0]) {
				if !slices.Contains(out, d) {
					out = append(out, d)
				}
			}
		}
	}
	return out
}

// runKey identifies a training run by its seed and the bits of its results.
func runKey(r reports.Run) string {
	h := fnv.New64a()
	var b [8]byte
	for _, x := range r.Episodes {
		u := math.Float64bits(x)
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		h.Write(b[:])
	}
	return fmt.Sprintf("%d/%d/%x", r.Seed, len(r.Episodes), h.Sum64())
}
