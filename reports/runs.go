package reports

import (
	"fmt"
	"time"
)

// RunRow is one row of the runs table: a record's identity, protocol and
// result, with the paper's reference when one matches.
type RunRow struct {
	RunID    string     `json:"run_id"`
	Label    string     `json:"label,omitempty"`
	Kind     string     `json:"kind"`
	Method   string     `json:"method"`
	Model    string     `json:"model,omitempty"`
	Dataset  string     `json:"dataset"`
	Started  time.Time  `json:"started"`
	Proto    Protocol   `json:"protocol"`
	Summary  Summary    `json:"summary"`
	Interval Interval   `json:"interval"` // over this run's episodes (EpisodeInterval)
	Params   int        `json:"params"`
	WallSec  float64    `json:"wall_sec"`
	Iters    int        `json:"iterations"`
	Commit   string     `json:"commit,omitempty"`
	Ref      *Reference `json:"reference,omitempty"`
	DeltaRef *float64   `json:"delta_reference,omitempty"` // run mean minus published mean
	// NoTest: the run ran no test evaluation (Record.NoTest); its summary
	// is its last validation point.
	NoTest bool `json:"no_test,omitempty"`
}

// NewRunRows builds one row per record, in the given order.
func NewRunRows(recs []Record) []RunRow {
	rows := make([]RunRow, len(recs))
	for i := range recs {
		r := &recs[i]
		row := RunRow{
			RunID: r.RunID, Label: r.Label, Kind: r.Kind, Method: r.Method, Model: r.Model,
			Dataset: DatasetName(r.Dataset), Started: r.Started, Proto: r.Proto,
			Summary: r.Summarized(), Params: r.Params, WallSec: r.WallSec, Iters: r.Iters,
			Commit: r.Env.Revision(), Interval: EpisodeInterval(r), NoTest: r.NoTest(),
		}
		if ref, ok := LookupReference(r); ok {
			row.Ref = &ref
			if ref.HasAccuracy() && row.Summary.N > 0 {
				d := row.Summary.Mean - ref.Accuracy
				row.DeltaRef = &d
			}
		}
		rows[i] = row
	}
	return rows
}

// ProtocolString is the compact protocol of a row, e.g.
// "5w1s q15 steps 1/3 lr 0.4 bn transductive rot 600 ep".
func ProtocolString(p Protocol) string {
	s := fmt.Sprintf("%dw%ds q%d steps %d/%d lr %g", p.Ways, p.Shots, p.Queries, p.StepsTrain, p.StepsTest, p.InnerLR)
	if p.TrainWays > 0 {
		s += fmt.Sprintf(" train %dw", p.TrainWays)
	}
	if p.BNMode != "" {
		s += " bn " + p.BNMode
	}
	if p.Rotations {
		s += " rot"
	}
	if p.EvalRotations {
		s += " rot-test"
	}
	if p.EvalEpisode > 0 {
		s += fmt.Sprintf(" %d ep", p.EvalEpisode)
	}
	return s
}

// FormatDuration prints seconds as "42.0s", "12m03s" or "3h04m".
func FormatDuration(sec float64) string {
	switch {
	case sec <= 0:
		return ""
	case sec < 60:
		return fmt.Sprintf("%.1fs", sec)
	case sec < 3600:
		return fmt.Sprintf("%dm%02ds", int(sec)/60, int(sec)%60)
	}
	return fmt.Sprintf("%dh%02dm", int(sec)/3600, int(sec)%3600/60)
}

// RunsNote says how to read RunsTable's accuracy and Δ paper columns.
const RunsNote = "accuracy: mean query accuracy over the run's test episodes with the 95% interval over those episodes (normal, clipped; Wilson for per-image proportions), conditional on this trained model: an interval over training runs needs seeds (report --suite); \"no test; validation\": a tuning run (eval.episodes 0) that ran no test evaluation, scored by its last validation point on validation episodes, never compared with a paper; Δ paper: run minus published, in points"

// RunsTable is the report table: run, label, method, dataset, protocol,
// accuracy with its 95% interval over the run's own test episodes
// (EpisodeInterval: conditional on this trained model; percent), episodes,
// params, wall time, the paper's number and
// the gap to it.
func RunsTable(rows []RunRow) *Table {
	t := &Table{
		Header: []string{"run", "label", "method", "dataset", "protocol", "accuracy % [95% CI over this model's episodes]", "n", "params", "wall", "paper % ± CI (source)", "Δ paper"},
		Rows:   make([][]string, 0, len(rows)),
	}
	for _, r := range rows {
		acc := ""
		if iv := r.Interval; iv.Ok() {
			acc = fmt.Sprintf("%.2f [%.2f, %.2f]", 100*r.Summary.Mean, 100*iv.Lo, 100*iv.Hi)
		}
		if r.NoTest && acc != "" {
			acc = "no test; validation " + acc
		}
		ref, delta := "", ""
		if r.Ref != nil {
			ref = r.Ref.String()
		}
		if r.DeltaRef != nil {
			delta = fmt.Sprintf("%+.2f", 100**r.DeltaRef)
		}
		params := ""
		if r.Params > 0 {
			params = fmt.Sprintf("%d", r.Params)
		}
		t.Rows = append(t.Rows, []string{
			r.RunID, r.Label, r.Method, r.Dataset, ProtocolString(r.Proto), acc,
			fmt.Sprintf("%d", r.Summary.N), params, FormatDuration(r.WallSec), ref, delta,
		})
	}
	return t
}
