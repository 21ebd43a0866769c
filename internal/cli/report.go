package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
	"github.com/metabench/metabench/suite"
	"gonum.org/v1/plot"
)

const reportUsage = `usage: metabench report [--store PATH | --records DIR] [--format text|markdown|csv|json] [filters] [--plot DIR]
       metabench report --records DIR --format markdown --page

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

--records DIR reads the records from JSON files instead of a store: every
*.json file of DIR (or the one file DIR) holding a record (record.json as
train, eval and search write it) or a saved --crossval --format json
summary; other .json files are named on stderr and skipped. Records are
ordered by start time; the filters do not apply to them. --crossval over
--records also shows a saved summary whose fold records are not in DIR.

--suite NAME prints the table of a suite run (metabench suite): one row per
unit and step, with the training run (seed) as the unit of replication:
each seed's accuracy, their mean with a Student-t 95% interval over seeds
(with the shared episodes' variance, clipped to [0, 100]; one seed: no interval over training runs, only the
interval over that model's episodes, so labelled), the paper's number,
iterations, training time, CPU time and parameters. --label picks the run;
without it, the latest. --against UNIT adds, per row, the contrast with
UNIT's row on the same test episodes over the seeds both ran: the mean of
the per-seed differences with its t interval, the paired t p-value over
seeds (Holm-adjusted across the table's rows), the exact sign-flip p-value
with the smallest value it can reach at that many seeds, and P(row > UNIT)
over seed pairs (docs/STATISTICS.md). --power prints instead, per row, the
smallest difference its seeds can detect at alpha 0.05 with 80% power (from
the observed seed-to-seed spread; paired with --against UNIT) and the seeds
a difference of --power-diff needs. --genotypes prints instead, per search
unit, each seed's derived cells node by node (a node's two edges as an
unordered pair) and the share of edges two seeds have in common (the
stability of the search across seeds); with --plot DIR it also draws each
search's convergence curve (entropy of softmax(alpha) per cell against the
iteration: arch.png/svg). --curves prints instead the adapt
units' curves (the paper's Figure 4): test accuracy after every epoch, mean
and 95% interval over seeds, per target and way of training (architecture
adapted, frozen, super-network from scratch), and the seed-level contrast
of adapted against each other way after the last epoch on the same test
images (McNemar per seed as a diagnostic within it); with --plot DIR it
also draws them (figure4.png/svg). --plateau prints instead, per training
row, the validation curve over seeds (validation alphabets, never the test
ones) and, at each iteration I, the gain since I/2 paired by seed, and the
first I where a doubling gained less than --plateau-gain (default one
point): the budget where the curve flattens. The gains need points at exact
doublings, which eval.every_iterations gives; with --plot DIR it draws the
curves (plateau.png/svg).

--page (with --records and --format markdown) prints the whole results
page: a line naming the command that generated it, one row per record with
the paper's number beside it, the cross-validations, the machines and the
protocol, then a section per subfolder of DIR holding a suite's records (its
table paired with the reference unit its suite.yaml names, the searched
genotypes across seeds, the adaptation curves). It depends on the records
alone (rows in a fixed order, datasets by name, no paths, no time of
generation), so
  metabench report --records docs/records --format markdown --page > docs/RESULTS.md
(make results) regenerates docs/RESULTS.md byte for byte.

flags:
`

func cmdReport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report")
	rf := addReportFlags(fs)
	if err := parseFlagsOnly(fs, args); err != nil {
		return misuse(stderr, "report", flagUsage(reportUsage, fs), err)
	}
	f, err := rf.check()
	if err != nil {
		return misuse(stderr, "report", flagUsage(reportUsage, fs), err)
	}
	set, path, err := rf.records(stderr)
	if err != nil {
		return fail(stderr, "report", err)
	}
	recs := set.All()
	switch {
	case rf.suiteName != "":
		sr := suiteReport{name: rf.suiteName, label: rf.filter.Label, against: rf.against, genotypes: rf.genotypes, curves: rf.curves, plotDir: rf.plotDir, power: rf.power, powerDiff: rf.powerDiff, plateau: rf.plateau, plateauGain: rf.plateauGain}
		return reportSuite(recs, sr, path, f, stdout, stderr)
	case rf.page:
		dir := relativeDir(path)
		src := reports.PageSource{Dir: dir, Command: "metabench report --records " + dir + " --format markdown --page"}
		if err := suite.WritePage(stdout, set, src, path); err != nil {
			return fail(stderr, "report", err)
		}
		return 0
	case rf.crossval:
		return reportCrossVal(set, path, f, stdout, stderr)
	}
	return reportRuns(recs, path, f, rf.plotDir, stdout, stderr)
}

