package reports

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// Verdict is the outcome of a paired comparison.
type Verdict string

// The verdicts of Compare. Only VerdictRegression fails a nightly job.
const (
	VerdictRegression   Verdict = "regression"            // significant drop larger than the margin
	VerdictWithinMargin Verdict = "drop within margin"    // significant drop no larger than the margin
	VerdictImprovement  Verdict = "improvement"           // significant gain
	VerdictNoChange     Verdict = "no significant change" // p >= alpha
)

// CompareOptions sets the margin (a fraction: 0.01 is one point) and the
// significance level. The zero value means margin 0 and alpha 0.05.
type CompareOptions struct {
	Margin float64
	Alpha  float64
}

// DefaultCompareOptions is a one-point margin at the 5% level.
func DefaultCompareOptions() CompareOptions { return CompareOptions{Margin: 0.01, Alpha: 0.05} }

// Comparison is a paired test of candidate against baseline over the same
// episodes. Means, Diff and the interval are fractions; Diff is candidate
// minus baseline, so a drop is negative.
type Comparison struct {
	Baseline      string  `json:"baseline"`
	Candidate     string  `json:"candidate"`
	N             int     `json:"episodes"`
	BaselineMean  float64 `json:"baseline_mean"`
	CandidateMean float64 `json:"candidate_mean"`
	Diff          float64 `json:"diff"`
	SE            float64 `json:"se"`
	Lo            float64 `json:"ci_lo"`
	Hi            float64 `json:"ci_hi"`
	Level         float64 `json:"ci_level"` // 1 - alpha
	T             float64 `json:"t"`
	DF            int     `json:"df"`
	P             float64 `json:"p"`
	Margin        float64 `json:"margin"`
	Alpha         float64 `json:"alpha"`
	Verdict       Verdict `json:"verdict"`
}

// Regression reports whether the verdict fails a nightly job.
func (c *Comparison) Regression() bool { return c.Verdict == VerdictRegression }

// ProtocolMismatchError is returned by Compare when two records are not
// comparable; Fields names each difference as "field (baseline vs candidate)".
type ProtocolMismatchError struct {
	Baseline, Candidate string
	Fields              []string
}

func (e *ProtocolMismatchError) Error() string {
	return fmt.Sprintf("runs %s and %s are not comparable: protocols differ in %s",
		e.Baseline, e.Candidate, strings.Join(e.Fields, ", "))
}

// ProtocolDiff lists what makes a and b incomparable: every Protocol field,
// the dataset checksum and split, and the number of episodes, each as
// "name (a vs b)" with the JSON names of the fields.
func ProtocolDiff(a, b *Record) []string { return protocolDiff(a, b, false) }

// EpisodeDiff is ProtocolDiff restricted to what fixes the test episodes
// (ways, shots, queries, evaluation episodes and seed, rotations, dataset
// and split, episode count), leaving out the method's own settings (inner
// steps and learning rate, batch-norm mode): two methods tested on the same
// episodes can be paired even when they adapt differently.
func EpisodeDiff(a, b *Record) []string { return protocolDiff(a, b, true) }

// methodFields are the Protocol fields EpisodeDiff ignores.
var methodFields = map[string]bool{"steps_train": true, "steps_test": true, "inner_lr": true, "bn_mode": true}

func protocolDiff(a, b *Record, episodesOnly bool) []string {
	var diffs []string
	va, vb := reflect.ValueOf(a.Proto), reflect.ValueOf(b.Proto)
	typ := va.Type()
	for i := range typ.NumField() {
		x, y := va.Field(i).Interface(), vb.Field(i).Interface()
		name := strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]
		if episodesOnly && methodFields[name] {
			continue
		}
		if x != y {
			diffs = append(diffs, fmt.Sprintf("protocol.%s (%v vs %v)", name, x, y))
		}
	}
	if a.Dataset.SHA256 != b.Dataset.SHA256 {
		diffs = append(diffs, fmt.Sprintf("dataset.sha256 (%s vs %s)", short(a.Dataset.SHA256), short(b.Dataset.SHA256)))
	}
	if a.Dataset.Split != b.Dataset.Split {
		diffs = append(diffs, fmt.Sprintf("dataset.split (%q vs %q)", a.Dataset.Split, b.Dataset.Split))
	}
	if len(a.Episodes) != len(b.Episodes) {
		diffs = append(diffs, fmt.Sprintf("episodes (%d vs %d)", len(a.Episodes), len(b.Episodes)))
	}
	return diffs
}

