package suite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
)

// Store is what a suite needs of a results store (*store.Store has it).
type Store interface {
	List(ctx context.Context, f store.Filter) ([]reports.Record, error)
	Put(ctx context.Context, rec *reports.Record) error
}

// Job is one unit run with one seed. Jobs of one group run in order on one
// shard: an adapt unit joins the group of its prior's job, a from-unit the
// group of its search's.
type Job struct {
	Unit  *Unit
	Seed  int64
	Group int
}

// Jobs lists the suite's jobs, unit by unit, seed by seed.
func (s *Suite) Jobs() []Job {
	var jobs []Job
	group := map[string]int{}
	key := func(unit string, sd int64) string { return fmt.Sprintf("%s/%d", unit, sd) }
	for i := range s.Units {
		u := &s.Units[i]
		for _, sd := range u.Seeds {
			g, ok := group[key(u.dependsOn(), u.depSeed(sd))]
			if u.dependsOn() == "" || !ok {
				g = len(group)
			}
			group[key(u.ID, sd)] = g
			jobs = append(jobs, Job{Unit: u, Seed: sd, Group: g})
		}
	}
	return jobs
}

// Shard returns the jobs of shard i of n: group g goes to shard g mod n, so
// the assignment depends only on the suite file, and shards 0..n-1 together
// run every job exactly once.
func (s *Suite) Shard(i, n int) ([]Job, error) {
	if n < 1 || i < 0 || i >= n {
		return nil, fmt.Errorf("shard %d/%d: want 0 <= i < n", i, n)
	}
	var out []Job
	for _, j := range s.Jobs() {
		if j.Group%n == i {
			out = append(out, j)
		}
	}
	return out, nil
}

// CheckSelection says whether every unit id and seed of a partial run
// (Options.Units, Options.Seeds) is in the suite.
func (s *Suite) CheckSelection(units []string, seeds []int64) error {
	for _, id := range units {
		if !slices.ContainsFunc(s.Units, func(u Unit) bool { return u.ID == id }) {
			return fmt.Errorf("unit %q is not in suite %s", id, s.Name)
		}
	}
	for _, sd := range seeds {
		if !slices.ContainsFunc(s.Units, func(u Unit) bool { return slices.Contains(u.Seeds, sd) }) {
			return fmt.Errorf("seed %d is not in suite %s", sd, s.Name)
		}
	}
	return nil
}

// only keeps the jobs of the given units and seeds (all when a list is
// empty); a unit or seed the suite does not have is an error.
func (s *Suite) only(jobs []Job, units []string, seeds []int64) ([]Job, error) {
	if err := s.CheckSelection(units, seeds); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(jobs, func(j Job) bool {
		return len(units) > 0 && !slices.Contains(units, j.Unit.ID) || len(seeds) > 0 && !slices.Contains(seeds, j.Seed)
	}), nil
}

// Steps of a job; each leaves one record, identified in the store by the
// suite, its version, the unit, the seed, the step and the label.
const (
	StepRun   = "run"
	StepFinal = "final"
)

// steps lists what a unit's job records.
func (u *Unit) steps() []string {
	steps := []string{StepRun}
	if u.Final != nil {
		steps = append(steps, StepFinal)
	}
	for _, e := range u.Evals {
		steps = append(steps, "eval:"+e.ID)
	}
	return steps
}

// Options are the caller's choices for one suite invocation.
type Options struct {
	Store Store
	// Shard i of Shards (0 of 1 runs everything).
	Shard, Shards int
	// Label is recorded with every record; a suite's runs with another label
	// are other runs (a nightly run labels each night).
	Label string
	// Out holds the run folders: Out/<unit>/seed-<s>/{run,final}.
	Out string
	// Set are overrides applied to every unit after the suite's own.
	Set []string
	// Units and Seeds, when not empty, keep only the shard's jobs of these
	// units and seeds (a long suite run a part at a time).
	Units    []string
	Seeds    []int64
	Progress experiment.Progress
}

// Status is what happened to one job.
type Status struct {
	Unit    string
	Seed    int64
	Skipped bool  // every record was already in the store
	Err     error // nil when it succeeded
}

// Result is the outcome of a suite invocation.
type Result struct {
	Jobs []Status
}

// Failed lists the jobs that failed, "unit (seed s): error".
func (r *Result) Failed() []string {
	var out []string
	for _, j := range r.Jobs {
		if j.Err != nil {
			out = append(out, fmt.Sprintf("%s (seed %d): %v", j.Unit, j.Seed, j.Err))
		}
	}
	return out
}

