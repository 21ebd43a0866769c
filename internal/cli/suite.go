package cli

import (
	"context"
	"errors"
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

Runs the units of a suite file (benchmarks/suites/*.yaml) that belong to
this shard and are not yet complete in the results store, then prints the
suite's table (every shard's records with this label). A killed suite
resumes where it stopped when run again; a finished unit never runs twice.
The shard is --shard i/n, else $JOB_COMPLETION_INDEX (set by Kubernetes
Indexed Jobs) of $METABENCH_SHARDS, else 0/1. --set overrides a key of every
unit's experiment file. A unit that fails does not stop the others; the
suite then exits 1 naming it.

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
	sf := AddStoreFlags(fs)
	shardArg := fs.String("shard", "", "run shard `i/n` of the suite (default: $"+ShardIndexEnv+" of $"+ShardCountEnv+", else 0/1)")
	out := fs.String("out", "", "folder of the run folders (default: runs/<suite name>)")
	var sets setFlags
	fs.Var(&sets, "set", "override `key=value` of every unit's experiment file (repeatable)")
	baseline := fs.String("baseline", "", "check against the runs labelled `LABEL[,LABEL...]` (nightly check; several labels pool their seeds)")
	margin := fs.Float64("margin", 0.01, "largest drop (fraction) that is not a regression")
	alpha := fs.Float64("alpha", 0.05, "level of the one-sided regression test (family-wise over units)")
	requireIdentical := fs.Bool("require-identical", false, "with --baseline: fail (exit 1) when any seed does not reproduce the first baseline bit for bit")
	format := fs.String("format", "text", "table `FORMAT`: text, markdown, csv or json")
	quiet := fs.Bool("quiet", false, "no progress")
	units := fs.String("units", "", "run only the jobs of these units `ID[,ID...]` (the table still shows every unit)")
	seeds := fs.String("seeds", "", "run only the jobs of these seeds `S[,S...]`")
	usage := flagUsage(suiteUsage, fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return misuse(stderr, "suite", usage, err)
	}
	if len(pos) != 1 {
		return misuse(stderr, "suite", usage, fmt.Errorf("want one suite file, got %d arguments", len(pos)))
	}
	f, err := reports.ParseFormat(*format)
	if err != nil {
		return misuse(stderr, "suite", usage, fmt.Errorf("--format: %w", err))
	}
	if *margin < 0 || *alpha <= 0 || *alpha >= 1 {
		return misuse(stderr, "suite", usage, errors.New("--margin must be >= 0 and --alpha in (0, 1)"))
	}
	shard, shards, err := parseShard(*shardArg)
	if err != nil {
		return misuse(stderr, "suite", usage, err)
	}
	s, err := suite.Load(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "metabench suite: %v\n", err)
		return 2
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", s.Name)
	}
	opt := suite.Options{Shard: shard, Shards: shards, Label: sf.Label, Out: dir, Set: sets, Units: splitList(*units)}
	if opt.Seeds, err = parseInt64s("--seeds", *seeds); err != nil {
		return misuse(stderr, "suite", usage, err)
	}
	if err := s.CheckSelection(opt.Units, opt.Seeds); err != nil {
		return badInput(stderr, "suite", fmt.Errorf("--units/--seeds: %w", err))
	}
	if *requireIdentical && *baseline == "" {
		return misuse(stderr, "suite", usage, errors.New("--require-identical needs --baseline"))
	}
	var baselines []string
	if *baseline != "" {
		for _, l := range strings.Split(*baseline, ",") {
			if l = strings.TrimSpace(l); l == "" {
				return misuse(stderr, "suite", usage, fmt.Errorf("--baseline %q: an empty label", *baseline))
			}
			baselines = append(baselines, l)
		}
	}
	nopt := reports.NightlyOptions{Margin: *margin, Alpha: *alpha, RequireIdentical: *requireIdentical}
	return runSuite(s, opt, sf, baselines, nopt, f, *quiet, stdout, stderr)
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
