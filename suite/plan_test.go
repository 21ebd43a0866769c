package suite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
)

// planSuite is a suite of a train unit with an evaluation (seeds 0, 1, 2)
// and a second unit, with seed 0 of the first run to its end into a
// store (label L) and seed 1 interrupted after one of its two iterations:
// the suite file, the store and the run folders.
func planSuite(t *testing.T) (s *Suite, db, out string) {
	t.Helper()
	p := writeSuite(t, "name: s\nversion: 1\nseeds: [0, 1, 2]\nunits:\n"+
		"  - {id: a, file: exp.yaml, evals: [{id: e, shots: 2}]}\n"+
		"  - {id: b, file: exp.yaml, seeds: [0]}\n")
	s, err := Load(p)
	require.NoError(t, err)
	db, out = filepath.Join(t.TempDir(), "r.db"), filepath.Join(t.TempDir(), "runs")
	st, err := store.Open(db)
	require.NoError(t, err)
	defer st.Close()
	_, err = Run(context.Background(), s, Options{Store: st, Out: out, Label: "L", Units: []string{"a"}, Seeds: []int64{0}})
	require.NoError(t, err)
	l, err := s.load(&s.Units[0], 1)
	require.NoError(t, err)
	_, err = experiment.Train(context.Background(), l.train(), experiment.Options{Out: filepath.Join(out, "a", "seed-1", StepRun), StopAfter: 1})
	require.ErrorIs(t, err, experiment.ErrInterrupted)
	return s, db, out
}

// rowsOf lists a plan's rows as unit/seed/step state.
func rowsOf(pl *SuitePlan) []string {
	var out []string
	for _, r := range pl.Rows {
		out = append(out, r.Unit+"/"+string(rune('0'+r.Seed))+"/"+r.Step+" "+r.State)
	}
	return out
}

// TestPlan: a plan over a store with one finished job, a run folder with a
// checkpoint and jobs to run says which is which in the suite's order,
// reads the checkpoint's iterations, and prices what is left from the
// finished seed's records; a unit with no records has no estimate. It runs
// and writes nothing.
func TestPlan(t *testing.T) {
	s, db, out := planSuite(t)
	src, err := StoreSource(context.Background(), db)
	require.NoError(t, err)
	pl, err := Plan(s, Options{Out: out, Label: "L"}, src)
	require.NoError(t, err)
	require.Equal(t, []string{"a/0/run done", "a/0/eval:e done", "a/1/run in progress", "a/1/eval:e to run",
		"a/2/run to run", "a/2/eval:e to run", "b/0/run to run"}, rowsOf(pl))
	require.Equal(t, "store", pl.Rows[0].Source)

	ck := pl.Rows[2]
	require.NotNil(t, ck.Checkpoint)
	require.True(t, ck.Checkpoint.Header)
	require.Equal(t, 1, ck.Checkpoint.Iter)
	require.Equal(t, 2, ck.Iterations)
	require.InDelta(t, 0.5, ck.Left(), 1e-12)
	whole := pl.Rows[4]
	require.NotNil(t, whole.Cost)
	require.Equal(t, 1, whole.Cost.Seeds)
	require.Greater(t, whole.Cost.CPUSec, 0.0)
	cpu, _, ok := ck.Estimate()
	require.True(t, ok)
	require.InDelta(t, whole.Cost.CPUSec/2, cpu, 1e-9, "half the iterations left, half the cost")
	_, _, ok = pl.Rows[6].Estimate()
	require.False(t, ok, "unit b has no records to price it")

	tot := pl.Totals()
	require.Equal(t, PlanTotals{Steps: 7, Jobs: 4, Done: 2, InProgress: 1, ToRun: 4, CPUSec: tot.CPUSec, WallSec: tot.WallSec, Estimated: 4, Unestimated: 1}, tot)
	var b bytes.Buffer
	require.NoError(t, pl.Table().Render(&b, reports.FormatText))
	for _, want := range []string{"1/2 iterations (50%)", "record in store", "7 steps of 4 jobs: 2 done, 1 in progress, 4 to run",
		"for the 4 with an estimate, 1 without one", "1 seed"} {
		require.Contains(t, b.String(), want)
	}

	// the same jobs as Run's selection, in its order
	pl, err = Plan(s, Options{Out: out, Label: "L", Shard: 1, Shards: 2}, src)
	require.NoError(t, err)
	require.Equal(t, []string{"a/1/run in progress", "a/1/eval:e to run", "b/0/run to run"}, rowsOf(pl))
	pl, err = Plan(s, Options{Out: out, Label: "L", Seeds: []int64{2}}, src)
	require.NoError(t, err)
	require.Equal(t, []string{"a/2/run to run", "a/2/eval:e to run"}, rowsOf(pl))
	_, err = Plan(s, Options{Out: out, Units: []string{"c"}}, src)
	require.ErrorContains(t, err, `unit "c"`)

	_, err = os.Stat(filepath.Join(out, "a", "seed-2"))
	require.True(t, os.IsNotExist(err), "a plan wrote a run folder")
}

