package suite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
)

// A plan says, before a sitting, what an invocation of a suite would do,
// and runs nothing: per step of each job it would run (the same jobs, in
// the same order, as Run with the same Options), whether the step is done
// (its record, with the suite's identity and the label, is in a source),
// in progress (its run folder holds a checkpoint: iterations done of the
// total, read from the checkpoint's header) or to run, and what it still
// costs, estimated from the records of the same suite version, unit and
// step (other seeds, any label) where there are any.

// The states of a step in a plan.
const (
	StateDone       = "done"
	StateInProgress = "in progress"
	StateToRun      = "to run"
)

// RunFolder is PlanRow.Source for a finished run whose record is in its
// run folder (record.json) and not yet in the store: the suite stores it
// without running anything.
const RunFolder = "run folder"

// Source is a set of records a plan reads: a results store's or a records
// folder's (RecordsSource).
type Source struct {
	Name    string // what PlanRow.Source says: "store" or "records"
	Path    string // the store or the folder
	Records []reports.Record
	// Missing is set for a store that does not exist (the suite would
	// create it): no records.
	Missing bool
}

// StoreSource reads every record of the results store at path (a SQLite
// file or a postgres:// DSN); a SQLite file that does not exist is a
// Missing source, since the suite would create it.
func StoreSource(ctx context.Context, path string) (Source, error) {
	src := Source{Name: "store", Path: store.Redact(path)}
	st, err := store.OpenForReading(path)
	if errors.Is(err, store.ErrMissing) {
		src.Missing = true
		return src, nil
	}
	if err != nil {
		return src, err
	}
	defer st.Close()
	src.Records, err = st.List(ctx, store.Filter{})
	return src, err
}

// RecordsSource reads the records of a records folder (reports.ReadRecordSet:
// its *.json files, as store export writes them, e.g. docs/records/SUITE).
func RecordsSource(dir string) (Source, error) {
	set, err := reports.ReadRecordSet(dir)
	if err != nil {
		return Source{}, err
	}
	return Source{Name: "records", Path: dir, Records: set.All()}, nil
}

// PlanRow is one step of a job in a plan.
type PlanRow struct {
	Unit  string
	Seed  int64
	Step  string
	State string // StateDone, StateInProgress or StateToRun
	// Source is where a done step's record is: a Source's Name, or
	// RunFolder.
	Source string
	// For is the job a step runs for when it is another unit's (an adapt
	// job's prior, a from-unit's search) that the job runs first.
	For string
	// Again says why a step whose record exists runs again: a later step
	// needs its run folder, and the folder holds no finished run.
	Again bool
	// Checkpoint is an in-progress step's checkpoint (from its header);
	// CheckpointErr when it cannot be read.
	Checkpoint    *experiment.CheckpointStatus
	CheckpointErr error
	// Iterations and Budget are an in-progress step's limits (0: none).
	Iterations int
	Budget     time.Duration
	// Cost is what a whole run of the step took, averaged over the seeds
	// with records; nil when there are none.
	Cost *Cost
}

// Cost is what one step took a seed, averaged over Seeds runs: CPU
// seconds (user and system) and wall seconds. A resumed run's record
// counts its last process only; its training seconds count every process,
// and scale both up (TrainSec / WallSec).
type Cost struct {
	CPUSec, WallSec float64
	Seeds           int
}

// Left is the share of the step's cost still to spend: 0 when done, 1
// when to run, the share of its iterations (or of its budget, whichever
// ends it first) left when in progress.
func (r *PlanRow) Left() float64 {
	switch {
	case r.State == StateDone:
		return 0
	case r.Checkpoint == nil || !r.Checkpoint.Header:
		return 1
	case r.Checkpoint.Done:
		return 0
	}
	done := 0.0
	if r.Iterations > 0 {
		done = float64(r.Checkpoint.Iter) / float64(r.Iterations)
	}
	if r.Budget > 0 {
		done = max(done, r.Checkpoint.TrainSec/r.Budget.Seconds())
	}
	return 1 - min(done, 1)
}

