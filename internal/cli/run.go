package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
	"github.com/metabench/metabench/suite"
)

const runUsage = `usage: metabench run [--methods maml,fomaml,reptile,protonets] [--budget 60s] [--episodes 100] [--filters 64] [--meta-batch 8]
       [--suite FILE] [--out DIR] [--store PATH] [--label NAME] [--quiet]

The main job (make run): the suite benchmarks/suites/make-run.yaml (run from
the repository root, or name it with --suite). On the embedded Omniglot
background set, split by alphabet, a short meta-training of each method on
5-way 1-shot tasks (the standard protocol except for the training budget,
the meta-batch, one query image per class at meta-training time and an
outer learning rate of 3e-3, which suit a short budget), evaluation on fixed
test episodes from held-back alphabets, and a table of method, protocol,
accuracy ± 95% CI, training time and the published number. The flags
override the suite's shared settings. Every run writes its checkpoint and
record.json under --out and its record to the results store, labelled
run-<time> unless --label is given.

flags:
`

// DefaultRunSuite is the suite of `metabench run`, relative to the
// repository root.
const DefaultRunSuite = "benchmarks/suites/make-run.yaml"

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run")
	methods := fs.String("methods", "maml,fomaml,reptile,protonets", "comma-separated `LIST` of methods (units of the suite)")
	budget := fs.Duration("budget", 60*time.Second, "training wall clock per method")
	episodes := fs.Int("episodes", 100, "test episodes per method (the standard protocol uses 600)")
	filters := fs.Int("filters", 64, "conv4 filters (64 is the Omniglot standard)")
	metaBatch := fs.Int("meta-batch", 8, "tasks per meta-iteration (the paper uses 32)")
	suiteFile := fs.String("suite", DefaultRunSuite, "the suite `FILE` to run")
	out := fs.String("out", "", "output `DIR` (default: a new folder under the system temp folder)")
	quiet := fs.Bool("quiet", false, "no progress bars")
	sf := AddStoreFlags(fs)
	usage := flagUsage(runUsage, fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return misuse(stderr, "run", usage, err)
	}
	if len(pos) > 0 {
		return misuse(stderr, "run", usage, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	switch {
	case *budget <= 0:
		return fail(stderr, "run", fmt.Errorf("--budget %v: must be positive", *budget))
	case *episodes < 1:
		return fail(stderr, "run", fmt.Errorf("--episodes %d: must be at least 1", *episodes))
	case *filters < 1:
		return fail(stderr, "run", fmt.Errorf("--filters %d: must be at least 1", *filters))
	case *metaBatch < 1:
		return fail(stderr, "run", fmt.Errorf("--meta-batch %d: must be at least 1", *metaBatch))
	}
	s, err := suite.Load(*suiteFile)
	if err != nil {
		return fail(stderr, "run", fmt.Errorf("--suite: %w", err))
	}
	if err := s.Only(strings.Split(*methods, ",")); err != nil {
		return fail(stderr, "run", fmt.Errorf("--methods %w", err))
	}
	var sets []string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "budget":
			sets = append(sets, "budget="+budget.String())
		case "episodes":
			sets = append(sets, fmt.Sprintf("eval.episodes=%d", *episodes))
		case "filters":
			sets = append(sets, fmt.Sprintf("model.filters=%d", *filters))
		case "meta-batch":
			sets = append(sets, fmt.Sprintf("meta_batch=%d", *metaBatch))
		}
	})
	dir := *out
	if dir == "" {
		if dir, err = os.MkdirTemp("", "metabench-run-"); err != nil {
			return fail(stderr, "run", err)
		}
	}
	label := sf.Label
	if label == "" {
		label = "run-" + time.Now().UTC().Format("20060102T150405Z")
	}
	path := ResolveStorePath(sf.Path, "")
	st, err := store.Open(path)
	if err != nil {
		return fail(stderr, "run", fmt.Errorf("store %s: %w", path, err))
	}
	defer st.Close()
	opt := suite.Options{Store: st, Shards: 1, Label: label, Out: dir, Set: sets}
	if p := newProgress(stderr, *quiet); p != nil {
		opt.Progress = p
	}
	ctx, stop := signalContext()
	defer stop()
	fmt.Fprintf(stderr, "metabench run: %d methods on the embedded Omniglot (5-way 1-shot, %v of training each); runs in %s\n", len(s.Units), *budget, dir)
	if _, err := suite.Run(ctx, s, opt); err != nil {
		return fail(stderr, "run", err)
	}
	recs, _, err := loadSuiteRecords(st, s.Name, label)
	if err != nil {
		return fail(stderr, "run", err)
	}
	if err := renderRunTable(stdout, recs, s.Reference); err != nil {
		return fail(stderr, "run", err)
	}
	testClasses := 0
	if len(recs) > 0 {
		testClasses = recs[0].Dataset.Classes
	}
	fmt.Fprintf(stdout, "Trained on the embedded Omniglot background alphabets minus held-back ones (rotations as extra classes):\n"+
		"conv4 with %d filters, meta-batch %d, %v of training per method (suite %s). Tested on %d episodes of\n"+
		"%d characters from held-back alphabets, never seen in training. The published numbers come from hours of\n"+
		"training: see benchmarks/*.yaml for the full protocols. Records (label %s) and checkpoints: %s\n",
		*filters, *metaBatch, *budget, s.Name, *episodes, testClasses, label, dir)
	return 0
}

// renderRunTable writes the results table of `run` (reports.Table, text);
// with ref (the suite's reference unit), a column of each method's paired
// difference from it.
func renderRunTable(w io.Writer, recs []*reports.Record, ref string) error {
	t := &reports.Table{Header: []string{"method", "protocol", "accuracy (%)", "training", "iterations", "published (%)"}}
	vsRec := map[*reports.Record]string{}
	accRec := map[*reports.Record]string{}
	rows := suite.Rows(recs)
	for _, row := range rows {
		accRec[row.Records[0]] = reports.AccuracyCell(row.Accuracy)
	}
	if ref != "" {
		t.Header = append(t.Header, "vs "+ref+" (points)")
		vs := suite.Against(rows, ref)
		for _, row := range rows {
			vsRec[row.Records[0]] = suite.VsCells(row, ref, vs)[0]
		}
	}
	for _, r := range recs {
		paper := "-"
		if ref, ok := reports.LookupReference(r); ok {
			paper = ref.String()
		}
		cells := []string{r.Method, reports.ProtocolString(r.Proto), accRec[r], reports.FormatDuration(r.TrainSeconds()), fmt.Sprint(r.Iters), paper}
		if ref != "" {
			cells = append(cells, vsRec[r])
		}
		t.Rows = append(t.Rows, cells)
	}
	return t.Render(w, reports.FormatText)
}
