package suite

import (
	"fmt"
	"strings"

	"github.com/metabench/metabench/reports"
)

// Pair is the comparison of one row of a suite between a baseline run and
// a candidate run: the per-episode accuracies of every seed both ran, paired
// episode by episode (the episodes are fixed by the evaluation seed).
type Pair struct {
	Unit, Step string
	Seeds      int
	Comparison *reports.Comparison // nil when Missing or Mismatch is set
	Missing    string              // why there is nothing to compare
	Mismatch   []string            // protocol differences (not comparable)
}

// ComparePairs pairs every candidate row with the baseline's same row.
func ComparePairs(base, cand []*Row, opt reports.CompareOptions) []Pair {
	byKey := map[string]*Row{}
	for _, r := range base {
		byKey[r.Unit+"\x00"+r.Step] = r
	}
	var out []Pair
	for _, c := range cand {
		b := byKey[c.Unit+"\x00"+c.Step]
		if b == nil {
			out = append(out, Pair{Unit: c.Unit, Step: c.Step, Missing: "no baseline record"})
			continue
		}
		out = append(out, pairRows(b, c, opt, reports.ProtocolDiff))
	}
	return out
}

// pairRows is the paired comparison of row c against row b over the seeds
// both ran: each seed's per-episode accuracies, episode by episode; seeds
// whose records differ by diff are not comparable.
func pairRows(b, c *Row, opt reports.CompareOptions, diff func(a, b *reports.Record) []string) Pair {
	p := Pair{Unit: c.Unit, Step: c.Step}
	var bx, cx []float64
	for i, sd := range c.Seeds {
		j := -1
		for k, s := range b.Seeds {
			if s == sd {
				j = k
			}
		}
		if j < 0 {
			continue
		}
		if d := diff(b.Records[j], c.Records[i]); len(d) > 0 {
			p.Mismatch = append(p.Mismatch, d...)
			continue
		}
		bx = append(bx, b.Records[j].Episodes...)
		cx = append(cx, c.Records[i].Episodes...)
		p.Seeds++
	}
	switch {
	case len(p.Mismatch) > 0:
	case p.Seeds == 0:
		p.Missing = "no seed in common with the baseline"
	default:
		cmp, err := reports.ComparePaired(bx, cx, opt)
		if err != nil {
			p.Missing = err.Error()
		} else {
			p.Comparison = cmp
		}
	}
	return p
}

// Against pairs every row of the units other than ref with ref's row on
// the same test episodes (reports.EpisodeDiff: its run or one of its extra
// evaluations; the methods' own inner steps and rates may differ), seed by
// seed and episode by episode, as a paper's table compares each method with
// its baseline. Rows without such a row in ref
// get a Pair with Missing set; ref's own rows and rows without episodes (a
// search) get none. No ref: nil.
func Against(rows []*Row, ref string, opt reports.CompareOptions) map[*Row]Pair {
	if ref == "" {
		return nil
	}
	out := map[*Row]Pair{}
	for _, c := range rows {
		if c.Unit == ref || len(c.Records) == 0 || len(c.Records[0].Episodes) == 0 {
			continue // the reference itself; a search, which scores no episodes
		}
		var b *Row
		for _, r := range rows {
			if r.Unit == ref && len(r.Records) > 0 && len(reports.EpisodeDiff(r.Records[0], c.Records[0])) == 0 {
				b = r
				break
			}
		}
		if b == nil {
			out[c] = Pair{Unit: c.Unit, Step: c.Step, Missing: "no row of " + ref + " on these episodes"}
			continue
		}
		out[c] = pairRows(b, c, opt, reports.EpisodeDiff)
	}
	return out
}

// Verdict is the exit status of a nightly comparison: 2 when a row's
// protocols differ, else 1 when a row regressed, else 0.
func Verdict(pairs []Pair) int {
	code := 0
	for _, p := range pairs {
		if len(p.Mismatch) > 0 {
			return 2
		}
		if p.Comparison != nil && p.Comparison.Regression() {
			code = 1
		}
	}
	return code
}

// Markdown is the nightly summary: one line per row with the baseline, the
// candidate, the paired difference with its CI and the verdict.
func Markdown(name, baseline, candidate string, pairs []Pair) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Suite %s: %s against baseline %s\n\n", name, candidate, baseline)
	b.WriteString("| unit | step | seeds | baseline % | candidate % | difference (points, 95% CI) | p | verdict |\n|---|---|---|---|---|---|---|---|\n")
	for _, p := range pairs {
		switch {
		case len(p.Mismatch) > 0:
			fmt.Fprintf(&b, "| %s | %s | - | - | - | - | - | not comparable: %s |\n", p.Unit, p.Step, strings.Join(p.Mismatch, ", "))
		case p.Comparison == nil:
			fmt.Fprintf(&b, "| %s | %s | - | - | - | - | - | %s |\n", p.Unit, p.Step, p.Missing)
		default:
			c := p.Comparison
			fmt.Fprintf(&b, "| %s | %s | %d | %.2f | %.2f | %+.2f [%+.2f, %+.2f] | %.3g | %s |\n", p.Unit, p.Step, p.Seeds,
				100*c.BaselineMean, 100*c.CandidateMean, 100*c.Diff, 100*c.Lo, 100*c.Hi, c.P, c.Verdict)
		}
	}
	switch Verdict(pairs) {
	case 2:
		b.WriteString("\nResult: protocols differ; the runs are not comparable (exit 2).\n")
	case 1:
		b.WriteString("\nResult: significant regression larger than the margin (exit 1).\n")
	default:
		b.WriteString("\nResult: no significant regression larger than the margin.\n")
	}
	return b.String()
}
