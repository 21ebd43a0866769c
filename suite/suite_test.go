package suite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
	"github.com/stretchr/testify/require"
)

// writeSuite writes a suite file beside a copy of the tiny experiment file
// and returns its path.
func writeSuite(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	exp := "version: 1\nmethod: fomaml\nmodel: {name: conv4, filters: 4}\niterations: 2\nbudget: 0\nmeta_batch: 1\nqueries: 1\neval: {episodes: 3, queries: 2, val_episodes: 0}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "exp.yaml"), []byte(exp), 0o644))
	p := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func TestLoadBadInput(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"unknown key", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: a, file: exp.yaml, bogus: 1}]\n", "bogus"},
		{"unknown top key", "name: s\nversion: 1\nseedz: [0]\nunits: [{id: a, file: exp.yaml}]\n", "seedz"},
		{"missing file", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: a, file: nope.yaml}]\n", "nope.yaml"},
		{"no units", "name: s\nversion: 1\n", "units"},
		{"no version", "name: s\nseeds: [0]\nunits: [{id: a, file: exp.yaml}]\n", "version"},
		{"bad name", "name: S S\nversion: 1\nseeds: [0]\nunits: [{id: a, file: exp.yaml}]\n", "name"},
		{"duplicate id", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: a, file: exp.yaml}, {id: a, file: exp.yaml}]\n", "used twice"},
		{"bad kind", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: a, kind: dance, file: exp.yaml}]\n", "kind"},
		{"no seeds", "name: s\nversion: 1\nunits: [{id: a, file: exp.yaml}]\n", "seeds"},
		{"bad override", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: a, file: exp.yaml, set: [wayz=3]}]\n", "wayz"},
		{"prior not metatrain", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: a, file: exp.yaml}, {id: b, kind: adapt, prior: a, file: exp.yaml}]\n", "prior"},
		{"final on train", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: a, file: exp.yaml, final: {set: []}}]\n", "final"},
		{"unknown reference", "name: s\nversion: 1\nseeds: [0]\nreference: b\nunits: [{id: a, file: exp.yaml}]\n", "reference"},
		{"negative eval", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: a, file: exp.yaml, evals: [{id: e, shots: -1}]}]\n", "evals[0]"},
		{"protonets with test steps", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: pn, file: exp.yaml, set: [method=protonets, inner_steps=0, test_steps=0], evals: [{id: e, shots: 5, steps: 5}]}]\n", "evals[0] (pn): steps and lr adapt an inner loop, and protonets has none"},
		{"grid beside steps", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: a, file: exp.yaml, evals: [{id: e, steps: 3, steps_grid: [1, 5], select_episodes: 50}]}]\n", "evals[0].steps_grid"},
		{"grid without episodes", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: a, file: exp.yaml, evals: [{id: e, lr_grid: [0.1, 0.4]}]}]\n", "evals[0].select_episodes"},
		{"episodes without grid", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: a, file: exp.yaml, evals: [{id: e, select_episodes: 50}]}]\n", "evals[0].select_episodes"},
		{"bad grid rate", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: a, file: exp.yaml, evals: [{id: e, lr_grid: [0.1, 0], select_episodes: 5}]}]\n", "evals[0].lr_grid"},
		{"protonets with a grid", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: pn, file: exp.yaml, set: [method=protonets, inner_steps=0, test_steps=0], evals: [{id: e, steps_grid: [1, 3], select_episodes: 5}]}]\n", "protonets has none"},
		{"protonets with inner steps", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: pn, file: exp.yaml, set: [method=protonets, inner_steps=0, test_steps=3]}]\n", "test_steps: protonets has no inner loop"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := writeSuite(t, c.body)
			_, err := Load(p)
			require.Error(t, err)
			msg := err.Error()
			require.Contains(t, msg, c.want)
			require.Contains(t, msg, p, "the error names the suite file")
			require.NotContains(t, msg, "\n")
		})
	}
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	require.ErrorContains(t, err, "absent.yaml")
}

// TestShardsPartitionJobs: shards 0..n-1 hold every job exactly once, the
// assignment is a function of the file alone, and an adapt unit's job runs
// on its prior's shard.
func TestShardsPartitionJobs(t *testing.T) {
	s := &Suite{Name: "s", Version: 1, Units: []Unit{
		{ID: "a", Seeds: []int64{0, 1, 2}}, {ID: "m", Kind: KindMetatrain, Seeds: []int64{0, 1}},
		{ID: "b", Seeds: []int64{5}}, {ID: "ad", Kind: KindAdapt, Prior: "m", Seeds: []int64{1, 0}},
	}}
	all := s.Jobs()
	require.Len(t, all, 8)
	for _, n := range []int{1, 2, 3, 5} {
		seen := map[string]int{}
		shardOf := map[string]int{}
		for i := range n {
			jobs, err := s.Shard(i, n)
			require.NoError(t, err)
			again, _ := s.Shard(i, n)
			require.Equal(t, jobs, again)
			for _, j := range jobs {
				k := j.Unit.ID + "/" + string(rune('0'+j.Seed))
				seen[k]++
				shardOf[k] = i
			}
		}
		require.Len(t, seen, len(all), "n=%d", n)
		for k, c := range seen {
			require.Equal(t, 1, c, "job %s on %d shards", k, c)
		}
		require.Equal(t, shardOf["m/0"], shardOf["ad/0"])
		require.Equal(t, shardOf["m/1"], shardOf["ad/1"])
	}
	for _, bad := range [][2]int{{3, 2}, {0, 0}, {-1, 2}} {
		_, err := s.Shard(bad[0], bad[1])
		require.Error(t, err)
	}
}