// reportFlags are report's flags; filter holds the store's filters.
type reportFlags struct {
	storePath, format, recordsDir, plotDir, suiteName, against string
	crossval, page, genotypes, power, curves, plateau          bool
	powerDiff, plateauGain                                     float64
	filter                                                     store.Filter
}

// addReportFlags registers report's flags on fs.
func addReportFlags(fs *flag.FlagSet) *reportFlags {
	rf := &reportFlags{}
	fl := &rf.filter
	fs.StringVar(&rf.storePath, "store", "", "results store `PATH`")
	fs.StringVar(&rf.format, "format", "text", "output format: text, markdown, csv or json")
	fs.StringVar(&fl.Method, "method", "", "only runs of this method")
	fs.StringVar(&fl.Label, "label", "", "only runs with this label")
	fs.StringVar(&fl.Kind, "kind", "", "only runs of this kind: "+experiment.KindNames(experiment.Kinds()))
	fs.StringVar(&fl.Dataset, "dataset", "", "only runs on this dataset (omniglot, miniimagenet, ...)")
	fs.IntVar(&fl.Ways, "ways", 0, "only N-way runs")
	fs.IntVar(&fl.Shots, "shots", 0, "only K-shot runs")
	fs.IntVar(&fl.Limit, "limit", 0, "only the latest N matching runs (0: all)")
	fs.StringVar(&rf.plotDir, "plot", "", "write plots to `DIR`")
	fs.BoolVar(&rf.crossval, "crossval", false, "summarise runs over the folds of a k-fold split (data.fold)")
	fs.StringVar(&rf.recordsDir, "records", "", "read the records from the JSON files in `DIR` (or one file) instead of a store")
	fs.BoolVar(&rf.page, "page", false, "print the whole results page (with --records and --format markdown)")
	fs.StringVar(&rf.suiteName, "suite", "", "the table of suite `NAME`: one row per unit, mean and 95% CI over seeds (with --label, that run; default: the latest label)")
	fs.BoolVar(&rf.genotypes, "genotypes", false, "with --suite: instead of the table, how the search units' derived genotypes agree across seeds (per node)")
	fs.StringVar(&rf.against, "against", "", "with --suite: a paired test of every row against unit `UNIT`'s row on the same test episodes")
	fs.BoolVar(&rf.power, "power", false, "with --suite: instead of the table, per row the smallest difference its seeds detect (alpha 0.05, power 0.8) and the seeds --power-diff needs")
	fs.Float64Var(&rf.powerDiff, "power-diff", 0.01, "with --power: the difference (fraction, 0.01 = one point) whose needed seeds are printed")
	fs.BoolVar(&rf.plateau, "plateau", false, "with --suite: instead of the table, the training rows' validation curves over seeds and the gain over each doubling of the iterations (a plateau budget; eval.every_iterations)")
	fs.Float64Var(&rf.plateauGain, "plateau-gain", suite.DefaultPlateauGain, "with --plateau: the gain over a doubling (fraction, 0.01 = one point) below which a curve counts as flat")
	fs.BoolVar(&rf.curves, "curves", false, "with --suite: instead of the table, the adaptation curves over seeds (Figure 4) and adapted-against-frozen/scratch paired tests")
	return rf
}

// check returns the output format, or the usage error of flags that do
// not go together.
func (rf *reportFlags) check() (reports.Format, error) {
	f, err := reports.ParseFormat(rf.format)
	if err != nil {
		return f, fmt.Errorf("--format: %w", err)
	}
	fl := rf.filter
	switch {
	case fl.Ways < 0 || fl.Shots < 0 || fl.Limit < 0:
		return f, fmt.Errorf("--ways, --shots and --limit must be >= 0")
	case (rf.against != "" || rf.genotypes || rf.curves) && rf.suiteName == "":
		return f, fmt.Errorf("--against, --genotypes and --curves need --suite NAME")
	case rf.power && rf.suiteName == "":
		return f, fmt.Errorf("--power needs --suite NAME")
	case rf.power && (rf.curves || rf.genotypes):
		return f, fmt.Errorf("--power: not with --curves or --genotypes")
	case !(rf.powerDiff > 0 && rf.powerDiff < 1):
		return f, fmt.Errorf("--power-diff %v: want a fraction in (0, 1)", rf.powerDiff)
	case rf.curves && (rf.genotypes || rf.against != ""):
		return f, fmt.Errorf("--curves: not with --genotypes or --against")
	case rf.plateau && rf.suiteName == "":
		return f, fmt.Errorf("--plateau needs --suite NAME")
	case rf.plateau && (rf.curves || rf.genotypes || rf.power || rf.against != ""):
		return f, fmt.Errorf("--plateau: not with --curves, --genotypes, --power or --against")
	case !(rf.plateauGain > 0 && rf.plateauGain < 1):
		return f, fmt.Errorf("--plateau-gain %v: want a fraction in (0, 1)", rf.plateauGain)
	case rf.suiteName != "" && rf.plotDir != "" && !rf.curves && !rf.genotypes && !rf.plateau:
		return f, fmt.Errorf("--plot with --suite needs --curves, --genotypes or --plateau")
	}
	if fl.Kind != "" {
		if _, err := experiment.LookupKind(fl.Kind); err != nil {
			return f, fmt.Errorf("--kind %w", err)
		}
	}
	if rf.recordsDir != "" || rf.page {
		return f, checkRecordsFlags(rf.recordsDir, rf.storePath, rf.page, f, fl)
	}
	return f, nil
}

