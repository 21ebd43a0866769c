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
	format := fs.String("format", "text", "output format: json or text")
	reps := fs.Int("reps", 15, "timed repetitions per workload (maml2_mini_task runs max(3, reps/3)), after 2 warm-up runs")
	only := fs.String("only", "", "comma-separated workloads to run ("+strings.Join(perf.Names(), ", ")+"); empty runs all")
	cpuProfile := fs.String("cpuprofile", "", "write a pprof CPU profile of the timed runs to this file")
	save := fs.Bool("save", false, "save the timings as a perf run in the results store (--store, --label): the dashboard's speed panels read them")
	sf := AddStoreFlags(fs)
	searchSteps := fs.String("search-steps", "1", "comma-separated inner-step counts T of the BASE search workloads (exact and finite-difference per T), e.g. 1,2,4")
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
		fmt.Fprintf(stderr, "metabench perf: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *format != "json" && *format != "text" {
		fmt.Fprintf(stderr, "metabench perf: --format must be json or text, got %q\n", *format)
		return 2
	}
	if *reps < 1 {
		fmt.Fprintf(stderr, "metabench perf: --reps must be at least 1, got %d\n", *reps)
		return 2
	}
	steps, err := parseInts("--search-steps", *searchSteps)
	if err == nil && slices.ContainsFunc(steps, func(t int) bool { return t < 1 }) {
		err = fmt.Errorf("--search-steps: %s: steps must be at least 1", *searchSteps)
	}
	if err != nil {
		fmt.Fprintf(stderr, "metabench perf: %v\n", err)
		return 2
	}
	known := perf.NamesFor(steps)
	names := splitList(*only)
	for _, n := range names {
		if !slices.Contains(known, n) {
			fmt.Fprintf(stderr, "metabench perf: --only: unknown workload %q (have %s)\n", n, strings.Join(known, ", "))
			return 2
		}
	}
	stopProf, err := startProfile(*cpuProfile)
	if err != nil {
		return fail(stderr, "perf", err)
	}
	defer stopProf()
	if !*save && (sf.Path != "" || sf.Label != "") {
		fmt.Fprintln(stderr, "metabench perf: --store and --label name where --save writes: add --save")
		return 2
	}
	var st *store.Store
	if *save { // open the store first: a bad one fails before minutes of timing
		if st, err = store.Open(ResolveStorePath(sf.Path, "")); err != nil {
			return badInput(stderr, "perf", err)
		}
		defer st.Close()
	}
	started := time.Now()
	rep, err := perf.Run(perf.Options{Reps: *reps, Only: names, SearchSteps: steps})
	if err != nil {
		return fail(stderr, "perf", err)
	}
	if st != nil {
		run := rep.PerfRun(sf.Label, started)
		if err := st.PutPerf(context.Background(), run); err != nil {
			return fail(stderr, "perf", err)
		}
		fmt.Fprintf(stderr, "saved perf run %s (%s) to %s\n", run.RunID, run.Machine(), st.Path())
	}
	if *format == "json" {
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
