package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
	"github.com/metabench/metabench/suite"
)

const suiteUsage = `usage: metabench suite FILE.yaml [--store PATH] [--shard i/n] [--units ID,...] [--seeds S,...] [--label L] [--out DIR] [--set k=v ...]
       [--baseline LABEL[,LABEL...] [--margin 0.01] [--alpha 0.05] [--require-identical]]
       [--format text|markdown|csv|json] [--quiet]
       metabench suite FILE.yaml --plan [--store PATH] [--records DIR] [--label L] [--out DIR] [--shard i/n] [--units ...] [--seeds ...]

Runs the units of a suite file (benchmarks/suites/*.yaml) that belong to
this shard and are not yet complete in the results store, then prints the
suite's table (every shard's records with this label). A killed suite
resumes where it stopped when run again; a finished unit never runs twice.
The shard is --shard i/n, else $JOB_COMPLETION_INDEX (set by Kubernetes
Indexed Jobs) of $METABENCH_SHARDS, else 0/1. --set overrides a key of every
unit's experiment file. A unit that fails does not stop the others; the
suite then exits 1 naming it.

With --plan, nothing runs: the plan lists, per step of the jobs this
invocation would run (the same shard, units and seeds, in the same
order), whether it is done (its record, with this label, is in the
store or in the --records folder), in progress (a checkpoint in its run
folder under --out: iterations done of the total) or to run, and the
CPU and wall hours it still needs, estimated from the records of the
same suite version, unit and step (other seeds, any label), else "-";
then the totals: steps done, in progress and to run, and the CPU-hours
left where known. Records under another label are another run's: a note
names their labels.

With --baseline, the nightly check (docs/NIGHTLY.md, docs/STATISTICS.md)
prints a Markdown summary of two checks per unit and step: (a)
reproduction, whether each seed gave the first baseline label's per-episode
results bit for bit, and the first episode that differs when not
(informational; with --require-identical any difference fails); (b)
regression, the candidate's seeds against the baseline's seeds (pooled over
every label given, a run held twice counted once) as training runs: a unit
regressed when the one-sided upper bound of the difference lies below
-margin, Holm-adjusted across units. Exit 1 on a regression, 2 when a unit
has no comparable baseline (none, another suite version, protocols differ,
fewer than 3 seeds in all), 0 otherwise.

flags:
`

// Environment variables of a sharded suite (suite's; the deploy manifests
// set them).
const (
	ShardIndexEnv = suite.ShardIndexEnv
	ShardCountEnv = suite.ShardCountEnv
)

func cmdSuite(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("suite")
	sf := addSuiteFlags(fs)
	usage := flagUsage(suiteUsage, fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return misuse(stderr, "suite", usage, err)
	}
	if len(pos) != 1 {
		return misuse(stderr, "suite", usage, fmt.Errorf("want one suite file, got %d arguments", len(pos)))
	}
	f, baselines, err := sf.check()
	if err != nil {
		return misuse(stderr, "suite", usage, err)
	}
	shard, shards, err := parseShard(sf.shard)
	if err != nil {
		return misuse(stderr, "suite", usage, err)
	}
	s, err := suite.Load(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "metabench suite: %v\n", err)
		return 2
	}
	dir := sf.out
	if dir == "" {
		dir = filepath.Join("runs", s.Name)
	}
	opt := suite.Options{Shard: shard, Shards: shards, Label: sf.store.Label, Out: dir, Set: sf.sets, Units: splitList(sf.units)}
	if opt.Seeds, err = parseInt64s("--seeds", sf.seeds); err != nil {
		return misuse(stderr, "suite", usage, err)
	}
	if err := s.CheckSelection(opt.Units, opt.Seeds); err != nil {
		return badInput(stderr, "suite", fmt.Errorf("--units/--seeds: %w", err))
	}
	if sf.plan {
		return planSuite(s, opt, sf.store.Path, sf.records, f, stdout, stderr)
	}
	nopt := reports.NightlyOptions{Margin: sf.margin, Alpha: sf.alpha, RequireIdentical: sf.requireIdentical}
	return runSuite(s, opt, sf.store, baselines, nopt, f, sf.quiet, stdout, stderr)
}

// suiteFlags are suite's flags.
type suiteFlags struct {
	store                                               *StoreFlags
	shard, out, baseline, format, units, seeds, records string
	sets                                                setFlags
	margin, alpha                                       float64
	requireIdentical, quiet, plan                       bool
}

// addSuiteFlags registers suite's flags on fs.
func addSuiteFlags(fs *flag.FlagSet) *suiteFlags {
	sf := &suiteFlags{store: AddStoreFlags(fs)}
	fs.StringVar(&sf.shard, "shard", "", "run shard `i/n` of the suite (default: $"+ShardIndexEnv+" of $"+ShardCountEnv+", else 0/1)")
	fs.StringVar(&sf.out, "out", "", "folder of the run folders (default: runs/<suite name>)")
	fs.Var(&sf.sets, "set", "override `key=value` of every unit's experiment file (repeatable)")
	fs.StringVar(&sf.baseline, "baseline", "", "check against the runs labelled `LABEL[,LABEL...]` (nightly check; several labels pool their seeds)")
	fs.Float64Var(&sf.margin, "margin", 0.01, "largest drop (fraction) that is not a regression")
	fs.Float64Var(&sf.alpha, "alpha", 0.05, "level of the one-sided regression test (family-wise over units)")
	fs.BoolVar(&sf.requireIdentical, "require-identical", false, "with --baseline: fail (exit 1) when any seed does not reproduce the first baseline bit for bit")
	fs.StringVar(&sf.format, "format", "text", "table `FORMAT`: text, markdown, csv or json")
	fs.BoolVar(&sf.quiet, "quiet", false, "no progress")
	fs.StringVar(&sf.units, "units", "", "run only the jobs of these units `ID[,ID...]` (the table still shows every unit)")
	fs.StringVar(&sf.seeds, "seeds", "", "run only the jobs of these seeds `S[,S...]`")
	fs.BoolVar(&sf.plan, "plan", false, "run nothing: print per step of the jobs it would run whether it is done, in progress or to run, and the CPU-hours left")
	fs.StringVar(&sf.records, "records", "", "with --plan: records in folder `DIR` (store export, e.g. docs/records/SUITE) count as done too")
	return sf
}

