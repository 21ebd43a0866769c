package reports

import (
	"fmt"
	"strings"
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

// NightlyCheck is the nightly check of one row (unit and step) of a
// candidate run against its baseline (suite.Nightly): (a) whether each seed
// reproduced the baseline's run of that seed bit for bit, and (b) the seed-level regression test
// (TestRegression) of the candidate's seeds against the baseline's,
// pooled over the baseline's labels. Problem says why the row cannot be
// checked (no comparable baseline, protocols differ, too few seeds).
type NightlyCheck struct {
	Unit, Step, Method string
	// Repro holds, per candidate seed that the first baseline label ran,
	// the episode-by-episode comparison.
	Repro []Reproduction
	// Reproduced: every candidate seed reproduced a baseline run exactly,
	// so there is nothing to test (the results did not move).
	Reproduced bool
	Regression *Regression
	Problem    string
	Seeds      int // the candidate's
}

// The verdicts of a nightly check, the exit statuses of metabench suite
// --nightly.
const (
	NightlyPass       = 0
	NightlyRegression = 1
	NightlyNoBaseline = 2
)

// NightlyVerdict is the exit status of a nightly check: 2 when a row cannot
// be checked (no comparable baseline, protocols differ, too few seeds),
// else 1 when a row regressed (or, with RequireIdentical, did not reproduce
// bit for bit), else 0.
func NightlyVerdict(checks []NightlyCheck, opt NightlyOptions) int {
	code := NightlyPass
	for _, c := range checks {
		if c.Problem != "" {
			return NightlyNoBaseline
		}
		if c.Regression != nil && c.Regression.Regressed {
			code = NightlyRegression
		}
		if opt.RequireIdentical && !identical(c) {
			code = NightlyRegression
		}
	}
	if len(checks) == 0 {
		return NightlyNoBaseline
	}
	return code
}

// identical: every seed of the row reproduced the first baseline exactly.
func identical(c NightlyCheck) bool {
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
func NightlyMarkdown(name, candidate string, baselines []string, checks []NightlyCheck, opt NightlyOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Suite %s: %s against baseline %s\n\n", name, candidate, strings.Join(baselines, " + "))
	writeReproductions(&b, baselines[0], checks)
	writeRegressions(&b, checks, opt)
	writeNightlyVerdict(&b, checks, opt)
	return b.String()
}

// writeReproductions writes the table of every candidate seed against
// its run in the first baseline.
func writeReproductions(b *strings.Builder, baseline string, checks []NightlyCheck) {
	b.WriteString("### Reproduction (per seed, against " + baseline + ")\n\n| unit | step | method | seed | result |\n|---|---|---|---|---|\n")
	for _, c := range checks {
		if len(c.Repro) == 0 {
			fmt.Fprintf(b, "| %s | %s | %s | - | no seed of the candidate in %s |\n", c.Unit, c.Step, c.Method, baseline)
		}
		for _, r := range c.Repro {
			fmt.Fprintf(b, "| %s | %s | %s | %d | %s |\n", c.Unit, c.Step, c.Method, r.Seed, r)
		}
	}
}

// writeRegressions writes the table of every row's regression test and
// how to read it.
func writeRegressions(b *strings.Builder, checks []NightlyCheck, opt NightlyOptions) {
	fmt.Fprintf(b, "\n### Regression (training runs as the unit; one-sided test of a drop larger than %.2f points, Holm across rows)\n\n", 100*opt.Margin)
	b.WriteString("| unit | step | method | baseline seeds | candidate seeds | baseline % | candidate % | difference (points) | upper bound (points) | p | p (Holm) | detectable drop (points, 80% power) | verdict |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range checks {
		switch {
		case c.Problem != "":
			fmt.Fprintf(b, "| %s | %s | %s | - | - | - | - | - | - | - | - | - | cannot check: %s |\n", c.Unit, c.Step, c.Method, c.Problem)
		case c.Reproduced:
			fmt.Fprintf(b, "| %s | %s | %s | - | - | - | - | 0 | - | - | - | - | reproduced: no change |\n", c.Unit, c.Step, c.Method)
		default:
			r := c.Regression
			verdict := "no regression"
			if r.Regressed {
				verdict = "REGRESSION"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %d | %d | %.2f | %.2f | %+.2f | %+.2f | %s | %s | %.2f | %s |\n", c.Unit, c.Step, c.Method, r.KBase, r.KCand,
				100*r.BaseMean, 100*r.CandMean, 100*r.Diff, 100*r.Upper, FormatP(r.P), FormatP(r.PHolm), 100*r.Detectable, verdict)
		}
	}
	fmt.Fprintf(b, "\nThe regression test compares the candidate's seed means with the baseline's as independent samples (pooled-variance t, df = seeds - 2; a candidate run identical to a baseline run is not a new sample): a row regressed when the Holm-adjusted p of H0 \"drop <= %.2f points\" is below %g (for one row alone: when the one-sided %g%% upper bound, shown, is below -%.2f points). Reproduction is informational", 100*opt.Margin, opt.Alpha, 100*(1-opt.Alpha), 100*opt.Margin)
	if opt.RequireIdentical {
		b.WriteString(" unless --require-identical is set (it is: any difference fails)")
	}
	b.WriteString(".\n\n")
}

// writeNightlyVerdict names the rows that regressed and gives the verdict.
func writeNightlyVerdict(b *strings.Builder, checks []NightlyCheck, opt NightlyOptions) {
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
		fmt.Fprintf(b, "Regressed: %s.\n", strings.Join(regressed, ", "))
	}
	switch NightlyVerdict(checks, opt) {
	case NightlyNoBaseline:
		if len(checks) == 0 {
			b.WriteString("Result: nothing to check (exit 2).\n")
		} else {
			fmt.Fprintf(b, "Result: cannot check %s (exit 2).\n", strings.Join(unchecked, ", "))
		}
	case NightlyRegression:
		if len(regressed) == 0 {
			b.WriteString("Result: a seed did not reproduce and --require-identical is set (exit 1).\n")
		} else {
			b.WriteString("Result: regression (exit 1).\n")
		}
	default:
		b.WriteString("Result: no regression (exit 0).\n")
	}
}