func short(s string) string {
	if s == "" {
		return `""`
	}
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// Compare tests candidate against baseline episode by episode (see the
// package documentation for the statistics). It refuses, with a
// *ProtocolMismatchError, records whose protocols differ, and returns an error
// for records without per-episode accuracies.
func Compare(baseline, candidate *Record, opt CompareOptions) (*Comparison, error) {
	for _, r := range []*Record{baseline, candidate} {
		if r.NoTest() {
			return nil, fmt.Errorf("%s ran no test evaluation (eval.episodes 0: a tuning run); its accuracy is a validation accuracy, not compared on test episodes", r.RunID)
		}
	}
	if d := ProtocolDiff(baseline, candidate); len(d) > 0 {
		return nil, &ProtocolMismatchError{Baseline: baseline.RunID, Candidate: candidate.RunID, Fields: d}
	}
	c, err := ComparePaired(baseline.Episodes, candidate.Episodes, opt)
	if err != nil {
		return nil, fmt.Errorf("comparing %s with %s: %w", baseline.RunID, candidate.RunID, err)
	}
	c.Baseline, c.Candidate = baseline.RunID, candidate.RunID
	return c, nil
}

// ComparePaired is Compare on bare per-episode accuracies: base[i] and cand[i]
// must come from the same episode.
func ComparePaired(base, cand []float64, opt CompareOptions) (*Comparison, error) {
	if opt.Alpha == 0 {
		opt.Alpha = 0.05
	}
	switch {
	case opt.Alpha <= 0 || opt.Alpha >= 1 || math.IsNaN(opt.Alpha):
		return nil, fmt.Errorf("alpha %v is not in (0, 1)", opt.Alpha)
	case opt.Margin < 0 || math.IsNaN(opt.Margin):
		return nil, fmt.Errorf("margin %v is negative", opt.Margin)
	case len(base) != len(cand):
		return nil, fmt.Errorf("%d baseline episodes but %d candidate episodes", len(base), len(cand))
	case len(base) < 2:
		return nil, errors.New("a paired test needs per-episode accuracies of at least 2 episodes")
	}
	n := len(base)
	d := make([]float64, n)
	for i := range d {
		if math.IsNaN(base[i]) || math.IsNaN(cand[i]) {
			return nil, fmt.Errorf("episode %d has a NaN accuracy", i)
		}
		d[i] = cand[i] - base[i]
	}
	bm, _ := meanStd(base)
	cm, _ := meanStd(cand)
	dbar, sd := meanStd(d)
	c := &Comparison{
		N: n, BaselineMean: bm, CandidateMean: cm, Diff: dbar,
		DF: n - 1, Margin: opt.Margin, Alpha: opt.Alpha, Level: 1 - opt.Alpha,
	}
	c.SE = sd / math.Sqrt(float64(n))
	// Differences of accuracies in [0,1] that agree to 1e-12 are one shift.
	if c.SE <= 1e-12 {
		c.SE, c.Lo, c.Hi = 0, dbar, dbar
		if math.Abs(dbar) <= 1e-12 {
			c.T, c.P = 0, 1
		} else {
			c.T, c.P = math.Copysign(math.Inf(1), dbar), 0
		}
	} else {
		td := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}
		c.T = dbar / c.SE
		c.P = 2 * td.Survival(math.Abs(c.T))
		q := td.Quantile(1 - opt.Alpha/2)
		c.Lo, c.Hi = dbar-q*c.SE, dbar+q*c.SE
	}
	significant := c.P < opt.Alpha
	switch {
	case significant && dbar < 0 && -dbar > opt.Margin:
		c.Verdict = VerdictRegression
	case significant && dbar < 0:
		c.Verdict = VerdictWithinMargin
	case significant && dbar > 0:
		c.Verdict = VerdictImprovement
	default:
		c.Verdict = VerdictNoChange
	}
	return c, nil
}

// RunComparison is the paired comparison of two runs with whether the
// candidate reproduced the baseline bit for bit (`metabench compare`'s
// output; in JSON the comparison's fields and "reproduction").
type RunComparison struct {
	*Comparison
	Reproduction Reproduction `json:"reproduction"`
}

// CompareRuns compares candidate with baseline episode by episode (Compare,
// whose errors it returns) and says whether it reproduced it (Reproduce).
func CompareRuns(baseline, candidate *Record, opt CompareOptions) (*RunComparison, error) {
	c, err := Compare(baseline, candidate, opt)
	if err != nil {
		return nil, err
	}
	repro := Reproduce(Run{Seed: baseline.Seed, Episodes: baseline.Episodes}, Run{Seed: candidate.Seed, Episodes: candidate.Episodes})
	return &RunComparison{Comparison: c, Reproduction: repro}, nil
}

// Table renders the comparison as a two-column table for text or Markdown.
func (c *Comparison) Table() *Table {
	pts := func(x float64) string { return fmt.Sprintf("%+.2f", 100*x) }
	lvl := fmt.Sprintf("%g%% CI", 100*c.Level)
	return &Table{
		Title:  fmt.Sprintf("paired comparison over episodes (these trained networks): %s", c.Verdict),
		Header: []string{"quantity", "value"},
		Rows: [][]string{
			{"baseline", fmt.Sprintf("%s (%.2f%%)", c.Baseline, 100*c.BaselineMean)},
			{"candidate", fmt.Sprintf("%s (%.2f%%)", c.Candidate, 100*c.CandidateMean)},
			{"episodes (paired)", fmt.Sprintf("%d", c.N)},
			{"difference (points)", pts(c.Diff)},
			{lvl + " (points)", fmt.Sprintf("[%s, %s]", pts(c.Lo), pts(c.Hi))},
			{"t, df", fmt.Sprintf("%.3f, %d", c.T, c.DF)},
			{"p (two-sided)", FormatP(c.P)},
			{"alpha, margin (points)", fmt.Sprintf("%g, %.2f", c.Alpha, 100*c.Margin)},
			{"verdict", string(c.Verdict)},
		},
	}
}

// Sentence is a one-line summary of the comparison.
func (c *Comparison) Sentence() string {
	return fmt.Sprintf("%s: candidate %s is %+.2f points vs baseline %s on the same %d episodes (%g%% CI [%+.2f, %+.2f], p=%s, margin %.2f)",
		c.Verdict, c.Candidate, 100*c.Diff, c.Baseline, c.N, 100*c.Level, 100*c.Lo, 100*c.Hi, FormatP(c.P), 100*c.Margin)
}
