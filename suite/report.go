package suite

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
)

// Row is one line of a suite's table: one step of one unit (for adapt
// units, one target and row), over the seeds that ran.
type Row struct {
	Unit, Step, Method, Model, Protocol string
	Seeds                               []int64
	// Accuracy is the mean over seeds of each seed's accuracy; its CI95 is
	// the Student-t interval over seeds, or the episodes' interval of the
	// only seed.
	Accuracy         reports.Summary
	Paper            string
	Iters            float64 // mean over seeds
	TrainSec, CPUSec float64 // mean over seeds
	Params           int
	Records          []*reports.Record // by seed
}

// group is the key of the records that make one row.
func group(rec *reports.Record, unit, step string) string {
	k := unit + "\x00" + step
	if t, ok := rec.Extra["target"].(string); ok {
		k += "\x00" + t + "\x00" + rec.Method
		if row, ok := rec.Extra["row"].(string); ok {
			k += "\x00" + row
		}
	}
	return k
}

// Select returns the records of suite name with label among recs, at the
// newest version found, and that version (0 when there are none). When the
// store holds the same step of a seed twice, the later record counts.
func Select(recs []reports.Record, name, label string) ([]*reports.Record, int) {
	version := 0
	for i := range recs {
		if recs[i].Extra != nil && recs[i].Extra[KeySuite] == name && recs[i].Label == label {
			version = max(version, int(asInt(recs[i].Extra[KeyVersion])))
		}
	}
	var out []*reports.Record
	for i := range recs {
		if _, _, _, ok := Identify(&recs[i], name, version); ok && recs[i].Label == label {
			out = append(out, &recs[i])
		}
	}
	return out, version
}

// Rows groups a suite's records into its table rows, in the order the
// units first appear.
func Rows(recs []*reports.Record) []*Row {
	var rows []*Row
	byKey := map[string]*Row{}
	for _, rec := range recs {
		unit, seed, step, _ := Identify(rec, rec.Extra[KeySuite].(string), int(asInt(rec.Extra[KeyVersion])))
		k := group(rec, unit, step)
		row := byKey[k]
		if row == nil {
			row = &Row{Unit: unit, Step: step, Method: rec.Method, Model: rec.Model, Protocol: reports.ProtocolString(rec.Proto)}
			if t, ok := rec.Extra["target"].(string); ok {
				row.Step += " " + t
				if r, ok := rec.Extra["row"].(string); ok {
					row.Step += ": " + r
				}
			}
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
		var accs []float64
		n := float64(len(row.Records))
		for _, rec := range row.Records {
			if rec.Summary.N > 0 { // a search scores nothing
				accs = append(accs, rec.Summary.Mean)
			}
			row.Iters += float64(rec.Iters) / n
			row.TrainSec += experiment.TrainSeconds(rec) / n
			row.CPUSec += rec.CPUSec / n
			row.Params = rec.Params
		}
		switch {
		case len(row.Records) == 1:
			row.Accuracy = row.Records[0].Summary
		case len(accs) > 0:
			row.Accuracy = reports.SummarizeT(accs)
		}
		if ref, ok := reports.LookupReference(row.Records[0]); ok {
			row.Paper = ref.String()
		}
	}
	return rows
}

// Table renders a suite's rows: accuracy with its 95% CI over seeds beside
// the paper's number, and the cost columns. With ref (see Against), a
// column "vs ref" holds each row's paired difference from ref's row on the
// same test episodes, its 95% interval and p-value.
func Table(name string, version int, label string, rows []*Row, ref string, vs map[*Row]Pair) *reports.Table {
	t := &reports.Table{
		Title:  fmt.Sprintf("suite %s (version %d)", name, version),
		Header: []string{"unit", "step", "method", "protocol", "seeds", "accuracy % (95% CI)", "paper", "iterations", "training", "CPU", "params"},
	}
	if ref != "" {
		t.Header = append(t.Header, "vs "+ref)
	}
	if label != "" {
		t.Title += ", label " + label
	}
	for _, r := range rows {
		acc := "-"
		if r.Accuracy.N > 0 {
			acc = fmt.Sprintf("%.2f ± %.2f", 100*r.Accuracy.Mean, 100*r.Accuracy.CI95)
		}
		paper := r.Paper
		if paper == "" {
			paper = "-"
		}
		seeds := make([]string, len(r.Seeds))
		for i, s := range r.Seeds {
			seeds[i] = fmt.Sprint(s)
		}
		row := []string{r.Unit, r.Step, r.Method, r.Protocol, strings.Join(seeds, ","), acc, paper,
			fmt.Sprintf("%.0f", r.Iters), reports.FormatDuration(r.TrainSec), reports.FormatDuration(r.CPUSec), fmt.Sprint(r.Params)}
		if ref != "" {
			row = append(row, VsCell(r, ref, vs))
		}
		t.Rows = append(t.Rows, row)
	}
	t.Notes = append(t.Notes, "accuracy: mean over seeds with the Student-t 95% interval over seeds (one seed: the interval over its test episodes); training: training wall clock, mean over seeds; CPU: the whole run's CPU time")
	if ref != "" {
		t.Notes = append(t.Notes, fmt.Sprintf("vs %s: paired difference in points from %s's row on the same test episodes, over the seeds both ran, its 95%% interval and two-sided p-value", ref, ref))
	}
	return t
}

// VsCell is a row's "vs ref" cell: the paired difference in points with its
// 95% interval and p-value, or why there is none.
func VsCell(r *Row, ref string, vs map[*Row]Pair) string {
	if r.Unit == ref {
		return "(reference)"
	}
	p, ok := vs[r]
	switch {
	case !ok:
		return "-"
	case len(p.Mismatch) > 0:
		return "episodes differ"
	case p.Comparison == nil:
		return p.Missing
	}
	c := p.Comparison
	return fmt.Sprintf("%+.2f [%+.2f, %+.2f] p=%.3g", 100*c.Diff, 100*c.Lo, 100*c.Hi, c.P)
}

// Labels lists the labels under which suite name has records, latest run
// first.
func Labels(recs []reports.Record, name string) []string {
	latest := map[string]int{}
	for i := range recs {
		if recs[i].Extra != nil && recs[i].Extra[KeySuite] == name {
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
