package reports

import (
	"cmp"
	"fmt"
	"slices"

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
// over seeds (ContrastSeeds; nil with ContrastErr set when there is none).
type TaskRow struct {
	Tasks       int
	A, B        SeedSummary
	SecA, SecB  float64
	Contrast    *SeedContrast
	ContrastErr string
}

// Consistent reports whether the difference B - A lies within its
// seed-level interval, that is whether the 95% interval of the mean
// difference over seeds holds 0; tested is false when there is no interval
// (fewer than two common seeds).
func (r TaskRow) Consistent() (ok, tested bool) {
	if r.Contrast == nil || r.Contrast.K() < 2 || !r.Contrast.Interval.Ok() {
		return false, false
	}
	return r.Contrast.Interval.Lo <= 0 && r.Contrast.Interval.Hi >= 0, true
}

// CompareAtTasks compares candidate runs b with reference runs a at every
// number of tasks both have, in increasing order. Runs are paired by seed
// number for the contrast: when the two implementations draw their seeds
// independently the pairing is arbitrary, which leaves the t interval over
// seeds valid. It fails when the two share no number of tasks.
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
	c, err := ContrastSeeds(ra, rb)
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
		Header: append([]string{"tasks", nameA + " per seed", nameA + " (95% CI over seeds)", nameA + " train",
			nameB + " per seed", nameB + " (95% CI over seeds)", nameB + " train"}, append(ContrastHeader(nameA), "within interval")...),
		Notes: []string{
			"difference = " + nameB + " - " + nameA + " in points, runs paired by seed number (independent draws: the pairing is arbitrary), Student t over seeds (reports.ContrastSeeds)",
			"within interval: the 95% interval of the difference holds 0; with 2 seeds the t quantile is 12.7, so only a large difference fails",
			"train: mean training wall clock over seeds (evaluation excluded); timings only from the same quiet machine",
		},
	}
	for _, r := range rows {
		cells := []string{fmt.Sprint(r.Tasks), PerSeedCell(r.A), AccuracyCell(r.A), FormatDuration(r.SecA),
			PerSeedCell(r.B), AccuracyCell(r.B), FormatDuration(r.SecB)}
		if r.Contrast == nil {
			cells = append(cells, r.ContrastErr, "-", "-", "-", "-")
		} else {
			cells = append(cells, ContrastCells(r.Contrast)...)
			cells = append(cells, verdictCell(r))
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

// verdictCell is "yes", "NO" or "untested (1 seed)".
func verdictCell(r TaskRow) string {
	ok, tested := r.Consistent()
	switch {
	case !tested:
		return fmt.Sprintf("untested (%d common seed)", r.Contrast.K())
	case ok:
		return "yes"
	}
	return "NO"
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