// Estimate is the CPU and wall seconds the step still needs (Cost times
// Left); ok is false when there is no estimate.
func (r *PlanRow) Estimate() (cpuSec, wallSec float64, ok bool) {
	if r.State == StateDone {
		return 0, 0, true
	}
	if r.Cost == nil {
		return 0, 0, false
	}
	return r.Cost.CPUSec * r.Left(), r.Cost.WallSec * r.Left(), true
}

// SuitePlan is the plan of one invocation of a suite.
type SuitePlan struct {
	Suite         string
	Version       int
	Label         string
	Shard, Shards int
	Sources       []Source
	Rows          []PlanRow
	// OtherLabels counts this suite version's records in the sources by
	// label, for the labels other than Label.
	OtherLabels map[string]int
}

// Plan says what Run would do with s and opt, running nothing, from the
// records of sources (opt.Store is not read: StoreSource reads a store)
// and the run folders under opt.Out.
func Plan(s *Suite, opt Options, sources ...Source) (*SuitePlan, error) {
	jobs, err := s.jobs(opt)
	if err != nil {
		return nil, err
	}
	if opt.Out == "" {
		return nil, errors.New("suite: no output folder")
	}
	if err := s.setOverrides(opt.Set); err != nil {
		return nil, err
	}
	p := &planner{r: &runner{s: s, opt: opt}, have: map[string]string{}, runs: map[string]bool{}}
	p.plan = &SuitePlan{Suite: s.Name, Version: s.Version, Label: opt.Label, Shard: opt.Shard, Shards: max(opt.Shards, 1),
		Sources: sources, OtherLabels: map[string]int{}}
	p.costs = p.read(sources)
	for _, j := range jobs {
		if err := p.job(j); err != nil {
			return nil, fmt.Errorf("%s seed %d: %w", j.Unit.ID, j.Seed, err)
		}
	}
	return p.plan, nil
}

// planner follows runner.job without running anything.
type planner struct {
	r     *runner           // the suite, the options, and where run folders are
	have  map[string]string // record keys with the label -> the source that holds it
	runs  map[string]bool   // keys of the steps the plan runs (their folders exist for later steps)
	costs map[string]*Cost  // unit/step -> its cost a seed
	plan  *SuitePlan
}

// read indexes the sources' records of the suite: which steps are done
// (the suite's own identification, Identify, with the label) and what
// each unit's steps cost (any label).
func (p *planner) read(sources []Source) map[string]*Cost {
	s := p.r.s
	type run struct{ cpu, wall float64 }
	byRun := map[string]map[string]*run{} // unit/step -> seed/label -> summed cost (adapt: several records a step)
	seen := map[string]bool{}
	for _, src := range sources {
		for i := range src.Records {
			rec := &src.Records[i]
			id, ok := Identify(rec, s.Name, s.Version)
			if !ok || seen[rec.RunID] {
				continue
			}
			seen[rec.RunID] = true
			k := p.r.key(id.Unit, id.Seed, id.Step)
			if rec.Label != p.r.opt.Label {
				p.plan.OtherLabels[rec.Label]++
			} else if _, dup := p.have[k]; !dup {
				p.have[k] = src.Name
			}
			if !(rec.CPUSec > 0) {
				continue
			}
			us := id.Unit + "/" + id.Step
			if byRun[us] == nil {
				byRun[us] = map[string]*run{}
			}
			sl := fmt.Sprintf("%d/%s", id.Seed, rec.Label)
			if byRun[us][sl] == nil {
				byRun[us][sl] = &run{}
			}
			cpu, wall := recordCost(rec)
			byRun[us][sl].cpu += cpu
			byRun[us][sl].wall += wall
		}
	}
	costs := map[string]*Cost{}
	for us, runs := range byRun {
		c := &Cost{Seeds: len(runs)}
		for _, r := range runs {
			c.CPUSec += r.cpu / float64(len(runs))
			c.WallSec += r.wall / float64(len(runs))
		}
		costs[us] = c
	}
	return costs
}