// Run runs the jobs of the options' shard that are not yet complete in the
// store: a job whose records are all there is skipped, so a killed suite
// resumes where it stopped (a run folder's checkpoint is resumed too) and a
// finished job never runs twice. A failing job does not stop the others; a
// cancelled context stops the suite. The error is non-nil when a job failed
// or the suite was cancelled.
func Run(ctx context.Context, s *Suite, opt Options) (*Result, error) {
	jobs, err := s.jobs(opt)
	if err != nil {
		return nil, err
	}
	if opt.Store == nil {
		return nil, errors.New("suite: no results store")
	}
	if opt.Out == "" {
		return nil, errors.New("suite: no output folder")
	}
	if err := s.setOverrides(opt.Set); err != nil {
		return nil, err
	}
	r := &runner{s: s, opt: opt}
	if err := r.scan(ctx); err != nil {
		return nil, err
	}
	res := &Result{}
	for _, j := range jobs {
		st := Status{Unit: j.Unit.ID, Seed: j.Seed}
		if r.complete(j.Unit, j.Seed) {
			st.Skipped = true
			r.log("suite %s: %s seed %d: complete in the store, skipped", s.Name, j.Unit.ID, j.Seed)
		} else {
			r.log("suite %s: %s seed %d", s.Name, j.Unit.ID, j.Seed)
			st.Err = r.job(ctx, j)
		}
		res.Jobs = append(res.Jobs, st)
		if errors.Is(st.Err, experiment.ErrInterrupted) || ctx.Err() != nil {
			return res, fmt.Errorf("suite %s interrupted at %s seed %d; run it again to resume", s.Name, j.Unit.ID, j.Seed)
		}
	}
	if f := res.Failed(); len(f) > 0 {
		return res, fmt.Errorf("%d of %d jobs failed: %s", len(f), len(res.Jobs), strings.Join(f, "; "))
	}
	return res, nil
}

// jobs are the jobs an invocation with opt runs, in order: its shard's,
// kept to opt.Units and opt.Seeds.
func (s *Suite) jobs(opt Options) ([]Job, error) {
	if opt.Shards == 0 {
		opt.Shards = 1
	}
	jobs, err := s.Shard(opt.Shard, opt.Shards)
	if err != nil {
		return nil, err
	}
	return s.only(jobs, opt.Units, opt.Seeds)
}

// setOverrides sets the caller's overrides (Options.Set) of every unit
// and checks them on each unit's file.
func (s *Suite) setOverrides(set []string) error {
	s.override = set
	if len(set) > 0 {
		for i := range s.Units {
			if _, err := s.load(&s.Units[i], s.Units[i].Seeds[0]); err != nil {
				return fmt.Errorf("overrides: unit %s: %w", s.Units[i].ID, err)
			}
		}
	}
	return nil
}

// runner runs the jobs of one invocation.
type runner struct {
	s     *Suite
	opt   Options
	have  map[string]bool // record keys present in the store when the suite started
	done  map[string]bool // record keys saved by this invocation
	saved map[string]bool // run ids saved by this invocation
}

func (r *runner) log(format string, args ...any) {
	if r.opt.Progress != nil {
		r.opt.Progress.Log(fmt.Sprintf(format, args...))
	}
}

func (r *runner) key(unit string, sd int64, step string) string {
	return fmt.Sprintf("%s/%d/%s", unit, sd, step)
}

// scan reads which of the suite's records (this version, this label) the
// store holds.
func (r *runner) scan(ctx context.Context) error {
	recs, err := r.opt.Store.List(ctx, store.Filter{Label: r.opt.Label})
	if err != nil {
		return fmt.Errorf("reading the store: %w", err)
	}
	r.have, r.done, r.saved = map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i := range recs {
		if id, ok := Identify(&recs[i], r.s.Name, r.s.Version); ok && recs[i].Label == r.opt.Label {
			r.have[r.key(id.Unit, id.Seed, id.Step)] = true
		}
	}
	return nil
}

// Identify returns the suite step of a record of suite name at version (ok
// false for any other record, and for one that names no unit or step).
func Identify(rec *reports.Record, name string, version int) (id reports.SuiteID, ok bool) {
	s := rec.Suite
	if s == nil || s.Name != name || s.Version != version {
		return reports.SuiteID{}, false
	}
	return *s, s.Unit != "" && s.Step != ""
}

func (r *runner) complete(u *Unit, sd int64) bool {
	for _, st := range u.steps() {
		if !r.have[r.key(u.ID, sd, st)] {
			return false
		}
	}
	return true
}

// dir is the folder of a job's step ("run" or "final").
func (r *runner) dir(unit string, sd int64, step string) string {
	return filepath.Join(r.opt.Out, unit, fmt.Sprintf("seed-%d", sd), step)
}

// options are the experiment options of one step: the label, the suite
// step, and a Save that stores each record once.
func (r *runner) options(ctx context.Context, u *Unit, sd int64, step, out string) experiment.Options {
	return experiment.Options{Out: out, Label: r.opt.Label, Progress: r.opt.Progress,
		Suite: &reports.SuiteID{Name: r.s.Name, Version: r.s.Version, Unit: u.ID, Seed: sd, Step: step},
		Save:  func(rec *reports.Record) error { return r.save(ctx, u.ID, sd, step, rec) }}
}

