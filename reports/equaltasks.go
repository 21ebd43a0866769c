package reports

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// TaskRun is one training run of one implementation tested after a number
// of meta-training tasks (meta-iterations times the meta-batch): its seed,
// its training seconds up to then and its accuracy on each test episode,
// in the order of the episodes both implementations share.
type TaskRun struct {
	Tasks    int
	Seed     int64
	TrainSec float64
	Episodes []float64
}

// TaskRow compares two implementations at one number of tasks: A the
// reference, B the candidate, each summarised over its seeds
// (SummarizeSeeds), their mean training seconds, and the contrast B - A
// over their independent seeds (ContrastIndependent; nil with ContrastErr
// set when there is none).
type TaskRow struct {
	Tasks       int
	A, B        SeedSummary
	SecA, SecB  float64
	Contrast    *IndependentContrast
	ContrastErr string
}

// Consistent reports whether the difference B - A lies within its
// seed-level interval, that is whether the 95% Welch interval of the
// difference holds 0; tested is false when there is no interval (fewer
// than two seeds on a side).
func (r TaskRow) Consistent() (ok, tested bool) {
	if r.Contrast == nil || !r.Contrast.Interval.Ok() {
		return false, false
	}
	return r.Contrast.Interval.Lo <= 0 && r.Contrast.Interval.Hi >= 0, true
}

// CompareAtTasks compares candidate runs b with reference runs a at every
// number of tasks both have, in increasing order. The two implementations
// draw their seeds independently, so the runs are not paired: the contrast
// is Welch's over the two sides' seeds (ContrastIndependent). It fails
// when the two share no number of tasks.
func CompareAtTasks(a, b []TaskRun) ([]TaskRow, error) {
	byTasks := func(runs []TaskRun) map[int][]TaskRun {
		m := map[int][]TaskRun{}
		for _, r := range runs {
			m[r.Tasks] = append(m[r.Tasks], r)
		}
		return m
	}
	ma, mb := byTasks(a), byTasks(b)
	var rows []TaskRow
	for tasks, ra := range ma {
		rb, ok := mb[tasks]
		if !ok {
			continue
		}
		rows = append(rows, compareRuns(tasks, ra, rb))
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("reports: the two sides share no number of tasks")
	}
	slices.SortFunc(rows, func(x, y TaskRow) int { return cmp.Compare(x.Tasks, y.Tasks) })
	return rows, nil
}

// compareRuns is one row of CompareAtTasks.
func compareRuns(tasks int, a, b []TaskRun) TaskRow {
	runs := func(rs []TaskRun) ([]Run, float64) {
		out := make([]Run, len(rs))
		var sec float64
		for i, r := range rs {
			out[i] = Run{Seed: r.Seed, Episodes: r.Episodes}
			sec += r.TrainSec / float64(len(rs))
		}
		slices.SortFunc(out, func(x, y Run) int { return cmp.Compare(x.Seed, y.Seed) })
		return out, sec
	}
	ra, secA := runs(a)
	rb, secB := runs(b)
	row := TaskRow{Tasks: tasks, A: SummarizeSeeds(ra), B: SummarizeSeeds(rb), SecA: secA, SecB: secB}
	c, err := ContrastIndependent(ra, rb)
	if err != nil {
		row.ContrastErr = err.Error()
		return row
	}
	row.Contrast = c
	return row
}

// TasksTable tabulates rows: per number of tasks each side's per-seed
// accuracies, mean and interval over seeds, mean training time, the
// difference nameB - nameA with its interval over seeds and whether it is
// consistent with no difference.
func TasksTable(rows []TaskRow, nameA, nameB string) *Table {
	t := &Table{
		Title: fmt.Sprintf("%s against %s at equal numbers of meta-training tasks", nameB, nameA),
		Header: []string{"tasks", nameA + " per seed", nameA + " (95% CI over seeds)", nameA + " train",
			nameB + " per seed", nameB + " (95% CI over seeds)", nameB + " train",
			nameB + " - " + nameA + " (points, 95% CI)", "df", "p", "within interval"},
		Notes: []string{
			"difference = " + nameB + " - " + nameA + " in points: the two sides' seeds are independent draws, so the runs are not paired; Welch t over both sides' seeds with the shared test episodes' variance, df by Welch-Satterthwaite (reports.ContrastIndependent, docs/STATISTICS.md)",
			"within interval: the 95% interval of the difference holds 0; with few seeds a side the interval is wide (2 seeds a side: t quantile about 4.3), so only a large difference fails",
			"train: mean training wall clock over seeds (evaluation excluded); timings only from the same quiet machine",
		},
	}
	for _, r := range rows {
		cells := []string{fmt.Sprint(r.Tasks), PerSeedCell(r.A), AccuracyCell(r.A), FormatDuration(r.SecA),
			PerSeedCell(r.B), AccuracyCell(r.B), FormatDuration(r.SecB)}
		t.Rows = append(t.Rows, append(cells, contrastCells(r, nameA, nameB)...))
	}
	return t
}