// recordCost is a record's CPU and wall seconds. A resumed run's wall
// clock is its last process's, so its training seconds stand in when they
// are more; its CPU time covers every sitting (the checkpoint keeps it, R33)
// except in a record marked cpu_sec_partial, whose CPU time is scaled up by
// the same ratio.
func recordCost(rec *reports.Record) (cpu, wall float64) {
	cpu, wall = rec.CPUSec, rec.WallSec
	if rec.WallSec > 0 && rec.TrainSec > rec.WallSec {
		if rec.CPUPartial() {
			cpu *= rec.TrainSec / rec.WallSec
		}
		wall = rec.TrainSec
	}
	return cpu, wall
}

// job plans one job as runner.job runs it.
func (p *planner) job(j Job) error {
	u, sd := j.Unit, j.Seed
	if p.complete(u, sd) {
		for _, st := range u.steps() {
			p.add(PlanRow{Unit: u.ID, Seed: sd, Step: st, State: StateDone, Source: p.have[p.r.key(u.ID, sd, st)]})
		}
		return nil
	}
	for _, dep := range []string{u.Prior, u.From} { // runner.main(dep, seed, needFolder) with the folder needed
		if dep == "" {
			continue
		}
		if row, err := p.step(p.r.unit(dep), u.depSeed(sd), StepRun, true); err != nil {
			return err
		} else if row.State != StateDone {
			row.For = u.ID
			p.add(row)
		}
	}
	row, err := p.step(u, sd, StepRun, len(u.steps()) > 1)
	if err != nil {
		return err
	}
	p.add(row)
	if u.Final != nil {
		if row, err = p.step(u, sd, StepFinal, len(u.Evals) > 0); err != nil {
			return err
		}
		p.add(row)
	}
	for _, e := range u.Evals {
		row := PlanRow{Unit: u.ID, Seed: sd, Step: "eval:" + e.ID, State: StateToRun}
		row.Cost = p.costs[u.ID+"/"+row.Step]
		if src, ok := p.have[p.r.key(u.ID, sd, row.Step)]; ok {
			row.State, row.Source = StateDone, src
		}
		p.add(row)
	}
	return nil
}

// complete is runner.complete: every step's record is in a source.
func (p *planner) complete(u *Unit, sd int64) bool {
	for _, st := range u.steps() {
		if _, ok := p.have[p.r.key(u.ID, sd, st)]; !ok {
			return false
		}
	}
	return true
}

// step plans a checkpointed step as runner.step runs it: done when its
// record is in a source and (when needFolder) its folder holds the
// finished run or the plan runs it before, done from the run folder when
// the folder holds a finished run, else in progress when the folder holds
// a checkpoint, else to run.
func (p *planner) step(u *Unit, sd int64, step string, needFolder bool) (PlanRow, error) {
	row := PlanRow{Unit: u.ID, Seed: sd, Step: step}
	out := p.r.dir(u.ID, sd, step)
	_, statErr := os.Stat(experiment.RecordFile(out))
	finished := statErr == nil && u.Kind != KindAdapt
	k := p.r.key(u.ID, sd, step)
	src, have := p.have[k]
	switch {
	case have && (finished || !needFolder || p.runs[k]):
		row.State, row.Source = StateDone, src
		return row, nil
	case p.runs[k]: // planned already (a prior several adapt seeds share, prior_seed): its folder exists by then
		row.State, row.Source = StateDone, RunFolder
		return row, nil
	case finished:
		row.State, row.Source = StateDone, RunFolder
		p.runs[k] = true
		return row, nil
	}
	p.runs[k] = true
	row.State, row.Again, row.Cost = StateToRun, have, p.costs[u.ID+"/"+step]
	ck, ok, err := experiment.ReadCheckpointStatus(out)
	if !ok {
		return row, nil
	}
	row.State = StateInProgress
	if err != nil {
		row.CheckpointErr = err
		return row, nil
	}
	row.Checkpoint = &ck
	row.Iterations, row.Budget, err = p.limits(u, sd, step)
	return row, err
}