// TestOnlyUnitsAndSeeds: --units and --seeds keep the shard's jobs of
// those units and seeds; unknown ones are errors.
func TestOnlyUnitsAndSeeds(t *testing.T) {
	s := &Suite{Name: "s", Version: 1, Units: []Unit{{ID: "a", Seeds: []int64{0, 1, 2}}, {ID: "b", Seeds: []int64{0, 1}}}}
	ids := func(jobs []Job) (out []string) {
		for _, j := range jobs {
			out = append(out, fmt.Sprintf("%s/%d", j.Unit.ID, j.Seed))
		}
		return out
	}
	for _, c := range []struct {
		units []string
		seeds []int64
		want  []string
	}{
		{nil, nil, []string{"a/0", "a/1", "a/2", "b/0", "b/1"}},
		{[]string{"b"}, nil, []string{"b/0", "b/1"}},
		{nil, []int64{0}, []string{"a/0", "b/0"}},
		{[]string{"a"}, []int64{2, 1}, []string{"a/1", "a/2"}},
	} {
		jobs, err := s.only(s.Jobs(), c.units, c.seeds)
		require.NoError(t, err)
		require.Equal(t, c.want, ids(jobs), "units %v seeds %v", c.units, c.seeds)
	}
	_, err := s.only(s.Jobs(), []string{"c"}, nil)
	require.ErrorContains(t, err, `unit "c"`)
	_, err = s.only(s.Jobs(), nil, []int64{7})
	require.ErrorContains(t, err, "seed 7")
}

// TestShippedSuitesLoad: every shipped suite file is valid.
func TestShippedSuitesLoad(t *testing.T) {
	files, err := filepath.Glob("../benchmarks/suites/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 4)
	for _, f := range files {
		s, err := Load(f)
		require.NoError(t, err, f)
		require.Equal(t, strings.TrimSuffix(filepath.Base(f), ".yaml"), s.Name, "a suite is named after its file")
	}
}

// TestFailingUnitDoesNotStopTheOthers: a unit that fails at run time (its
// data file is missing) is named in the error and the other units still
// run and store their records; a second invocation runs only the failed
// unit again.
func TestFailingUnitDoesNotStopTheOthers(t *testing.T) {
	p := writeSuite(t, "name: s\nversion: 1\nseeds: [0]\nunits:\n"+
		"  - {id: broken, file: exp.yaml, set: [data.path=missing.npz]}\n"+
		"  - {id: fine, file: exp.yaml}\n")
	s, err := Load(p)
	require.NoError(t, err)
	st, err := store.Open(filepath.Join(t.TempDir(), "r.db"))
	require.NoError(t, err)
	defer st.Close()
	opt := Options{Store: st, Out: filepath.Join(t.TempDir(), "runs")}
	res, err := Run(context.Background(), s, opt)
	require.Error(t, err)
	require.Contains(t, err.Error(), "1 of 2 jobs failed: broken (seed 0)")
	require.Contains(t, err.Error(), "missing.npz")
	require.NoError(t, res.Jobs[1].Err)
	recs, err := st.List(context.Background(), store.Filter{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	id, ok := Identify(&recs[0], "s", 1)
	require.True(t, ok)
	require.Equal(t, reports.SuiteID{Name: "s", Version: 1, Unit: "fine", Seed: 0, Step: StepRun}, id)

	res, err = Run(context.Background(), s, opt)
	require.Error(t, err)
	require.False(t, res.Jobs[0].Skipped)
	require.True(t, res.Jobs[1].Skipped, "the finished unit ran again")
}

// TestPriorSeed: an adapt unit with prior_seed adapts the prior unit's run
// of that seed for each of its seeds, so its jobs join that run's group (one
// shard); prior_seed is refused off an adapt unit and for a seed the prior
// has no run of.
func TestPriorSeed(t *testing.T) {
	zero := int64(0)
	s := &Suite{Name: "s", Version: 1, Units: []Unit{
		{ID: "m", Kind: KindMetatrain, Seeds: []int64{0}},
		{ID: "ad", Kind: KindAdapt, Prior: "m", PriorSeed: &zero, Seeds: []int64{0, 1, 2, 3, 4}},
	}}
	for _, j := range s.Jobs() {
		require.Equal(t, 0, j.Group, "%s/%d", j.Unit.ID, j.Seed)
	}
	for _, n := range []int{2, 3} {
		jobs, err := s.Shard(0, n)
		require.NoError(t, err)
		require.Len(t, jobs, 6)
	}
	mt, err := filepath.Abs("../benchmarks/metatrain-base-omniglot-2core.yaml")
	require.NoError(t, err)
	ad, err := filepath.Abs("../benchmarks/adapt-mnist-smoke.yaml")
	require.NoError(t, err)
	for _, c := range []struct{ name, units, want string }{
		{"not among the prior's seeds", "  - {id: m, kind: metatrain, file: " + mt + ", seeds: [0]}\n  - {id: ad, kind: adapt, prior: m, prior_seed: 3, file: " + ad + ", seeds: [0, 1]}\n", "units[1].prior_seed: seed 3 has no run of prior unit"},
		{"on a train unit", "  - {id: a, file: exp.yaml, prior_seed: 0}\n", "units[0].prior_seed: only an adapt unit"},
	} {
		_, err := Load(writeSuite(t, "name: s\nversion: 1\nseeds: [0]\nunits:\n"+c.units))
		require.ErrorContains(t, err, c.want, c.name)
	}
	// the smoke suite adapts seeds 0 and 1 from the prior's seed 0 (TestShippedSuitesLoad loads it)
}