// TestPlanRecordsFolder: records exported to a folder count as done like
// the store's, under the plan's label only (others are counted apart but
// price the steps); a step whose record is there but whose run folder a
// later step needs, and is not here, runs again; a missing store is read
// as none.
func TestPlanRecordsFolder(t *testing.T) {
	s, db, _ := planSuite(t)
	st, err := store.Open(db)
	require.NoError(t, err)
	dir := t.TempDir()
	_, err = store.Export(context.Background(), st, store.Filter{}, dir, true)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	set, err := reports.ReadRecordSet(dir)
	require.NoError(t, err)
	require.Len(t, set.Records, 2)
	for _, r := range set.Records { // keep the run's record only: its evaluation is to run
		if r.Record.Suite.Step != StepRun {
			require.NoError(t, os.Remove(filepath.Join(dir, r.Name)))
		}
	}
	recs, err := RecordsSource(dir)
	require.NoError(t, err)
	none, err := StoreSource(context.Background(), filepath.Join(t.TempDir(), "absent.db"))
	require.NoError(t, err)
	require.True(t, none.Missing)
	out := filepath.Join(t.TempDir(), "elsewhere") // another machine: no run folders

	pl, err := Plan(s, Options{Out: out, Label: "L", Seeds: []int64{0}}, none, recs)
	require.NoError(t, err)
	require.Equal(t, []string{"a/0/run to run", "a/0/eval:e to run", "b/0/run to run"}, rowsOf(pl))
	require.True(t, pl.Rows[0].Again)
	var b bytes.Buffer
	require.NoError(t, pl.Table().Render(&b, reports.FormatText))
	require.Contains(t, b.String(), "absent.db does not exist")
	require.Contains(t, b.String(), "again: later steps need its run folder")

	pl, err = Plan(s, Options{Out: out, Label: "L", Units: []string{"b"}}, recs)
	require.NoError(t, err)
	require.Equal(t, []string{"b/0/run to run"}, rowsOf(pl))

	pl, err = Plan(s, Options{Out: out, Units: []string{"a"}, Seeds: []int64{0}}, recs) // no label: not that run
	require.NoError(t, err)
	require.Equal(t, []string{"a/0/run to run", "a/0/eval:e to run"}, rowsOf(pl))
	require.False(t, pl.Rows[0].Again)
	require.NotNil(t, pl.Rows[0].Cost, "a record under another label still prices the step")
	require.Equal(t, map[string]int{"L": 1}, pl.OtherLabels)

	// a checkpoint written before checkpoints had a header: in progress,
	// its iterations unknown, priced whole
	old := filepath.Join(out, "b", "seed-0", StepRun)
	require.NoError(t, os.MkdirAll(old, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(old, "checkpoint.gob"), []byte("a bare gob of an older metabench"), 0o644))
	pl, err = Plan(s, Options{Out: out, Label: "L", Units: []string{"b"}}, recs)
	require.NoError(t, err)
	require.Equal(t, []string{"b/0/run in progress"}, rowsOf(pl))
	require.False(t, pl.Rows[0].Checkpoint.Header)
	require.Equal(t, 1.0, pl.Rows[0].Left())
	b.Reset()
	require.NoError(t, pl.Table().Render(&b, reports.FormatText))
	require.Contains(t, b.String(), "checkpoint without a header")

	_, err = RecordsSource(filepath.Join(dir, "absent"))
	require.ErrorContains(t, err, "absent")
}

// TestPlanPriorSeed: adapt seeds that share one prior's run (prior_seed)
// plan that run once, with the first adapt job that needs it (when the
// prior unit's own job is not selected) or with the prior's own job.
func TestPlanPriorSeed(t *testing.T) {
	mt, err := filepath.Abs("../benchmarks/metatrain-base-omniglot-2core.yaml")
	require.NoError(t, err)
	ad, err := filepath.Abs("../benchmarks/adapt-mnist-smoke.yaml")
	require.NoError(t, err)
	s, err := Load(writeSuite(t, "name: s\nversion: 1\nseeds: [0, 1, 2]\nunits:\n"+
		"  - {id: m, kind: metatrain, file: "+mt+", seeds: [0]}\n"+
		"  - {id: ad, kind: adapt, prior: m, prior_seed: 0, file: "+ad+"}\n"))
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "runs")
	pl, err := Plan(s, Options{Out: out}, Source{Name: "none"})
	require.NoError(t, err)
	require.Equal(t, []string{"m/0/run to run", "ad/0/run to run", "ad/1/run to run", "ad/2/run to run"}, rowsOf(pl))
	pl, err = Plan(s, Options{Out: out, Units: []string{"ad"}}, Source{Name: "none"})
	require.NoError(t, err)
	require.Equal(t, []string{"m/0/run to run", "ad/0/run to run", "ad/1/run to run", "ad/2/run to run"}, rowsOf(pl))
	require.Equal(t, "ad", pl.Rows[0].For, "the prior runs for the first adapt job")
}
