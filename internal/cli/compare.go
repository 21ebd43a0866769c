package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
)

const compareUsage = `usage: metabench compare [--store PATH] --baseline RUN|LABEL --candidate RUN|LABEL
                         [--margin 0.01] [--alpha 0.05] [--require-identical] [--format text|markdown|json]

Compares two evaluation runs episode by episode (their test episodes are
fixed by the evaluation seed, so episode i is the same task in both): says
whether the candidate reproduced the baseline bit for bit (and the first
episode that differs), then the difference of mean accuracy (candidate minus
baseline) with its paired confidence interval at level 1-alpha and the
two-sided p-value of a paired t test over the episodes. RUN is a run id;
LABEL picks the latest run with that label.

The test is conditional on these two trained networks: it says whether
they differ on these episodes (an evaluation change on one checkpoint, two
checkpoints of one run), not whether two methods or two versions of the
code train better networks, which needs several training runs (seeds) per
side: run a suite with --baseline for that (docs/STATISTICS.md).

Exit status: 1 when the candidate's drop is statistically significant
(p < alpha) AND larger than --margin (a fraction: 0.01 is one point), or
with --require-identical when any episode differs; 0 otherwise; 2 on misuse,
including runs whose protocols differ (ways, shots, queries, inner steps,
inner lr, BN mode, evaluation episodes and seed, rotations, dataset checksum
or split), which are refused as not comparable.

The store is --store, else $METABENCH_STORE, else results.db.

flags:
`

func cmdCompare(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("compare")
	storePath := fs.String("store", "", "results store `PATH`")
	baseline := fs.String("baseline", "", "baseline `RUN|LABEL` (required)")
	candidate := fs.String("candidate", "", "candidate `RUN|LABEL` (required)")
	def := reports.DefaultCompareOptions()
	margin := fs.Float64("margin", def.Margin, "largest drop (fraction, 0.01 = one point) tolerated even when significant")
	alpha := fs.Float64("alpha", def.Alpha, "significance level of the paired test")
	format := fs.String("format", "text", "output format: text, markdown or json")
	requireIdentical := fs.Bool("require-identical", false, "fail (exit 1) when any episode differs from the baseline")
	usage := func() string { return flagUsage(compareUsage, fs) }
	if err := parseFlagsOnly(fs, args); err != nil {
		return misuse(stderr, "compare", usage(), err)
	}
	f, err := reports.ParseFormat(*format)
	switch {
	case err != nil || f == reports.FormatCSV:
		return misuse(stderr, "compare", usage(), fmt.Errorf("--format %q: want text, markdown or json", *format))
	case *baseline == "" || *candidate == "":
		return misuse(stderr, "compare", usage(), errors.New("--baseline and --candidate are required"))
	case *margin < 0 || math.IsNaN(*margin):
		return misuse(stderr, "compare", usage(), fmt.Errorf("--margin %v: want >= 0", *margin))
	case !(*alpha > 0 && *alpha < 1):
		return misuse(stderr, "compare", usage(), fmt.Errorf("--alpha %v: want 0 < alpha < 1", *alpha))
	}
	path := store.ResolvePath(*storePath, "")
	s, err := openExistingStore(path)
	if err != nil {
		return fail(stderr, "compare", err)
	}
	defer s.Close()
	ctx := context.Background()
	base, err := s.Resolve(ctx, *baseline)
	if err != nil {
		return fail(stderr, "compare", fmt.Errorf("baseline: %w", err))
	}
	cand, err := s.Resolve(ctx, *candidate)
	if err != nil {
		return fail(stderr, "compare", fmt.Errorf("candidate: %w", err))
	}
	c, err := reports.CompareRuns(base, cand, reports.CompareOptions{Margin: *margin, Alpha: *alpha})
	var pm *reports.ProtocolMismatchError
	if errors.As(err, &pm) {
		fmt.Fprintf(stderr, "metabench compare: refused: %v\n", err)
		return 2
	}
	if err != nil {
		return fail(stderr, "compare", err)
	}
	if f == reports.FormatJSON {
		if err := writeIndentedJSON(stdout, c); err != nil {
			return fail(stderr, "compare", err)
		}
	} else {
		tbl := c.Table()
		tbl.Title = "metabench compare: " + string(c.Verdict)
		tbl.Rows = append([][]string{{"reproduction", c.Reproduction.String()}}, tbl.Rows...)
		tbl.Notes = []string{c.Sentence(), "conditional on these two trained networks: a test over training runs needs seeds (metabench suite --baseline)"}
		if err := tbl.Render(stdout, f); err != nil {
			return fail(stderr, "compare", err)
		}
	}
	if c.Regression() {
		return fail(stderr, "compare", errors.New(c.Sentence()))
	}
	if *requireIdentical && !c.Reproduction.Identical {
		return fail(stderr, "compare", fmt.Errorf("--require-identical: the candidate %s", c.Reproduction))
	}
	return 0
}