// contrastCells are a row's difference with its interval, df, p and the
// verdict: "yes", "NO", or "untested" saying which side has one seed.
func contrastCells(r TaskRow, nameA, nameB string) []string {
	c := r.Contrast
	if c == nil {
		return []string{r.ContrastErr, "-", "-", "-"}
	}
	diff := fmt.Sprintf("%+.2f", 100*c.Mean)
	ok, tested := r.Consistent()
	if !tested {
		var one []string
		for _, s := range []struct {
			name string
			k    int
		}{{nameA, c.KA}, {nameB, c.KB}} {
			if s.k < 2 {
				one = append(one, s.name)
			}
		}
		return []string{diff, "-", "-", fmt.Sprintf("untested (1 seed of %s)", strings.Join(one, " and "))}
	}
	diff += fmt.Sprintf(" [%+.2f, %+.2f]", 100*c.Interval.Lo, 100*c.Interval.Hi)
	if c.Interval.Clipped {
		diff += " (clipped)"
	}
	verdict := "NO"
	if ok {
		verdict = "yes"
	}
	return []string{diff, fmt.Sprintf("%.1f", c.DF), FormatP(c.P), verdict}
}

// halfWidth is the half width of a side's interval: over seeds, else over
// the one seed's episodes, else 0.
func halfWidth(s SeedSummary) float64 {
	if s.Interval.Ok() {
		return (s.Interval.Hi - s.Interval.Lo) / 2
	}
	if s.Conditional.Ok() {
		return (s.Conditional.Hi - s.Conditional.Lo) / 2
	}
	return 0
}

// TasksPlot draws both sides' mean accuracy (percent) with the half width
// of their interval over seeds against meta-training tasks (AxisIteration)
// or against their mean training wall clock (AxisWallClock).
func TasksPlot(rows []TaskRow, nameA, nameB string, axis CurveAxis) (*plot.Plot, error) {
	recs := []Record{{Label: nameA}, {Label: nameB}}
	for _, r := range rows {
		recs[0].Curve = append(recs[0].Curve, Point{Iter: r.Tasks, WallSec: r.SecA, Accuracy: r.A.Mean, CI95: halfWidth(r.A)})
		recs[1].Curve = append(recs[1].Curve, Point{Iter: r.Tasks, WallSec: r.SecB, Accuracy: r.B.Mean, CI95: halfWidth(r.B)})
	}
	p, err := CurvePlot(recs, axis)
	if err != nil {
		return nil, err
	}
	p.Legend.Top = false
	if axis == AxisIteration {
		p.Title.Text = "Test accuracy versus meta-training tasks (mean over seeds, 95% CI)"
		p.X.Label.Text = "meta-training tasks"
	} else {
		p.Title.Text = "Test accuracy versus training wall clock (mean over seeds, 95% CI)"
		p.X.Label.Text = "training wall clock (s)"
	}
	return p, nil
}

// WriteTasksPlots writes base_tasks and base_wallclock (PNG and SVG) of
// rows into dir and returns the paths written.
func WriteTasksPlots(dir, base string, rows []TaskRow, nameA, nameB string) ([]string, error) {
	var paths []string
	for _, ax := range []struct {
		suffix string
		axis   CurveAxis
	}{{"_tasks", AxisIteration}, {"_wallclock", AxisWallClock}} {
		p, err := TasksPlot(rows, nameA, nameB, ax.axis)
		if err != nil {
			return paths, err
		}
		ps, err := SavePlot(p, 7*vg.Inch, 4.5*vg.Inch, dir, base+ax.suffix)
		paths = append(paths, ps...)
		if err != nil {
			return paths, err
		}
	}
	return paths, nil
}

// WriteEqualTasksSection writes to a results page (Markdown) the
// comparison at equal tasks of the runs in the folder link (relative to
// the page): a heading, where the runs are, the table (TasksTable) and the
// figures.
func WriteEqualTasksSection(w io.Writer, link string, rows []TaskRow, nameA, nameB string, figures []PageFigure) error {
	p := &pageWriter{w: w}
	var tasks, ka, kb []string
	for _, r := range rows {
		tasks, ka, kb = append(tasks, fmt.Sprint(r.Tasks)), append(ka, fmt.Sprint(r.A.K())), append(kb, fmt.Sprint(r.B.K()))
	}
	p.printf("\n## %s against %s at equal tasks\n\n", nameB, nameA)
	p.printf("Runs: `%s/` (scripts/maml_vs_torch.sh), the same fixed test episodes on both sides; seeds at %s tasks: %s %s; %s %s.\n\n",
		link, strings.Join(tasks, ", "), nameA, strings.Join(ka, ", "), nameB, strings.Join(kb, ", "))
	if p.err == nil {
		p.err = TasksTable(rows, nameA, nameB).Render(w, FormatMarkdown)
	}
	for _, f := range figures {
		p.printf("\n![%s](%s)\n", f.Alt, f.Link)
	}
	return p.err
}
