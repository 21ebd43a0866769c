package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/metabench/metabench/publish"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
)

const publishUsage = `usage: metabench publish [--store PATH] --out DIR [--suite NAME ...] [--margin 0.01] [--alpha 0.05]

Writes the nightly dashboard of the results store as a static site into
DIR: index.html lists every suite's units and steps with the latest
night's accuracy, its 95% interval over seeds, the verdict of its last
check and a sparkline; one page per unit and step shows accuracy over the
nights (the interval as a band, each seed as a dot, regressions and
determinism breaks marked; hover a point for its date, label and commit)
above a table of the nights and the protocol and configuration of the
latest run. With perf runs in the store (metabench perf --save), a Speed
section per machine kind and one page per workload show each run's median
time, its repetitions and the runs that were slower or faster than the ones
before beyond the noise measured on that machine. A night is every record of
a suite with one label; each night
is checked against the one before it as ` + "`metabench suite --baseline`" + `
would (docs/NIGHTLY.md). The pages are plain HTML with inline SVG: no
script, no server, nothing fetched; open DIR/index.html from disk. The same
store gives the same bytes.

DIR is written whole or not at all (a temporary folder beside it, then a
rename). An existing DIR is replaced only when it is empty or a site that
publish wrote before.

--suite (repeatable, or NAME,NAME) publishes those suites only. The store
is --store, else $METABENCH_STORE, else results.db.

Exit status: 0 when the site is written; 2 on misuse and on bad input (no
such store, no suite records in it, a suite it does not hold, DIR a file
or a folder that is not a site); 1 when reading the store or writing the
site fails.

flags:
`

// listFlag is a repeatable flag whose values may also be comma lists.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x == "" {
			return fmt.Errorf("%q: an empty name", v)
		}
		*l = append(*l, x)
	}
	return nil
}

func cmdPublish(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("publish")
	storePath := fs.String("store", "", "results store: a SQLite file `PATH` or a postgres:// DSN (default: $"+StoreEnv+", then "+store.DefaultPath+")")
	out := fs.String("out", "", "the site's folder `DIR` (required)")
	var suites listFlag
	fs.Var(&suites, "suite", "publish suite `NAME` only (repeatable, or a comma list)")
	def := reports.DefaultNightlyOptions()
	margin := fs.Float64("margin", def.Margin, "largest drop (fraction, 0.01 = one point) that is not a regression in the night-to-night checks")
	alpha := fs.Float64("alpha", def.Alpha, "level of the one-sided regression test (Holm across a night's rows)")
	usage := flagUsage(publishUsage, fs)
	if err := parseFlagsOnly(fs, args); err != nil {
		return misuse(stderr, "publish", usage, err)
	}
	switch {
	case *out == "":
		return misuse(stderr, "publish", usage, errors.New("--out is required"))
	case *margin < 0 || math.IsNaN(*margin):
		return misuse(stderr, "publish", usage, fmt.Errorf("--margin %v: want >= 0", *margin))
	case !(*alpha > 0 && *alpha < 1):
		return misuse(stderr, "publish", usage, fmt.Errorf("--alpha %v: want 0 < alpha < 1", *alpha))
	}
	// refuse a bad --out before reading anything
	if err := publish.CheckOut(*out); err != nil {
		return badInput(stderr, "publish", err)
	}
	path := store.ResolvePath(*storePath, "")
	st, err := openExistingStore(path)
	if err != nil {
		return badInput(stderr, "publish", err)
	}
	defer st.Close()
	recs, err := st.List(context.Background(), store.Filter{})
	if err != nil {
		return fail(stderr, "publish", fmt.Errorf("reading store %s: %w", store.Redact(path), err))
	}
	perfRuns, err := st.ListPerf(context.Background(), "")
	if err != nil {
		return fail(stderr, "publish", fmt.Errorf("reading store %s: %w", store.Redact(path), err))
	}
	files, err := publish.Site(recs, publish.Options{Suites: suites, Nightly: reports.NightlyOptions{Margin: *margin, Alpha: *alpha}, Perf: perfRuns})
	switch {
	case errors.Is(err, publish.ErrNoSuiteRecords), errors.Is(err, publish.ErrUnknownSuite):
		return badInput(stderr, "publish", fmt.Errorf("store %s: %w", store.Redact(path), err))
	case err != nil:
		return fail(stderr, "publish", err)
	}
	if err := publish.Write(*out, files); err != nil {
		return fail(stderr, "publish", err)
	}
	pages := 0
	for n := range files {
		if strings.HasSuffix(n, ".html") {
			pages++
		}
	}
	fmt.Fprintf(stdout, "wrote %d pages to %s (open %s/%s)\n", pages, *out, strings.TrimSuffix(*out, "/"), publish.IndexFile)
	return 0
}

// badInput prints the one-line error of a command refused for its input
// and returns 2.
func badInput(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "metabench %s: %v\n", cmd, err)
	return 2
}
