package cli

import (
	"context"
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
	var o runOptions
	fs.DurationVar(&o.budget, "budget", 60*time.Second, "training wall clock per method")
	fs.IntVar(&o.episodes, "episodes", 100, "test episodes per method (the standard protocol uses 600)")
	fs.IntVar(&o.filters, "filters", 64, "conv4 filters (64 is the Omniglot standard)")
	fs.IntVar(&o.metaBatch, "meta-batch", 8, "tasks per meta-iteration (the paper uses 32)")
	suiteFile := fs.String("suite", DefaultRunSuite, "the suite `FILE` to run")
	fs.StringVar(&o.out, "out", "", "output `DIR` (default: a new folder under the system temp folder)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress bars")
	o.store = AddStoreFlags(fs)
	usage := flagUsage(runUsage, fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return misuse(stderr, "run", usage, err)
	}
	if len(pos) > 0 {
		return misuse(stderr, "run", usage, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	switch {
	case o.budget <= 0:
		return fail(stderr, "run", fmt.Errorf("--budget %v: must be positive", o.budget))
	case o.episodes < 1:
		return fail(stderr, "run", fmt.Errorf("--episodes %d: must be at least 1", o.episodes))
	case o.filters < 1:
		return fail(stderr, "run", fmt.Errorf("--filters %d: must be at least 1", o.filters))
	case o.metaBatch < 1:
		return fail(stderr, "run", fmt.Errorf("--meta-batch %d: must be at least 1", o.metaBatch))
	}
	s, err := suite.Load(*suiteFile)
	if err != nil {
		return fail(stderr, "run", fmt.Errorf("--suite: %w", err))
	}
	if err := s.Only(strings.Split(*methods, ",")); err != nil {
		return fail(stderr, "run", fmt.Errorf("--methods %w", err))
	}
	o.sets = runSets(fs)
	return runMain(s, o, stdout, stderr)
}

// runOptions are run's flags after parsing; sets are the suite overrides
// of those given (runSets).
type runOptions struct {
	budget                       time.Duration
	episodes, filters, metaBatch int
	out                          string
	quiet                        bool
	store                        *StoreFlags
	sets                         []string
}

// runMain runs the suite of `metabench run` into its folder and store and
// prints its table and what the numbers are; it returns the exit code.
func runMain(s *suite.Suite, o runOptions, stdout, stderr io.Writer) int {
	dir := o.out
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "metabench-run-"); err != nil {
			return fail(stderr, "run", err)
		}
	}
	label := o.store.Label
	if label == "" {
		label = "run-" + time.Now().UTC().Format("20060102T150405Z")
	}
	path := store.ResolvePath(o.store.Path, "")
	st, err := store.Open(path)
	if err != nil {
		return fail(stderr, "run", fmt.Errorf("store %s: %w", path, err))
	}
	defer st.Close()
	opt := suite.Options{Store: st, Shards: 1, Label: label, Out: dir, Set: o.sets}
	if p := newProgress(stderr, o.quiet); p != nil {
		opt.Progress = p
	}
	ctx, stop := signalContext()
	defer stop()
	fmt.Fprintf(stderr, "metabench run: %d methods on the embedded Omniglot (5-way 1-shot, %v of training each); runs in %s\n", len(s.Units), o.budget, dir)
	if _, err := suite.Run(ctx, s, opt); err != nil {
		return fail(stderr, "run", err)
	}
	recs, _, err := suite.Records(context.Background(), st, s.Name, label)
	if err != nil {
		return fail(stderr, "run", err)
	}
	if err := suite.MethodsTable(recs, s.Reference).Render(stdout, reports.FormatText); err != nil {
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
		o.filters, o.metaBatch, o.budget, s.Name, o.episodes, testClasses, label, dir)
	return 0
}

// runFlagKeys are the experiment keys that run's flags override in every
// unit of the suite.
var runFlagKeys = map[string]string{"budget": "budget", "episodes": "eval.episodes", "filters": "model.filters", "meta-batch": "meta_batch"}

// runSets are the suite overrides (key=value) of the flags given on the
// command line, in flag order: a flag left out keeps the suite's value.
func runSets(fs *flag.FlagSet) []string {
	var sets []string
	fs.Visit(func(f *flag.Flag) {
		if k, ok := runFlagKeys[f.Name]; ok {
			sets = append(sets, k+"="+f.Value.String())
		}
	})
	return sets
}