// records reads what report works on: the files of --records (naming on
// stderr those it skips), else the records of the store that pass the
// filters. path names the source in messages (a DSN's password masked).
func (rf *reportFlags) records(stderr io.Writer) (set *reports.RecordSet, path string, err error) {
	if rf.recordsDir != "" {
		if set, err = reports.ReadRecordSet(rf.recordsDir); err != nil {
			return nil, "", err
		}
		for _, name := range set.Skipped {
			fmt.Fprintf(stderr, "metabench report: %s: neither a record nor a cross-validation summary, skipped\n", name)
		}
		return set, rf.recordsDir, nil
	}
	s, err := openExistingStore(store.ResolvePath(rf.storePath, ""))
	if err != nil {
		return nil, "", err
	}
	defer s.Close()
	recs, err := s.List(context.Background(), rf.filter)
	if err != nil {
		return nil, "", err
	}
	return reports.RecordSetOf(recs), s.Path(), nil
}

// reportRuns prints one row per record (and with --plot writes the plots).
func reportRuns(recs []reports.Record, path string, f reports.Format, plotDir string, stdout, stderr io.Writer) int {
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
			tbl.Notes = []string{reports.RunsNote}
		}
		if err := tbl.Render(stdout, f); err != nil {
			return fail(stderr, "report", err)
		}
	}
	if plotDir != "" {
		paths, err := reports.WritePlots(plotDir, recs)
		if err != nil {
			return fail(stderr, "report", fmt.Errorf("plots in %s: %w", plotDir, err))
		}
		fmt.Fprintf(stderr, "metabench report: wrote %d plot files to %s\n", len(paths), plotDir)
	}
	return 0
}

// relativeDir is dir relative to the working directory (its base name when
// it has none), with forward slashes, so that a page never names an absolute
// path.
func relativeDir(dir string) string {
	if filepath.IsAbs(dir) {
		wd, err := os.Getwd()
		rel, relErr := filepath.Rel(wd, dir)
		if err != nil || relErr != nil {
			rel = filepath.Base(dir)
		}
		dir = rel
	}
	return filepath.ToSlash(filepath.Clean(dir))
}

// checkRecordsFlags checks the flags that go with --records and --page:
// --page needs --records and Markdown; --records excludes --store and the
// filters.
func checkRecordsFlags(recordsDir, storePath string, page bool, f reports.Format, filter store.Filter) error {
	switch {
	case recordsDir == "":
		return fmt.Errorf("--page needs --records DIR")
	case page && f != reports.FormatMarkdown:
		return fmt.Errorf("--page prints Markdown only: add --format markdown")
	case storePath != "":
		return fmt.Errorf("--records and --store are two sources: give one")
	case filter != store.Filter{}:
		return fmt.Errorf("the filters apply to a store, not to --records")
	}
	return nil
}