// limits are the iterations and the budget (0: none) of a step's run.
func (p *planner) limits(u *Unit, sd int64, step string) (int, time.Duration, error) {
	l, err := p.r.s.load(u, sd)
	if err != nil {
		return 0, 0, err
	}
	switch f := l.file.(type) {
	case *config.Config:
		return f.Iterations, f.Budget.Duration, nil
	case *config.MetatrainFile:
		return f.Metatrain.Iterations, f.Metatrain.Budget.Duration, nil
	case *config.SearchFile:
		if step != StepFinal {
			return f.Search.Iterations, f.Search.Budget.Duration, nil
		}
		cfg, err := p.r.derived(u.ID, sd, u.Final.Set) // the train.yaml the search wrote
		if err != nil {
			return 0, 0, err
		}
		return cfg.Iterations, cfg.Budget.Duration, nil
	}
	return 0, 0, nil
}

func (p *planner) add(row PlanRow) {
	p.plan.Rows = append(p.plan.Rows, row)
}

// PlanTotals sums a plan: its steps by state, the jobs (unit and seed)
// they belong to, and the CPU and wall seconds left over the steps not
// done that have an estimate (Estimated of them; Unestimated have none).
type PlanTotals struct {
	Steps, Jobs, Done, InProgress, ToRun int
	CPUSec, WallSec                      float64
	Estimated, Unestimated               int
}

// Totals sums the plan.
func (pl *SuitePlan) Totals() PlanTotals {
	var t PlanTotals
	jobs := map[string]bool{}
	for i := range pl.Rows {
		r := &pl.Rows[i]
		t.Steps++
		if r.For == "" {
			jobs[fmt.Sprintf("%s/%d", r.Unit, r.Seed)] = true
		}
		switch r.State {
		case StateDone:
			t.Done++
			continue
		case StateInProgress:
			t.InProgress++
		default:
			t.ToRun++
		}
		if cpu, wall, ok := r.Estimate(); ok {
			t.CPUSec, t.WallSec, t.Estimated = t.CPUSec+cpu, t.WallSec+wall, t.Estimated+1
		} else {
			t.Unestimated++
		}
	}
	t.Jobs = len(jobs)
	return t
}

// Table is the plan as a table: one row per step, and notes with the
// totals, the sources and the labels not planned.
func (pl *SuitePlan) Table() *reports.Table {
	label := "no label"
	if pl.Label != "" {
		label = "label " + pl.Label
	}
	t := &reports.Table{
		Title:  fmt.Sprintf("Plan: suite %s (version %d), %s, shard %d/%d", pl.Suite, pl.Version, label, pl.Shard, pl.Shards),
		Header: []string{"unit", "seed", "step", "state", "detail", "CPU-h left", "wall-h left", "estimated from"},
	}
	for i := range pl.Rows {
		r := &pl.Rows[i]
		cpu, wall, basis := "-", "-", "-"
		if r.State == StateDone {
			cpu, wall = "0", "0"
		} else if c, w, ok := r.Estimate(); ok {
			cpu, wall = fmt.Sprintf("%.2f", c/3600), fmt.Sprintf("%.2f", w/3600)
		}
		if r.State != StateDone && r.Cost != nil {
			basis = fmt.Sprintf("%d seed", r.Cost.Seeds) + plural(r.Cost.Seeds)
		}
		t.Rows = append(t.Rows, []string{r.Unit, fmt.Sprint(r.Seed), r.Step, r.State, r.detail(), cpu, wall, basis})
	}
	t.Notes = append(t.Notes, pl.totalsNote(), pl.sourcesNote())
	if len(pl.OtherLabels) > 0 {
		var ls []string
		for l, n := range pl.OtherLabels {
			if l == "" {
				l = "(none)"
			}
			ls = append(ls, fmt.Sprintf("%s (%d record%s)", l, n, plural(n)))
		}
		slices.Sort(ls)
		t.Notes = append(t.Notes, fmt.Sprintf("records of this suite version under other labels, another run's, not counted as done here (give its label to plan that run): %s", strings.Join(ls, ", ")))
	}
	t.Notes = append(t.Notes, "CPU-h and wall-h left: a whole step's cost, the mean over the seeds with records of the same suite version, unit and step (any label), times the share of its iterations left; - when there is none")
	return t
}

