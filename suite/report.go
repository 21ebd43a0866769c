package suite

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search"
)

// Row is one line of a suite's table: one step of one unit (for adapt
// units, one target and row), over the seeds that ran.
type Row struct {
	Unit, Step, Method, Model, Protocol string
	Seeds                               []int64
	// Accuracy is over training runs: each seed's mean over the test
	// episodes, their mean and the interval over seeds
	// (reports.SummarizeSeeds); K() is 0 for a row that scores nothing (a
	// search).
	Accuracy         reports.SeedSummary
	Paper            string
	Iters            float64           // mean over seeds
	TrainSec, CPUSec float64           // mean over seeds
	Records          []*reports.Record // by seed
}

// Runs are the row's training runs: per seed, its per-episode results (a
// record with a summary but no episodes gives its mean as one value), or
// nil when the row scores nothing. A tuning run that ran no test
// (reports.Record.NoTest) scores nothing here: its summary is a validation
// accuracy (ValidationCell shows it).
func (r *Row) Runs() []reports.Run {
	var out []reports.Run
	for i, rec := range r.Records {
		switch {
		case rec.NoTest():
		case len(rec.Episodes) > 0:
			out = append(out, reports.Run{Seed: r.Seeds[i], Episodes: rec.Episodes})
		case rec.Summary.N > 0:
			out = append(out, reports.Run{Seed: r.Seeds[i], Episodes: []float64{rec.Summary.Mean}})
		}
	}
	return out
}

// meanCPUSec is the mean CPU time of recs, over those whose CPU time is
// whole: a run resumed from a checkpoint that kept no CPU time
// (cpu_sec_partial) counts only its last sittings, so it is left out
// unless every record is such a run.
func meanCPUSec(recs []*reports.Record) float64 {
	var whole, all []float64
	for _, rec := range recs {
		all = append(all, rec.CPUSec)
		if !rec.CPUPartial() {
			whole = append(whole, rec.CPUSec)
		}
	}
	if len(whole) == 0 {
		whole = all
	}
	var sum float64
	for _, c := range whole {
		sum += c
	}
	return sum / float64(len(whole))
}

// group is the key of the records that make one row.
func group(rec *reports.Record, unit, step string) string {
	k := unit + "\x00" + step
	if t := rec.Target; t != nil {
		k += "\x00" + t.Name + "\x00" + rec.Method + "\x00" + t.Row
	}
	return k
}

// stepName is the step column of a record's row: the suite step, for adapt
// records followed by the target and the final network's row.
func stepName(rec *reports.Record, step string) string {
	t := rec.Target
	switch {
	case t == nil:
		return step
	case t.Row == "":
		return step + " " + t.Name
	}
	return step + " " + t.Name + ": " + t.Row
}

// Select returns the records of suite name with label among recs, at the
// newest version found, and that version (0 when there are none). When the
// store holds the same step of a seed twice, the later record counts.
func Select(recs []reports.Record, name, label string) ([]*reports.Record, int) {
	version := 0
	for i := range recs {
		if s := recs[i].Suite; s != nil && s.Name == name && recs[i].Label == label {
			version = max(version, s.Version)
		}
	}
	var out []*reports.Record
	for i := range recs {
		if _, ok := Identify(&recs[i], name, version); ok && recs[i].Label == label {
			out = append(out, &recs[i])
		}
	}
	return out, version
}

// Rows groups a suite's records (those of Select: every one names its suite
// step) into its table rows, in the order the units first appear.
func Rows(recs []*reports.Record) []*Row {
	var rows []*Row
	byKey := map[string]*Row{}
	for _, rec := range recs {
		unit, seed, step := rec.Suite.Unit, rec.Suite.Seed, rec.Suite.Step
		k := group(rec, unit, step)
		row := byKey[k]
		if row == nil {
			row = &Row{Unit: unit, Step: stepName(rec, step), Method: rec.Method, Model: rec.Model, Protocol: reports.ProtocolString(rec.Proto)}
			byKey[k] = row
			rows = append(rows, row)
		}
		if i := slices.Index(row.Seeds, seed); i >= 0 {
			row.Records[i] = rec
			continue
		}
		row.Seeds = append(row.Seeds, seed)
		row.Records = append(row.Records, rec)
	}
	for _, row := range rows {
		n := float64(len(row.Records))
		for _, rec := range row.Records {
			row.Iters += float64(rec.Iters) / n
			row.TrainSec += tableSeconds(rec) / n
		}
		row.CPUSec = meanCPUSec(row.Records)
		row.Accuracy = reports.SummarizeSeeds(row.Runs())
		if chosen := choicesOf(row.Records, experiment.ExtraInnerLR, func(r *reports.Record) string { return fmt.Sprintf("%g", r.Proto.InnerLR) }); chosen != "" {
			row.Protocol += "; inner_lr chosen on validation per seed: " + chosen
		}
		if chosen := choicesOf(row.Records, experiment.ExtraTestLoop, func(r *reports.Record) string {
			return fmt.Sprintf("%d@%g", r.Proto.StepsTest, r.Proto.InnerLR)
		}); chosen != "" {
			row.Protocol += "; test loop chosen on validation per seed (steps@lr): " + chosen
		}
		if ref, ok := reports.LookupReference(row.Records[0]); ok {
			row.Paper = ref.String()
		}
	}
	return rows
}

