package suite

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/metabench/metabench/reports"
)

// A reproduction suite (Suite.Reproduction) holds one unit per published
// result, each configured at its paper's protocol, so the compute the paper
// used is the unit's own budget: iterations x meta-batch tasks a seed. Its
// page section is the Reproduction table: per unit the published number
// and source, our protocol, our seeds with the interval over them, the
// difference from the paper, and the compute, ours and the paper's; a unit
// without records says so and what a seed would cost.

// planned is a unit's budget from its experiment file (seed of the suite's
// first).
type planned struct {
	Tasks  float64 // iterations x meta-batch (episodes for meta-batch 1)
	Kind   string  // method and test ways and shots, "protonets 5w1s": what a measured rate applies to
	Ref    reports.Reference
	HasRef bool
}

// plan reads a train unit's budget and published number from its file.
func (s *Suite) plan(u *Unit) (planned, error) {
	l, err := s.load(u, u.Seeds[0])
	if err != nil {
		return planned{}, err
	}
	c := l.train()
	if c == nil {
		return planned{}, fmt.Errorf("unit %s: a reproduction unit is a train unit", u.ID)
	}
	rec := &reports.Record{Method: c.Method, Model: c.Model.Name, Dataset: reports.Dataset{Format: "omniglot", Path: c.Data.Path},
		Proto: reports.Protocol{Ways: c.EvalWays(), Shots: c.EvalShots()}}
	if c.Data.Path == "embedded" {
		rec.Dataset.Path = "embedded:omniglot"
	}
	ref, ok := reports.LookupReference(rec)
	return planned{Tasks: float64(c.Iterations) * float64(c.MetaBatch), Kind: kindOf(c.Method, c.EvalWays(), c.EvalShots()), Ref: ref, HasRef: ok}, nil
}

// ReproductionTable is the table of a reproduction suite: one row per unit
// of s, with its records' row when it has one. A unit not run is priced at
// the CPU seconds a task took in this suite's runs of the same method,
// ways and shots (CPUPerTask), else in other training records of that
// kind (others: the results page's other records), where there are any.
func ReproductionTable(s *Suite, rows []*Row, others []*reports.Record) (*reports.Table, error) {
	t := &reports.Table{
		Title: fmt.Sprintf("Reproduction: %s (version %d)", s.Name, s.Version),
		Header: []string{"unit", "paper % (source)", "protocol", "seeds", "ours % (95% CI over seeds)", "ours - paper (points)",
			"tasks a seed: ours / paper's", "CPU-hours a seed"},
	}
	rates := map[string]float64{}
	for _, rec := range others {
		if n := recordTasks(rec); rec.Kind == "train" && n > 0 && rec.CPUSec > 0 {
			rates[kindOf(rec.Method, rec.Proto.Ways, rec.Proto.Shots)] = rec.CPUSec / n // the last such record
		}
	}
	for _, r := range rows {
		if rate := CPUPerTask(r); rate > 0 && r.Step == StepRun {
			p := r.Records[0].Proto
			rates[kindOf(r.Method, p.Ways, p.Shots)] = rate
		}
	}
	for i := range s.Units {
		u := &s.Units[i]
		p, err := s.plan(u)
		if err != nil {
			return nil, err
		}
		paper := "-"
		if p.HasRef {
			paper = p.Ref.String()
		}
		var row *Row
		for _, r := range rows {
			if r.Unit == u.ID && r.Step == StepRun {
				row = r
			}
		}
		if row == nil || row.Accuracy.K() == 0 {
			cost := "not run"
			if rate, ok := rates[p.Kind]; ok {
				cost = fmt.Sprintf("not run; about %.0f at the %s rate measured here", rate*p.Tasks/3600, p.Kind)
			}
			t.Rows = append(t.Rows, []string{u.ID, paper, "-", "0", "not run", "-", fmt.Sprintf("- / %s", tasks(p.Tasks)), cost})
			continue
		}
		a := row.Accuracy
		ours := reports.AccuracyCell(a)
		diff := "-"
		if p.HasRef && p.Ref.HasAccuracy() {
			diff = fmt.Sprintf("%+.2f", 100*(a.Mean-p.Ref.Accuracy))
			if a.Interval.Ok() {
				diff += fmt.Sprintf(" [%+.2f, %+.2f]", 100*(a.Interval.Lo-p.Ref.Accuracy), 100*(a.Interval.Hi-p.Ref.Accuracy))
			}
		}
		oursTasks := 0.0
		for _, rec := range row.Records {
			oursTasks += recordTasks(rec) / float64(len(row.Records))
		}
		t.Rows = append(t.Rows, []string{u.ID, paper, row.Protocol, fmt.Sprint(a.K()), ours, diff,
			fmt.Sprintf("%s / %s", tasks(oursTasks), tasks(p.Tasks)), fmt.Sprintf("%.2f", row.CPUSec/3600)})
	}
	t.Notes = []string{
		"each unit is configured at its paper's protocol (the suite file cites the table and says what the paper left unstated), so the paper's tasks are the unit's budget: iterations x meta-batch",
		"ours - paper: our mean over seeds minus the published mean, with our 95% interval over seeds shifted by the published mean (the published interval, where given, is in the paper column)",
		"CPU-hours: user + system CPU time of a seed's training and test (mean over seeds); a unit not run is priced at the CPU seconds a training task took in this suite's runs of the same method, ways and shots, else in the other training records on this page of that kind (their own protocols, machines and query counts: an order of magnitude, not a quote), where there are any",
	}
	return t, nil
}

// kindOf names what a measured CPU rate applies to: a method at its test
// ways and shots.
func kindOf(method string, ways, shots int) string {
	return fmt.Sprintf("%s %dw%ds", method, ways, shots)
}

// CPUPerTask is the CPU seconds a training task took in a row's runs
// (their CPU time over their tasks), or 0 when unknown.
func CPUPerTask(r *Row) float64 {
	n := 0.0
	for _, rec := range r.Records {
		n += recordTasks(rec)
	}
	if n == 0 || !(r.CPUSec > 0) {
		return 0
	}
	return r.CPUSec * float64(len(r.Records)) / n
}

// recordTasks is a run's training tasks: iterations x meta_batch of its
// configuration (0 when either is missing).
func recordTasks(rec *reports.Record) float64 {
	mb, ok := rec.Config["meta_batch"]
	if !ok {
		return 0
	}
	var m float64
	switch v := mb.(type) {
	case float64:
		m = v
	case int:
		m = float64(v)
	default:
		return 0
	}
	return float64(rec.Iters) * m
}

// tasks prints a task count: "6000", "1.92 M".
func tasks(n float64) string {
	switch {
	case n <= 0:
		return "-"
	case n >= 1e6:
		return fmt.Sprintf("%.2f M", n/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.0f k", math.Round(n/1e3))
	}
	return fmt.Sprintf("%.0f", n)
}

// sourceSuite loads the shipped suite file a records folder's suite.yaml
// was copied from: benchmarks/suites/NAME.yaml of the repository that
// holds dir (found by walking up to its go.mod), which names the units'
// experiment files. ok is false when there is none.
func sourceSuite(dir, name string) (*Suite, bool, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, false, err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			path := filepath.Join(d, "benchmarks", "suites", name+".yaml")
			if _, err := os.Stat(path); err != nil {
				return nil, false, nil
			}
			s, err := Load(path)
			return s, err == nil, err
		}
		if filepath.Dir(d) == d {
			return nil, false, nil
		}
	}
}