// detail says where a done step's record is, how far an in-progress
// step's checkpoint is, and why a step runs (again).
func (r *PlanRow) detail() string {
	var d string
	switch {
	case r.State == StateDone && r.Source == RunFolder:
		d = "record.json in its run folder (stored when the suite runs)"
	case r.State == StateDone:
		d = "record in " + r.Source
	case r.CheckpointErr != nil:
		d = fmt.Sprintf("checkpoint unreadable: %v", r.CheckpointErr)
	case r.Checkpoint != nil:
		d = r.checkpointDetail()
	}
	switch {
	case r.For != "" && r.Again:
		d = join(d, fmt.Sprintf("again, first, for %s: it needs this run folder, which holds no finished run", r.For))
	case r.For != "":
		d = join(d, "first, for "+r.For)
	case r.Again:
		d = join(d, "again: later steps need its run folder, which holds no finished run")
	}
	if d == "" {
		return "-"
	}
	return d
}

func (r *PlanRow) checkpointDetail() string {
	c := r.Checkpoint
	switch {
	case !c.Header:
		return "checkpoint without a header (iterations unknown)"
	case c.Done:
		return fmt.Sprintf("checkpoint: finished at %d iterations; test and record left", c.Iter)
	case r.Iterations > 0:
		return fmt.Sprintf("checkpoint: %d/%d iterations (%.0f%%), %.2f h trained", c.Iter, r.Iterations, 100*float64(c.Iter)/float64(r.Iterations), c.TrainSec/3600)
	case r.Budget > 0:
		return fmt.Sprintf("checkpoint: %d iterations, %.2f of %.2f h trained", c.Iter, c.TrainSec/3600, r.Budget.Hours())
	}
	return fmt.Sprintf("checkpoint: %d iterations, %.2f h trained", c.Iter, c.TrainSec/3600)
}

func (pl *SuitePlan) totalsNote() string {
	t := pl.Totals()
	s := fmt.Sprintf("%d step%s of %d job%s: %d done, %d in progress, %d to run", t.Steps, plural(t.Steps), t.Jobs, plural(t.Jobs), t.Done, t.InProgress, t.ToRun)
	switch left := t.InProgress + t.ToRun; {
	case left == 0:
		return s + "; nothing left"
	case t.Estimated == 0:
		return s + "; no estimate of the CPU-hours left (no records of these units)"
	case t.Unestimated == 0:
		return s + fmt.Sprintf("; about %.2f CPU-hours (%.2f h wall) left", t.CPUSec/3600, t.WallSec/3600)
	}
	return s + fmt.Sprintf("; about %.2f CPU-hours (%.2f h wall) left for the %d with an estimate, %d without one", t.CPUSec/3600, t.WallSec/3600, t.Estimated, t.Unestimated)
}

func (pl *SuitePlan) sourcesNote() string {
	s := "records read:"
	if len(pl.Sources) == 0 {
		return s + " none"
	}
	for i, src := range pl.Sources {
		if i > 0 {
			s += ";"
		}
		if src.Missing {
			s += fmt.Sprintf(" %s %s does not exist (none)", src.Name, src.Path)
			continue
		}
		n := 0
		for j := range src.Records {
			if _, ok := Identify(&src.Records[j], pl.Suite, pl.Version); ok {
				n++
			}
		}
		s += fmt.Sprintf(" %s %s, %d of this suite version", src.Name, src.Path, n)
	}
	return s
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