// choicesOf lists, for the records whose Extra holds key (a choice made on
// validation episodes: experiment.ExtraTestLoop, experiment.ExtraInnerLR),
// what each chose as show writes it, "5@0.1, 3@0.4"; "" when none chose.
func choicesOf(recs []*reports.Record, key string, show func(*reports.Record) string) string {
	var out []string
	for _, rec := range recs {
		if _, ok := rec.Extra[key]; ok {
			out = append(out, show(rec))
		}
	}
	return strings.Join(out, ", ")
}

// tableSeconds is the seconds a record adds to its row's training column:
// its training wall clock (Record.TrainSeconds), except for a search, whose
// column has always shown the whole run's wall clock (the search loop plus
// data loading and the derivation). Schema 2 records a search's loop time
// as TrainSec; the column keeps the whole run so that the tables rendered
// from the committed records (docs/RESULTS.md) do not change with the
// schema (docs/DECISIONS.md R25).
func tableSeconds(rec *reports.Record) float64 {
	if rec.Kind == "search" {
		return rec.WallSec
	}
	return rec.TrainSeconds()
}

// Table renders a suite's rows: per-seed accuracies, their mean with the
// 95% interval over seeds (reports.AccuracyCell) beside the paper's number,
// and the cost columns. With ref (see Against), four columns hold each
// row's seed-level contrast with ref's row on the same test episodes
// (reports.ContrastCells), Holm-adjusted across the table's rows.
func Table(name string, version int, label string, rows []*Row, ref string, vs map[*Row]Pair) *reports.Table {
	t := &reports.Table{
		Title:  fmt.Sprintf("suite %s (version %d)", name, version),
		Header: []string{"unit", "step", "method", "protocol", "seeds", "per seed %", "accuracy % (95% CI over seeds)", "paper", "iterations", "training", "CPU", "params", "MACs (M)"},
	}
	if ref != "" {
		t.Header = append(t.Header, reports.ContrastHeader(ref)...)
	}
	if label != "" {
		t.Title += ", label " + label
	}
	for _, r := range rows {
		paper := r.Paper
		if paper == "" {
			paper = "-"
		}
		seeds := make([]string, len(r.Seeds))
		for i, s := range r.Seeds {
			seeds[i] = fmt.Sprint(s)
		}
		perSeed, acc := reports.PerSeedCell(r.Accuracy), reports.AccuracyCell(r.Accuracy)
		if c := ConvergenceCell(r); c != "" {
			perSeed = c
		}
		if c := ValidationCell(r); c != "" && r.Accuracy.K() == 0 {
			perSeed, acc = c, NoTestCell
		} else if c != "" {
			perSeed += "; " + c // tested seeds beside tuning ones
		}
		row := []string{r.Unit, r.Step, r.Method, r.Protocol, strings.Join(seeds, ","), perSeed, acc, paper,
			fmt.Sprintf("%.0f", r.Iters), reports.FormatDuration(r.TrainSec), reports.FormatDuration(r.CPUSec), ParamsCell(r), MACsCell(r)}
		if ref != "" {
			row = append(row, VsCells(r, ref, vs)...)
		}
		t.Rows = append(t.Rows, row)
	}
	t.Notes = append(t.Notes, AccuracyNote, "training: training wall clock, mean over seeds; CPU: the whole run's CPU time", SizeNote)
	if slices.ContainsFunc(rows, func(r *Row) bool { return ConvergenceCell(r) != "" }) {
		t.Notes = append(t.Notes, "converged (search rows, per seed, judged from each record's curve by today's rule, whatever rule the record was written under): "+search.DefaultConvergence().Rule()+"; stable from: the first iteration of the final run of that network; entropy: the last point's, normal / reduce")
	}
	if slices.ContainsFunc(rows, func(r *Row) bool { return ValidationCell(r) != "" }) {
		t.Notes = append(t.Notes, NoTestNote)
	}
	if ref != "" {
		t.Notes = append(t.Notes, ContrastNote(ref, "the rows of this table"))
	}
	return t
}

// NoTestCell is the accuracy cell of a row of tuning runs only.
const NoTestCell = "no test (tuning run)"

