package suite

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"

	"github.com/metabench/metabench/reports"
)

// NightlyOptions set the nightly check: the margin (a fraction: 0.01 is
// one point) a drop must exceed, the level of the one-sided test, and
// whether any episode that does not reproduce fails the night.
type NightlyOptions struct {
	Margin, Alpha    float64
	RequireIdentical bool
}

// DefaultNightlyOptions is a one-point margin at the 5% level.
func DefaultNightlyOptions() NightlyOptions { return NightlyOptions{Margin: 0.01, Alpha: 0.05} }

// Check is the nightly check of one row (unit and step) of a candidate run
// against its baseline: (a) whether each seed reproduced the baseline's run
// of that seed bit for bit, and (b) the seed-level regression test
// (reports.TestRegression) of the candidate's seeds against the baseline's,
// pooled over the baseline's labels. Problem says why the row cannot be
// checked (no comparable baseline, protocols differ, too few seeds).
type Check struct {
	Unit, Step, Method string
	// Repro holds, per candidate seed that the first baseline label ran,
	// the episode-by-episode comparison.
	Repro []reports.Reproduction
	// Reproduced: every candidate seed reproduced a baseline run exactly,
	// so there is nothing to test (the results did not move).
	Reproduced bool
	Regression *reports.Regression
	Problem    string
	Seeds      int // the candidate's
}

// Nightly checks every row of cand against the rows of the baselines: base
// holds one row set per baseline label, the first being the one that
// reproduction is checked against; the regression test pools the seeds of
// every label, counting a run that two labels hold (same seed, same bits)
// once. The regression tests of all rows are one family (Holm).
func Nightly(base [][]*Row, cand []*Row, opt NightlyOptions) []Check {
	var out []Check
	var family []*reports.Regression
	for _, c := range cand {
		if len(c.Records) == 0 || len(c.Records[0].Episodes) == 0 {
			continue // a search: nothing scored
		}
		ck := Check{Unit: c.Unit, Step: c.Step, Method: c.Method, Seeds: len(c.Seeds)}
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

// Exit codes of a nightly check.
const (
	ExitPass       = 0
	ExitRegression = 1
	ExitNoBaseline = 2
)

// NightlyVerdict is the exit status of a nightly check: 2 when a row cannot
// be checked (no comparable baseline, protocols differ, too few seeds),
// else 1 when a row regressed (or, with RequireIdentical, did not reproduce
// bit for bit), else 0.
func NightlyVerdict(checks []Check, opt NightlyOptions) int {
	code := ExitPass
	for _, c := range checks {
		if c.Problem != "" {
			return ExitNoBaseline
		}
		if c.Regression != nil && c.Regression.Regressed {
			code = ExitRegression
		}
		if opt.RequireIdentical && !identical(c) {
			code = ExitRegression
		}
	}
	if len(checks) == 0 {
		return ExitNoBaseline
	}
	return code
}

// identical: every seed of the row reproduced the first baseline exactly.
func identical(c Check) bool {
	if len(c.Repro) != c.Seeds {
		return false
	}
	for _, r := range c.Repro {
		if !r.Identical {
			return false
		}
	}
	return true
}

// NightlyMarkdown is the nightly summary: the reproduction of every seed,
// then the seed-level regression test of every row, then the verdict.
func NightlyMarkdown(name, candidate string, baselines []string, checks []Check, opt NightlyOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Suite %s: %s against baseline %s\n\n", name, candidate, strings.Join(baselines, " + "))
	b.WriteString("### Reproduction (per seed, against " + baselines[0] + ")\n\n| unit | step | method | seed | result |\n|---|---|---|---|---|\n")
	for _, c := range checks {
		if len(c.Repro) == 0 {
			fmt.Fprintf(&b, "| %s | %s | %s | - | no seed of the candidate in %s |\n", c.Unit, c.Step, c.Method, baselines[0])
		}
		for _, r := range c.Repro {
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %s |\n", c.Unit, c.Step, c.Method, r.Seed, r)
		}
	}
	fmt.Fprintf(&b, "\n### Regression (training runs as the unit; one-sided test of a drop larger than %.2f points, Holm across rows)\n\n", 100*opt.Margin)
	b.WriteString("| unit | step | method | baseline seeds | candidate seeds | baseline % | candidate % | difference (points) | upper bound (points) | p | p (Holm) | detectable drop (points, 80% power) | verdict |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range checks {
		switch {
		case c.Problem != "":
			fmt.Fprintf(&b, "| %s | %s | %s | - | - | - | - | - | - | - | - | - | cannot check: %s |\n", c.Unit, c.Step, c.Method, c.Problem)
		case c.Reproduced:
			fmt.Fprintf(&b, "| %s | %s | %s | - | - | - | - | 0 | - | - | - | - | reproduced: no change |\n", c.Unit, c.Step, c.Method)
		default:
			r := c.Regression
			verdict := "no regression"
			if r.Regressed {
				verdict = "REGRESSION"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %.2f | %.2f | %+.2f | %+.2f | %s | %s | %.2f | %s |\n", c.Unit, c.Step, c.Method, r.KBase, r.KCand,
				100*r.BaseMean, 100*r.CandMean, 100*r.Diff, 100*r.Upper, reports.FormatP(r.P), reports.FormatP(r.PHolm), 100*r.Detectable, verdict)
		}
	}
	fmt.Fprintf(&b, "\nThe regression test compares the candidate's seed means with the baseline's as independent samples (pooled-variance t, df = seeds - 2; a candidate run identical to a baseline run is not a new sample): a row regressed when the Holm-adjusted p of H0 \"drop <= %.2f points\" is below %g (for one row alone: when the one-sided %g%% upper bound, shown, is below -%.2f points). Reproduction is informational", 100*opt.Margin, opt.Alpha, 100*(1-opt.Alpha), 100*opt.Margin)
	if opt.RequireIdentical {
		b.WriteString(" unless --require-identical is set (it is: any difference fails)")
	}
	b.WriteString(".\n\n")
	var regressed, unchecked []string
	for _, c := range checks {
		if c.Problem != "" {
			unchecked = append(unchecked, c.Unit+" "+c.Step)
		}
		if c.Regression != nil && c.Regression.Regressed {
			regressed = append(regressed, c.Unit+" "+c.Step)
		}
	}
	if len(regressed) > 0 {
		fmt.Fprintf(&b, "Regressed: %s.\n", strings.Join(regressed, ", "))
	}
	switch NightlyVerdict(checks, opt) {
	case ExitNoBaseline:
		if len(checks) == 0 {
			b.WriteString("Result: nothing to check (exit 2).\n")
		} else {
			fmt.Fprintf(&b, "Result: cannot check %s (exit 2).\n", strings.Join(unchecked, ", "))
		}
	case ExitRegression:
		if len(regressed) == 0 {
			b.WriteString("Result: a seed did not reproduce and --require-identical is set (exit 1).\n")
		} else {
			b.WriteString("Result: regression (exit 1).\n")
		}
	default:
		b.WriteString("Result: no regression (exit 0).\n")
	}
	return b.String()
}