// save stores rec unless the store held the step's record when the suite
// started (a job re-run to rebuild a run folder another machine kept).
// Adapt leaves several records under one step, all stored.
func (r *runner) save(ctx context.Context, unit string, sd int64, step string, rec *reports.Record) error {
	k := r.key(unit, sd, step)
	if r.have[k] || r.saved[rec.RunID] {
		return nil
	}
	if err := r.opt.Store.Put(ctx, rec); err != nil {
		return err
	}
	r.saved[rec.RunID], r.done[k] = true, true
	return nil
}

// job runs what is missing of one job.
func (r *runner) job(ctx context.Context, j Job) error {
	u, sd := j.Unit, j.Seed
	if u.Kind == KindAdapt {
		prior := r.unit(u.Prior)
		if err := r.main(ctx, prior, u.depSeed(sd), false); err != nil {
			return fmt.Errorf("prior %s: %w", prior.ID, err)
		}
	}
	if u.From != "" {
		if err := r.main(ctx, r.unit(u.From), sd, true); err != nil {
			return fmt.Errorf("from %s: %w", u.From, err)
		}
	}
	need := len(u.steps()) > 1
	if err := r.main(ctx, u, sd, need); err != nil {
		return err
	}
	ckDir := r.dir(u.ID, sd, StepRun)
	if u.Final != nil {
		ckDir = r.dir(u.ID, sd, StepFinal)
		if err := r.step(ctx, u, sd, StepFinal, len(u.Evals) > 0, func(opt experiment.Options) error {
			cfg, err := r.derived(u.ID, sd, u.Final.Set)
			if err != nil {
				return fmt.Errorf("final: %w", err)
			}
			_, err = experiment.Train(ctx, cfg, opt)
			return err
		}); err != nil {
			return err
		}
	}
	for _, e := range u.Evals {
		step := "eval:" + e.ID
		if k := r.key(u.ID, sd, step); r.have[k] || r.done[k] {
			continue
		}
		if _, cfg, err := experiment.LoadRun(ckDir); err == nil && cfg.Eval.Episodes == 0 {
			// the suite refuses this at load where it can (checkTuning)
			return fmt.Errorf("%s: %s is a tuning run (eval.episodes 0) with no test evaluation, and an extra evaluation protocol is a test evaluation", step, u.ID)
		}
		ec := experiment.DefaultEval(ckDir)
		ec.Shots, ec.Queries, ec.Episodes, ec.LR = e.Shots, e.Queries, e.Episodes, e.LR
		if e.Steps != nil {
			ec.Steps = *e.Steps
		}
		ec.StepsGrid, ec.LRGrid, ec.SelectEpisodes = e.StepsGrid, e.LRGrid, e.SelectEpisodes
		opt := r.options(ctx, u, sd, step, "")
		if _, err := experiment.Eval(ctx, ec, opt); err != nil {
			return fmt.Errorf("%s: %w", step, err)
		}
	}
	return nil
}

func (r *runner) unit(id string) *Unit {
	for i := range r.s.Units {
		if r.s.Units[i].ID == id {
			return &r.s.Units[i]
		}
	}
	return nil
}

// main runs a job's main step when its record is missing, or when later
// steps need its run folder (needFolder) and this machine does not have it.
func (r *runner) main(ctx context.Context, u *Unit, sd int64, needFolder bool) error {
	l, err := r.load(u, sd)
	if err != nil {
		return err
	}
	if a, ok := l.file.(*config.AdaptFile); ok {
		a.Prior = r.dir(u.Prior, u.depSeed(sd), StepRun) // the run of the prior unit with this seed (or prior_seed)
	}
	return r.step(ctx, u, sd, StepRun, needFolder || u.Kind == KindMetatrain, func(opt experiment.Options) error {
		_, err := l.kind.Run(ctx, l.file, opt)
		return err
	})
}

// step runs one checkpointed step in its folder unless its record is in the
// store and (when needFolder) the folder holds its finished run. A folder
// holding a finished run whose record is missing from the store (a job
// killed between the two) gives its record.json; a folder holding a
// checkpoint is resumed.
func (r *runner) step(ctx context.Context, u *Unit, sd int64, step string, needFolder bool, run func(experiment.Options) error) error {
	out := r.dir(u.ID, sd, step)
	recPath := experiment.RecordFile(out)
	_, statErr := os.Stat(recPath)
	finished := statErr == nil && u.Kind != KindAdapt
	k := r.key(u.ID, sd, step)
	have := r.have[k] || r.done[k]
	if have && (finished || !needFolder) {
		return nil
	}
	opt := r.options(ctx, u, sd, step, out)
	if finished {
		rec, err := reports.ReadJSON(recPath)
		if err != nil {
			return err
		}
		return opt.Save(rec)
	}
	opt.Resume = experiment.HasCheckpoint(out)
	return run(opt)
}