// reportCrossVal prints the cross-validations of the records of set and
// the saved summaries whose fold records it lacks.
func reportCrossVal(set *reports.RecordSet, path string, f reports.Format, stdout, stderr io.Writer) int {
	withSources, err := set.CrossValidations()
	if err != nil {
		return fail(stderr, "report", err)
	}
	var cvs []reports.CrossVal
	for _, cv := range withSources {
		cvs = append(cvs, cv.CrossVal)
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
		tbl.Notes = []string{reports.CrossValNote}
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

// suiteReport is what report --suite prints.
type suiteReport struct {
	name, label, against string
	genotypes, curves    bool
	plotDir              string
	power, plateau       bool
	powerDiff            float64
	plateauGain          float64
}

// reportSuite prints the table of suite name's run with label (the latest
// label when empty).
func reportSuite(recs []reports.Record, sr suiteReport, path string, f reports.Format, stdout, stderr io.Writer) int {
	name, against := sr.name, sr.against
	sel, label, version := suite.SelectLatest(recs, name, sr.label)
	if len(sel) == 0 {
		return fail(stderr, "report", fmt.Errorf("--suite %s: no records of that suite in %s", name, path))
	}
	rows := suite.Rows(sel)
	if sr.plateau {
		return reportPlateau(sr, label, version, rows, f, stdout, stderr)
	}
	if sr.curves {
		return reportCurves(sr, label, version, rows, f, stdout, stderr)
	}
	if sr.genotypes {
		sts, err := suite.GenotypeStability(rows)
		if err != nil {
			return fail(stderr, "report", err)
		}
		if len(sts) == 0 {
			return fail(stderr, "report", fmt.Errorf("--genotypes: suite %s (label %s) has no search records", name, label))
		}
		for _, st := range sts {
			if err := suite.StabilityTable(st).Render(stdout, f); err != nil {
				return fail(stderr, "report", err)
			}
		}
		if sr.plotDir != "" {
			return plotArch(sr, label, rows, stderr)
		}
		return 0
	}
	var vs map[*suite.Row]suite.Pair
	if against != "" {
		if !slices.ContainsFunc(rows, func(r *suite.Row) bool { return r.Unit == against }) {
			return fail(stderr, "report", fmt.Errorf("--against %s: no unit of that name in suite %s (label %s)", against, name, label))
		}
		vs = suite.Against(rows, against)
	}
	if sr.power {
		if err := suite.PowerTable(name, version, against, suite.Powers(rows, vs, sr.powerDiff)).Render(stdout, f); err != nil {
			return fail(stderr, "report", err)
		}
		return 0
	}
	if err := suite.Table(name, version, label, rows, against, vs).Render(stdout, f); err != nil {
		return fail(stderr, "report", err)
	}
	return 0
}

// plotArch draws the search units' convergence curves (arch.png/svg).
func plotArch(sr suiteReport, label string, rows []*suite.Row, stderr io.Writer) int {
	series, err := suite.ArchSeries(rows)
	if err != nil {
		return fail(stderr, "report", err)
	}
	if len(series) == 0 {
		return fail(stderr, "report", fmt.Errorf("--genotypes --plot: suite %s (label %s) has no search records with convergence curves", sr.name, label))
	}
	p, err := reports.ArchPlot(fmt.Sprintf("%s: architecture entropy during the search, per seed", sr.name), series)
	return savePlot(p, err, sr.plotDir, "arch", stderr)
}

// savePlot writes p (made with error err) as DIR/BASE.png and .svg and
// says where; it returns the command's exit code.
func savePlot(p *plot.Plot, err error, dir, base string, stderr io.Writer) int {
	if err != nil {
		return fail(stderr, "report", err)
	}
	paths, err := reports.SaveFigure(p, dir, base)
	if err != nil {
		return fail(stderr, "report", fmt.Errorf("--plot %s: %w", dir, err))
	}
	fmt.Fprintf(stderr, "metabench report: wrote %s\n", strings.Join(paths, ", "))
	return 0
}

// reportCurves prints (and with --plot draws) a suite's adaptation curves.
func reportCurves(sr suiteReport, label string, version int, rows []*suite.Row, f reports.Format, stdout, stderr io.Writer) int {
	curves := suite.Curves(rows)
	if len(curves) == 0 {
		return fail(stderr, "report", fmt.Errorf("--curves: suite %s (label %s) has no adaptation records", sr.name, label))
	}
	contrasts := suite.Contrasts(curves)
	if err := suite.CurvesTable(sr.name, version, label, curves, contrasts).Render(stdout, f); err != nil {
		return fail(stderr, "report", err)
	}
	if sr.plotDir == "" {
		return 0
	}
	p, err := suite.CurvesFigure(fmt.Sprintf("%s: adaptation (Figure 4), mean and 95%% CI over seeds", sr.name), curves)
	return savePlot(p, err, sr.plotDir, "figure4", stderr)
}

// reportPlateau prints (and with --plot draws) the validation curves of a
// suite's training rows and the gain over each doubling.
func reportPlateau(sr suiteReport, label string, version int, rows []*suite.Row, f reports.Format, stdout, stderr io.Writer) int {
	ps := suite.Plateaus(rows, sr.plateauGain)
	if len(ps) == 0 {
		return fail(stderr, "report", fmt.Errorf("--plateau: suite %s (label %s) has no records with validation curves (eval.val_episodes; metatrain: eval.val_tasks)", sr.name, label))
	}
	if err := suite.PlateauTable(sr.name, version, label, ps).Render(stdout, f); err != nil {
		return fail(stderr, "report", err)
	}
	if sr.plotDir == "" {
		return 0
	}
	var recs []reports.Record
	for _, p := range ps {
		for _, rec := range p.Row.Records {
			r := *rec
			r.Curve = rec.ValidationCurve()
			recs = append(recs, r)
		}
	}
	p, err := reports.CurvePlot(recs, reports.AxisIteration)
	return savePlot(p, err, sr.plotDir, "plateau", stderr)
}
