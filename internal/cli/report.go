package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
)

const reportUsage = `usage: metabench report [--store PATH] [--format text|markdown|csv|json] [filters] [--plot DIR]

Prints one row per run of the results store, oldest first: run id, label,
method, dataset, protocol, accuracy with its 95% CI (percent), episodes,
parameters, wall time, and the paper's published number (docs/TARGETS.md)
with the gap to it where method, dataset, ways and shots match. --format json
prints the rows as structured objects (accuracies as fractions). --plot DIR
also writes PNG and SVG plots: accuracy versus meta-iteration and versus
wall-clock time, adaptation curves (accuracy versus inner steps) and the
methods side by side with CI bars.

--crossval prints, instead, one row per experiment run on two or more folds
of a k-fold split (config data.fold; runs that agree on everything else):
each fold's accuracy, the mean of the fold means with its Student-t 95%
interval over folds, all folds' episodes pooled, and the lowest fold. The
latest run of a fold counts.

The store is --store, else $METABENCH_STORE, else results.db.

flags:
`

func cmdReport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report")
	storePath := fs.String("store", "", "results store `PATH`")
	format := fs.String("format", "text", "output format: text, markdown, csv or json")
	method := fs.String("method", "", "only runs of this method")
	label := fs.String("label", "", "only runs with this label")
	kind := fs.String("kind", "", "only runs of this kind: train, eval or search")
	dataset := fs.String("dataset", "", "only runs on this dataset (omniglot, miniimagenet, ...)")
	ways := fs.Int("ways", 0, "only N-way runs")
	shots := fs.Int("shots", 0, "only K-shot runs")
	limit := fs.Int("limit", 0, "only the latest N matching runs (0: all)")
	plotDir := fs.String("plot", "", "write plots to `DIR`")
	crossval := fs.Bool("crossval", false, "summarise runs over the folds of a k-fold split (data.fold)")
	if err := parseFlagsOnly(fs, args); err != nil {
		return misuse(stderr, "report", flagUsage(reportUsage, fs), err)
	}
	f, err := reports.ParseFormat(*format)
	if err != nil {
		return misuse(stderr, "report", flagUsage(reportUsage, fs), fmt.Errorf("--format: %w", err))
	}
	if *ways < 0 || *shots < 0 || *limit < 0 {
		return misuse(stderr, "report", flagUsage(reportUsage, fs), fmt.Errorf("--ways, --shots and --limit must be >= 0"))
	}
	switch *kind {
	case "", "train", "eval", "search":
	default:
		return misuse(stderr, "report", flagUsage(reportUsage, fs), fmt.Errorf("--kind %q: want train, eval or search", *kind))
	}
	s, err := openExistingStore(ResolveStorePath(*storePath, ""))
	if err != nil {
		return fail(stderr, "report", err)
	}
	defer s.Close()
	path := s.Path() // a DSN's password masked
	recs, err := s.List(context.Background(), store.Filter{
		Method: *method, Label: *label, Kind: *kind, Dataset: *dataset, Ways: *ways, Shots: *shots, Limit: *limit,
	})
	if err != nil {
		return fail(stderr, "report", err)
	}
	if *crossval {
		return reportCrossVal(recs, path, f, stdout, stderr)
	}
	rows := reports.NewRunRows(recs)
	if len(rows) == 0 {
		fmt.Fprintf(stderr, "metabench report: no runs in %s match the filters\n", path)
	}
	if f == reports.FormatJSON {
		if rows == nil {
			rows = []reports.RunRow{}
		}
		if err := writeIndentedJSON(stdout, rows); err != nil {
			return fail(stderr, "report", err)
		}
	} else {
		tbl := reports.RunsTable(rows)
		if f == reports.FormatText || f == reports.FormatMarkdown {
			tbl.Title = fmt.Sprintf("runs: %d from %s", len(rows), path)
			tbl.Notes = []string{"accuracy: mean query accuracy over test episodes, ± 1.96·s/sqrt(n); Δ paper: run minus published, in points"}
		}
		if err := tbl.Render(stdout, f); err != nil {
			return fail(stderr, "report", err)
		}
	}
	if *plotDir != "" {
		paths, err := reports.WritePlots(*plotDir, recs)
		if err != nil {
			return fail(stderr, "report", fmt.Errorf("plots in %s: %w", *plotDir, err))
		}
		fmt.Fprintf(stderr, "metabench report: wrote %d plot files to %s\n", len(paths), *plotDir)
	}
	return 0
}

// reportCrossVal prints the cross-validations among recs.
func reportCrossVal(recs []reports.Record, path string, f reports.Format, stdout, stderr io.Writer) int {
	cvs, err := reports.CrossValidate(recs)
	if err != nil {
		return fail(stderr, "report", err)
	}
	if len(cvs) == 0 {
		fmt.Fprintf(stderr, "metabench report: no experiment in %s matching the filters was run on two or more folds (data.fold)\n", path)
	}
	if f == reports.FormatJSON {
		if cvs == nil {
			cvs = []reports.CrossVal{}
		}
		if err := writeIndentedJSON(stdout, cvs); err != nil {
			return fail(stderr, "report", err)
		}
		return 0
	}
	tbl := reports.CrossValTable(cvs)
	if f == reports.FormatText || f == reports.FormatMarkdown {
		tbl.Title = fmt.Sprintf("cross-validation: %d experiments from %s", len(cvs), path)
		tbl.Notes = []string{"mean of folds: mean of the fold means ± t(0.975, k-1)·s/sqrt(k) over the k folds; pooled: every test episode of every fold as one sample, ± 1.96·s/sqrt(n)"}
	}
	if err := tbl.Render(stdout, f); err != nil {
		return fail(stderr, "report", err)
	}
	return 0
}

// writeIndentedJSON writes v to w as indented JSON (the --format json output
// of report and compare).
func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}