// NoTestNote is the footnote of a table with rows of tuning runs.
const NoTestNote = "no test (tuning run): eval.episodes 0, no test evaluation was run; per seed % shows each seed's last validation point on validation episodes, which is no test accuracy: such seeds are left out of the accuracy, paper and contrast columns (docs/DECISIONS.md R36)"

// ValidationCell is the per-seed cell of a row whose records include
// tuning runs (reports.Record.NoTest): "validation % (last point, no
// test): 81.2, 83.4", "-" for the row's tested seeds; "" when none is
// one.
func ValidationCell(r *Row) string {
	var parts []string
	tuning := false
	for _, rec := range r.Records {
		if rec.NoTest() {
			tuning = true
			parts = append(parts, fmt.Sprintf("%.1f", 100*rec.Summary.Mean))
		} else {
			parts = append(parts, "-")
		}
	}
	if !tuning {
		return ""
	}
	return "validation % (last point, no test): " + strings.Join(parts, ", ")
}

// ConvergenceCell is a search row's per-seed verdict of the convergence
// criterion (search.DefaultConvergence), judged from each record's curve,
// e.g. "converged: yes (stable from 75 of 100; entropy 0.71 / 0.85), no
// (...)"; "" for rows whose records carry no curve. Judging the curve, not
// the verdict a record was written with, keeps one rule per table when the
// rule is revised.
func ConvergenceCell(r *Row) string {
	conv := search.DefaultConvergence()
	var parts []string
	for _, rec := range r.Records {
		pts, err := reports.ArchCurve(rec)
		if err != nil || len(pts) == 0 {
			return ""
		}
		iters, arch := make([]int, len(pts)), make([]search.ArchPoint, len(pts))
		for i, p := range pts {
			iters[i] = p.Iter
			arch[i] = search.ArchPoint{EntropyNormal: p.EntropyNormal, EntropyReduce: p.EntropyReduce, MaxDelta: p.MaxDAlpha, Genotype: p.Genotype}
		}
		ok, from := conv.Converged(iters, arch)
		last := pts[len(pts)-1]
		verdict := "no"
		if ok {
			verdict = "yes"
		}
		parts = append(parts, fmt.Sprintf("%s (stable from %d of %d; entropy %.2f / %.2f)", verdict, from, last.Iter, last.EntropyNormal, last.EntropyReduce))
	}
	if len(parts) == 0 {
		return ""
	}
	return "converged: " + strings.Join(parts, ", ")
}

// AccuracyNote is the footnote of a table of SeedSummary cells.
const AccuracyNote = "the unit of replication is the training run (seed): per seed % is each seed's mean over the test episodes; accuracy is their mean with the Student-t 95% interval over seeds (df = seeds - 1) whose variance adds the shared test episodes' term, clipped to [0, 100] where marked; one seed has no interval over training runs, and the interval shown is over that one trained model's episodes (docs/STATISTICS.md)"

// ContrastNote is the footnote of the contrast columns against ref, whose
// Holm family is family.
func ContrastNote(ref, family string) string {
	return fmt.Sprintf("vs %s: per seed both ran, the mean over the shared test episodes of (row - %s), in points; its mean over seeds with the Student-t 95%% interval (df = seeds - 1); the two-sided paired t p-value over seeds and its Holm adjustment across %s; the exact sign-flip permutation p-value with the smallest value it can take at that many seeds (0.25 at 3, 0.0625 at 5); P(> %s): the share of seed pairs in which the row's seed beats %s's", ref, ref, family, ref, ref)
}

// VsCells are a row's contrast columns against ref, or why there is none.
func VsCells(r *Row, ref string, vs map[*Row]Pair) []string {
	blank := func(s string) []string { return []string{s, "-", "-", "-"} }
	if r.Unit == ref {
		return blank("(reference)")
	}
	p, ok := vs[r]
	switch {
	case !ok:
		return blank("-")
	case p.Contrast == nil:
		return blank(p.Missing)
	case p.Conditional != nil:
		c := p.Conditional
		return blank(fmt.Sprintf("%+.2f (1 seed; these networks on these episodes: [%+.2f, %+.2f], p=%s)", 100*c.Diff, 100*c.Lo, 100*c.Hi, reports.FormatP(c.P)))
	}
	return reports.ContrastCells(p.Contrast)
}

// Labels lists the labels under which suite name has records, latest run
// first.
func Labels(recs []reports.Record, name string) []string {
	latest := map[string]int{}
	for i := range recs {
		if s := recs[i].Suite; s != nil && s.Name == name {
			latest[recs[i].Label] = i
		}
	}
	out := make([]string, 0, len(latest))
	for l := range latest {
		out = append(out, l)
	}
	sort.Slice(out, func(a, b int) bool { return latest[out[a]] > latest[out[b]] })
	return out
}
