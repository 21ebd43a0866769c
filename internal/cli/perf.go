package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/metabench/metabench/internal/perf"
	"github.com/metabench/metabench/store"
)

// cmdPerf runs the standard performance workloads (those of
// ../shared/peer/torch_bench.py, same names and shapes, float32, on all the
// cores GOMAXPROCS allows) and prints their timings, the peak memory and the
// matrix-product path.
func cmdPerf(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("perf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pf := addPerfFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: metabench perf [--format json|text] [--reps N] [--only a,b] [--search-steps 1,2,4] [--cpuprofile FILE] [--save [--store PATH] [--label NAME]]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		return badInput(stderr, "perf", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	opts, err := pf.options()
	if err != nil {
		return badInput(stderr, "perf", err)
	}
	stopProf, err := startProfile(pf.cpuProfile, stderr)
	if err != nil {
		return fail(stderr, "perf", err)
	}
	defer stopProf()
	if !pf.save && (pf.store.Path != "" || pf.store.Label != "") {
		return badInput(stderr, "perf", errors.New("--store and --label name where --save writes: add --save"))
	}
	var st *store.Store
	if pf.save { // open the store first: a bad one fails before minutes of timing
		if st, err = store.Open(store.ResolvePath(pf.store.Path, "")); err != nil {
			return badInput(stderr, "perf", err)
		}
		defer st.Close()
	}
	started := time.Now()
	rep, err := perf.Run(opts)
	if err != nil {
		return fail(stderr, "perf", err)
	}
	if st != nil {
		run := rep.PerfRun(pf.store.Label, started)
		if err := st.PutPerf(context.Background(), run); err != nil {
			return fail(stderr, "perf", err)
		}
		fmt.Fprintf(stderr, "saved perf run %s (%s) to %s\n", run.RunID, run.Machine(), st.Path())
	}
	if pf.format == "json" {
		b, err := rep.JSON()
		if err == nil {
			_, err = stdout.Write(b)
		}
		if err != nil {
			return fail(stderr, "perf", err)
		}
		return 0
	}
	if err := rep.WriteText(stdout); err != nil {
		return fail(stderr, "perf", err)
	}
	return 0
}

// perfFlags are perf's flags.
type perfFlags struct {
	format, only, cpuProfile, searchSteps string
	reps                                  int
	save                                  bool
	store                                 *StoreFlags
}

// addPerfFlags registers perf's flags on fs.
func addPerfFlags(fs *flag.FlagSet) *perfFlags {
	pf := &perfFlags{}
	fs.StringVar(&pf.format, "format", "text", "output format: json or text")
	fs.IntVar(&pf.reps, "reps", 15, "timed repetitions per workload (maml2_mini_task runs max(3, reps/3)), after 2 warm-up runs")
	fs.StringVar(&pf.only, "only", "", "comma-separated workloads to run ("+strings.Join(perf.Names(), ", ")+"); empty runs all")
	fs.StringVar(&pf.cpuProfile, "cpuprofile", "", "write a pprof CPU profile of the timed runs to this file")
	fs.BoolVar(&pf.save, "save", false, "save the timings as a perf run in the results store (--store, --label): the dashboard's speed panels read them")
	pf.store = AddStoreFlags(fs)
	fs.StringVar(&pf.searchSteps, "search-steps", "1", "comma-separated inner-step counts T of the BASE search workloads (exact and finite-difference per T), e.g. 1,2,4")
	return pf
}

// options checks the flags and returns the run's options, or the usage
// error naming the flag.
func (pf *perfFlags) options() (perf.Options, error) {
	if pf.format != "json" && pf.format != "text" {
		return perf.Options{}, fmt.Errorf("--format must be json or text, got %q", pf.format)
	}
	if pf.reps < 1 {
		return perf.Options{}, fmt.Errorf("--reps must be at least 1, got %d", pf.reps)
	}
	steps, err := parseInts("--search-steps", pf.searchSteps)
	if err == nil && slices.ContainsFunc(steps, func(t int) bool { return t < 1 }) {
		err = fmt.Errorf("--search-steps: %s: steps must be at least 1", pf.searchSteps)
	}
	if err != nil {
		return perf.Options{}, err
	}
	known := perf.NamesFor(steps)
	names := splitList(pf.only)
	for _, n := range names {
		if !slices.Contains(known, n) {
			return perf.Options{}, fmt.Errorf("--only: unknown workload %q (have %s)", n, strings.Join(known, ", "))
		}
	}
	return perf.Options{Reps: pf.reps, Only: names, SearchSteps: steps}, nil
}
