package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/metabench/metabench/reports"
)

const vsRefUsage = `usage: metabench vsref --metabench RECORDS --reference RESULTS [--plots DIR --name BASE] [--format text|markdown|csv|json]

Compares metabench's MAML with a reference implementation (the PyTorch
scripts/maml_reference.py) at equal numbers of meta-training tasks, on the
test episodes both score (exported by "metabench episodes --experiment").
RECORDS are metabench train records (record.json of a run folder, copied
after each stage of a staged run: scripts/maml_vs_torch.sh); their tasks
are iterations x meta_batch. RESULTS are the reference's JSON files (one
per seed, with one point per evaluated task count). Both flags repeat and
take glob patterns.

Per number of tasks it prints each side's per-seed accuracies, their mean
and 95% interval over seeds (the project's seed statistics), the mean
training wall clock, and the difference metabench - reference with its
Welch interval over the two sides' seeds, which are independent draws and
not paired (docs/STATISTICS.md); "within interval" says whether that
interval holds 0. --plots writes
DIR/BASE_tasks and DIR/BASE_wallclock (PNG and SVG): both sides' accuracy
against tasks and against training wall clock.

flags:
`

func cmdVsRef(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("vsref")
	var ours, refs setFlags
	fs.Var(&ours, "metabench", "metabench record `PATH` or glob (repeatable)")
	fs.Var(&refs, "reference", "reference results `PATH` or glob (repeatable)")
	plots := fs.String("plots", "", "write the two plots into `DIR`")
	name := fs.String("name", "maml_vs_torch", "file name `BASE` of the plots")
	format := fs.String("format", "text", "table format: text, markdown, csv or json")
	usage := flagUsage(vsRefUsage, fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return misuse(stderr, "vsref", usage, err)
	}
	f, ferr := reports.ParseFormat(*format)
	switch {
	case len(pos) > 0:
		err = fmt.Errorf("unexpected argument %q", pos[0])
	case len(ours) == 0 || len(refs) == 0:
		err = errors.New("--metabench and --reference are both required")
	case ferr != nil:
		err = fmt.Errorf("--format: %w", ferr)
	}
	if err != nil {
		return misuse(stderr, "vsref", usage, err)
	}
	a, err := reports.ReadTaskRuns(refs, reports.ReferenceTaskRuns)
	if err != nil {
		return fail(stderr, "vsref", fmt.Errorf("--reference: %w", err))
	}
	b, err := reports.ReadTaskRuns(ours, reports.RecordTaskRuns)
	if err != nil {
		return fail(stderr, "vsref", fmt.Errorf("--metabench: %w", err))
	}
	rows, err := reports.CompareAtTasks(a, b)
	if err != nil {
		return fail(stderr, "vsref", err)
	}
	if err := reports.TasksTable(rows, "pytorch", "metabench").Render(stdout, f); err != nil {
		return fail(stderr, "vsref", err)
	}
	if *plots != "" {
		paths, err := reports.WriteTasksPlots(*plots, *name, rows, "pytorch", "metabench")
		if err != nil {
			return fail(stderr, "vsref", err)
		}
		if f != reports.FormatJSON && f != reports.FormatCSV {
			fmt.Fprintf(stdout, "plots: %v\n", paths)
		}
	}
	return 0
}