// check returns the table format and the baseline labels, or the usage
// error of flags that do not go together.
func (sf *suiteFlags) check() (reports.Format, []string, error) {
	f, err := reports.ParseFormat(sf.format)
	if err != nil {
		return f, nil, fmt.Errorf("--format: %w", err)
	}
	switch {
	case sf.margin < 0 || sf.alpha <= 0 || sf.alpha >= 1:
		return f, nil, errors.New("--margin must be >= 0 and --alpha in (0, 1)")
	case sf.requireIdentical && sf.baseline == "":
		return f, nil, errors.New("--require-identical needs --baseline")
	case sf.plan && sf.baseline != "":
		return f, nil, errors.New("--plan runs nothing, and --baseline checks a run: give one")
	case sf.records != "" && !sf.plan:
		return f, nil, errors.New("--records goes with --plan")
	}
	var baselines []string
	if sf.baseline != "" {
		for _, l := range strings.Split(sf.baseline, ",") {
			if l = strings.TrimSpace(l); l == "" {
				return f, nil, fmt.Errorf("--baseline %q: an empty label", sf.baseline)
			}
			baselines = append(baselines, l)
		}
	}
	return f, baselines, nil
}

// planSuite prints the plan of the invocation opt (suite.Plan) from the
// store's records and, with --records, the folder's.
func planSuite(s *suite.Suite, opt suite.Options, storePath, records string, f reports.Format, stdout, stderr io.Writer) int {
	path := store.ResolvePath(storePath, "")
	src, err := suite.StoreSource(context.Background(), path)
	if err != nil {
		fmt.Fprintf(stderr, "metabench suite: store %s: %v\n", store.Redact(path), err)
		return 2
	}
	sources := []suite.Source{src}
	if records != "" {
		rs, err := suite.RecordsSource(records)
		if err != nil {
			return badInput(stderr, "suite", fmt.Errorf("--records %s: %w", records, err))
		}
		sources = append(sources, rs)
	}
	pl, err := suite.Plan(s, opt, sources...)
	if err != nil {
		return fail(stderr, "suite", err)
	}
	if err := pl.Table().Render(stdout, f); err != nil {
		return fail(stderr, "suite", err)
	}
	return 0
}

// runSuite opens the store, runs the suite's shard, prints its table and,
// with baselines, the nightly check. It returns the exit code.
func runSuite(s *suite.Suite, opt suite.Options, sf *StoreFlags, baselines []string, nopt reports.NightlyOptions, f reports.Format, quiet bool, stdout, stderr io.Writer) int {
	path := store.ResolvePath(sf.Path, "")
	st, err := store.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "metabench suite: store %s: %v\n", path, err)
		return 2
	}
	defer st.Close()
	opt.Store = st
	if p := newProgress(stderr, quiet); p != nil {
		opt.Progress = p
	}
	ctx, stop := signalContext()
	defer stop()
	_, runErr := suite.Run(ctx, s, opt)
	// the table and the check read the store even after Ctrl-C stopped the run
	recs, version, err := suite.Records(context.Background(), st, s.Name, opt.Label)
	if err != nil {
		return fail(stderr, "suite", err)
	}
	if len(recs) > 0 {
		rows := suite.Rows(recs)
		vs := suite.Against(rows, s.Reference)
		if err := suite.Table(s.Name, version, opt.Label, rows, s.Reference, vs).Render(stdout, f); err != nil {
			return fail(stderr, "suite", err)
		}
	}
	if runErr != nil {
		return fail(stderr, "suite", runErr)
	}
	if len(baselines) == 0 {
		return 0
	}
	base, err := suite.Baselines(context.Background(), st, s.Name, version, baselines)
	var be *suite.BaselineError
	if errors.As(err, &be) {
		fmt.Fprintf(stderr, "metabench suite: --baseline %s: %v\n", be.Label, err)
		return reports.NightlyNoBaseline
	}
	if err != nil {
		return fail(stderr, "suite", err)
	}
	checks := suite.Nightly(base, suite.Rows(recs), nopt)
	fmt.Fprint(stdout, reports.NightlyMarkdown(s.Name, opt.Label, baselines, checks, nopt))
	return reports.NightlyVerdict(checks, nopt)
}

// parseShard reads "i/n" from the flag, else the Indexed Job's environment
// (suite.EnvShard).
func parseShard(flagValue string) (i, n int, err error) {
	if flagValue == "" {
		return suite.EnvShard()
	}
	if i, n, err = suite.ParseShard(flagValue); err != nil {
		return 0, 0, fmt.Errorf("--shard: %w", err)
	}
	return i, n, nil
}

// signalContext is cancelled by Ctrl-C or SIGTERM: a run then writes its
// checkpoint and stops.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
