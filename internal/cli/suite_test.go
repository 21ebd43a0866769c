package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/store"
	"github.com/metabench/metabench/store/storetest"
	"github.com/metabench/metabench/suite"
)

// childEnv makes the test binary run the command line given as JSON in it
// instead of the tests: the suite tests start real processes.
const childEnv = "METABENCH_TEST_CLI_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(childEnv); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.Exit(Run(args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// child returns a command that runs `metabench args...` in a new process.
func child(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	b, err := json.Marshal(args)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	return cmd
}

const smokeSuite = "../../benchmarks/suites/smoke.yaml"

// suiteRecords lists the smoke suite's records of a store by
// unit/seed/step/method/target, each with its per-episode accuracies.
func suiteRecords(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	st, err := store.Open(path)
	require.NoError(t, err)
	defer st.Close()
	recs, err := st.List(context.Background(), store.Filter{})
	require.NoError(t, err)
	out := map[string][]float64{}
	for i := range recs {
		id, ok := suite.Identify(&recs[i], "smoke", 1)
		require.True(t, ok, "record %s is not the suite's", recs[i].RunID)
		target := ""
		if recs[i].Target != nil {
			target = recs[i].Target.Name
		}
		k := fmt.Sprintf("%s/%d/%s/%s/%s", id.Unit, id.Seed, id.Step, recs[i].Method, target)
		_, dup := out[k]
		require.False(t, dup, "record %s stored twice", k)
		out[k] = recs[i].Episodes
	}
	return out
}

func needShared(t *testing.T) {
	t.Helper()
	epSharedDir(t, "mnist") // the smoke suite adapts to MNIST
	if testing.Short() {
		t.Skip("short")
	}
}

// TestSuiteShardsEqualOneRun: shards 0/2 and 1/2 of the smoke suite, run in
// two processes at once into one store (an SQLite file, and a PostgreSQL
// database where the test server runs), leave exactly the records of one
// process running shard 0/1 (per-episode accuracies equal); running it again
// runs nothing; the report prints the suite's table.
func TestSuiteShardsEqualOneRun(t *testing.T) {
	needShared(t)
	dir := t.TempDir()
	stores := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "two.db") },
		"postgres": func(t *testing.T) string { storetest.RequirePG(t); return storetest.FreshPG(t) },
	}
	one := filepath.Join(dir, "one.db")
	var so, se bytes.Buffer
	code := Run([]string{"suite", smokeSuite, "--store", one, "--out", filepath.Join(dir, "one"), "--quiet"}, &so, &se)
	require.Equal(t, 0, code, se.String())
	require.Contains(t, so.String(), "suite smoke (version 1)")
	want := suiteRecords(t, one)
	require.Len(t, want, 17) // adapt-mnist: 3 records (adapted, frozen, scratch) for each of 2 seeds

	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { shardsInto(t, stores[backend](t), want) })
	}

	so.Reset()
	se.Reset()
	code = Run([]string{"suite", smokeSuite, "--store", one, "--out", filepath.Join(dir, "one")}, &so, &se)
	require.Equal(t, 0, code, se.String())
	require.Equal(t, 10, strings.Count(se.String(), "skipped"), se.String())
	require.Equal(t, want, suiteRecords(t, one), "a finished suite ran again")
}

// shardsInto runs shards 0/2 and 1/2 of the smoke suite in two processes
// into store two, checks the records equal want, and that the report prints
// the suite's table.
func shardsInto(t *testing.T, two string, want map[string][]float64) {
	dir := t.TempDir()
	var cmds []*exec.Cmd
	for i := range 2 {
		c := child(t, "suite", smokeSuite, "--store", two, "--out", filepath.Join(dir, fmt.Sprintf("shard%d", i)), "--quiet")
		c.Env = append(c.Env, fmt.Sprintf("%s=%d", ShardIndexEnv, i), ShardCountEnv+"=2")
		var eb bytes.Buffer
		c.Stderr = &eb
		require.NoError(t, c.Start())
		cmds = append(cmds, c)
		t.Cleanup(func() {
			if eb.Len() > 0 {
				t.Log(eb.String())
			}
		})
	}
	for _, c := range cmds {
		require.NoError(t, c.Wait())
	}
	got := suiteRecords(t, two)
	require.Equal(t, want, got)

	var so, se bytes.Buffer
	require.Equal(t, 0, Run([]string{"report", "--store", two, "--suite", "smoke", "--format", "markdown"}, &so, &se))
	for _, s := range []string{"maml", "eval:5shot", "base-gumbel-fd", "final", "adapt-mnist", "Finn et al. 2017"} {
		require.Contains(t, so.String(), s)
	}
	// each row paired with MAML's on the same episodes; the search's genotype
	so.Reset()
	require.Equal(t, 0, Run([]string{"report", "--store", two, "--suite", "smoke", "--against", "maml"}, &so, &se), se.String())
	require.Contains(t, so.String(), "vs maml")
	require.Contains(t, so.String(), "(reference)")
	require.Regexp(t, `[+-]\d+\.\d\d \[[+-]`, so.String())
	so.Reset()
	require.Equal(t, 0, Run([]string{"report", "--store", two, "--suite", "smoke", "--genotypes"}, &so, &se), se.String())
	require.Contains(t, so.String(), "derived genotypes of base-gumbel-fd")
	require.Contains(t, so.String(), "identical networks: yes (seeds 0)")
	// the search's convergence: per seed in the table, drawn with --plot
	archFigs := t.TempDir()
	require.Equal(t, 0, Run([]string{"report", "--store", two, "--suite", "smoke", "--genotypes", "--plot", archFigs}, &so, &se), se.String())
	require.FileExists(t, filepath.Join(archFigs, "arch.svg"))
	so.Reset()
	require.Equal(t, 0, Run([]string{"report", "--store", two, "--suite", "smoke"}, &so, &se), se.String())
	require.Contains(t, so.String(), "converged: ")
	// the validation curve of the maml unit (eval.every_iterations=3 of 6):
	// points at 3 and 6, the gain over the doubling at 6, the plot
	so.Reset()
	plateauFigs := t.TempDir()
	require.Equal(t, 0, Run([]string{"report", "--store", two, "--suite", "smoke", "--plateau", "--plot", plateauFigs}, &so, &se), se.String())
	require.Contains(t, so.String(), "gain since iteration/2")
	require.Contains(t, so.String(), "maml run: ")
	require.Contains(t, so.String(), "multitask run: ", "the prior's validation curve (eval.val_tasks), points at 2 and 4 of 4")
	require.NotContains(t, so.String(), "fomaml", "a unit without validation points has no curve")
	require.NotContains(t, so.String(), "base-gumbel-fd", "a search's training statistics are no validation curve")
	require.FileExists(t, filepath.Join(plateauFigs, "plateau.svg"))
	se.Reset()
	require.Equal(t, 2, Run([]string{"report", "--store", two, "--suite", "smoke", "--plateau", "--curves"}, &so, &se))
	require.Contains(t, se.String(), "--plateau: not with")
	se.Reset()
	require.Equal(t, 1, Run([]string{"report", "--store", two, "--suite", "smoke", "--against", "nope"}, &so, &se))
	require.Contains(t, se.String(), "--against nope")
	se.Reset()
	require.Equal(t, 2, Run([]string{"report", "--store", two, "--genotypes"}, &so, &se))
	require.Contains(t, se.String(), "need --suite")
	// Figure 4 from the adapt unit: a curve per way of training, the
	// paired tests of adapted against frozen and scratch, the figure
	so.Reset()
	figs := t.TempDir()
	require.Equal(t, 0, Run([]string{"report", "--store", two, "--suite", "smoke", "--curves", "--plot", figs}, &so, &se), se.String())
	for _, s := range []string{"epoch 0", "epoch 1", "adapted", "frozen", "scratch", "adapt-mnist, mnist: adapted - frozen", "adapt-mnist, mnist: adapted - scratch"} {
		require.Contains(t, so.String(), s)
	}
	require.FileExists(t, filepath.Join(figs, "figure4.png"))
	require.FileExists(t, filepath.Join(figs, "figure4.svg"))
	se.Reset()
	require.Equal(t, 2, Run([]string{"report", "--store", two, "--suite", "smoke", "--plot", figs}, &so, &se))
	require.Contains(t, se.String(), "--plot with --suite needs --curves, --genotypes or --plateau")
	se.Reset()
	require.Equal(t, 2, Run([]string{"report", "--store", two, "--suite", "smoke", "--curves", "--genotypes"}, &so, &se))
	require.Contains(t, se.String(), "--curves: not with")

	// The results page: the suite's records as JSON files in a subfolder,
	// beside the suite file naming its reference, get a section.
	pages := t.TempDir()
	sub := filepath.Join(pages, "smoke")
	so.Reset()
	require.Equal(t, 0, Run([]string{"store", "export", "--from", two, "--to", sub, "--portable"}, &so, &se), se.String())
	require.Contains(t, so.String(), "exported 17 records")
	adapted, err := filepath.Glob(filepath.Join(sub, "adapt-*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, adapted)
	exported, err := os.ReadFile(adapted[0])
	require.NoError(t, err)
	require.NotContains(t, string(exported), `"`+string(filepath.Separator)+`tmp`, "a portable record names no absolute path")
	require.NotContains(t, string(exported), dir)
	so.Reset()
	require.Equal(t, 0, Run([]string{"store", "export", "--from", two, "--to", t.TempDir(), "--label", "nope"}, &so, &se), se.String())
	require.Contains(t, so.String(), "exported 0 records")
	se.Reset()
	require.Equal(t, 2, Run([]string{"store", "copy", "--from", two, "--to", t.TempDir(), "--label", "x"}, &so, &se))
	require.Contains(t, se.String(), "--label and --portable: export only")
	require.NoError(t, os.WriteFile(filepath.Join(sub, "suite.yaml"), []byte("name: smoke\nversion: 1\nreference: maml\nunits: []\n"), 0o644))
	so.Reset()
	require.Equal(t, 0, Run([]string{"report", "--records", pages, "--format", "markdown", "--page"}, &so, &se), se.String())
	for _, s := range []string{"## Suite smoke", "Records: `" + filepath.Base(pages) + "/smoke/` (17)", "vs maml", "(reference)",
		"derived genotypes of base-gumbel-fd", "after each adaptation epoch", "adapt-mnist, mnist: adapted - scratch"} {
		require.Contains(t, so.String(), s)
	}
}

// TestSuiteKilledResumes: a suite process killed (SIGKILL) once records
// have reached the store resumes when run again and ends with exactly the
// records of an uninterrupted run, none twice.
func TestSuiteKilledResumes(t *testing.T) {
	needShared(t)
	dir := t.TempDir()
	full := filepath.Join(dir, "full.db")
	var so, se bytes.Buffer
	require.Equal(t, 0, Run([]string{"suite", smokeSuite, "--store", full, "--out", filepath.Join(dir, "full"), "--label", "night-1", "--quiet"}, &so, &se), se.String())
	want := suiteRecords(t, full)

	db, out := filepath.Join(dir, "killed.db"), filepath.Join(dir, "killed")
	c := child(t, "suite", smokeSuite, "--store", db, "--out", out, "--quiet")
	require.NoError(t, c.Start())
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if st, err := store.Open(db); err == nil {
			recs, _ := st.List(context.Background(), store.Filter{})
			st.Close()
			if len(recs) >= 3 {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "no records after 2 minutes")
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, c.Process.Signal(syscall.SIGKILL))
	_ = c.Wait()
	killedAt := len(suiteRecords(t, db))
	require.Less(t, killedAt, len(want), "the suite finished before it was killed")

	se.Reset()
	require.Equal(t, 0, Run([]string{"suite", smokeSuite, "--store", db, "--out", out, "--quiet"}, &so, &se), se.String())
	require.Equal(t, want, suiteRecords(t, db))

	// A nightly run of the same suite under another label, against the
	// first (night-1) as baseline: the same seeds give the same episodes bit
	// for bit, so every seed reproduces and nothing moved (exit 0, also when
	// identity is required).
	so.Reset()
	se.Reset()
	code := Run([]string{"suite", smokeSuite, "--store", full, "--out", filepath.Join(dir, "night"), "--label", "night-2",
		"--baseline", "night-1", "--require-identical", "--format", "markdown", "--quiet"}, &so, &se)
	require.Equal(t, 0, code, se.String()+so.String())
	for _, want := range []string{"## Suite smoke: night-2 against baseline night-1", "| maml | run | maml | 1 | identical (10 episodes, bit for bit) |",
		"| maml | eval:5shot | maml | - | - | - | - | 0 | - | - | - | - | reproduced: no change |", "| adapt-mnist | run mnist | darts-supernet-scratch | 0 | identical", "Result: no regression (exit 0)"} {
		require.Contains(t, so.String(), want)
	}
	// a baseline label the store does not hold: no comparable baseline
	so.Reset()
	se.Reset()
	code = Run([]string{"suite", smokeSuite, "--store", full, "--out", filepath.Join(dir, "night"), "--label", "night-2",
		"--baseline", "night-1,night-0", "--quiet"}, &so, &se)
	require.Equal(t, 2, code, se.String())
	require.Contains(t, se.String(), "--baseline night-0: the store holds no run of suite smoke")
}

// TestSuiteBadInput: bad input exits 2 with one line naming the file, key or
// flag, and writes nothing.
func TestSuiteBadInput(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: bad\nversion: 1\nseeds: [0]\nunits: [{id: a, file: ../x.yaml, colour: red}]\n"), 0o644))
	notOurs := filepath.Join(dir, "other.db")
	require.NoError(t, os.WriteFile(notOurs, []byte("not a database at all, just text"), 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"suite", bad, "--store", db}, "colour"},
		{[]string{"suite", filepath.Join(dir, "missing.yaml"), "--store", db}, "missing.yaml"},
		{[]string{"suite", smokeSuite, "--store", db, "--shard", "3/2"}, "--shard"},
		{[]string{"suite", smokeSuite, "--store", db, "--shard", "0/0"}, "--shard"},
		{[]string{"suite", smokeSuite, "--store", db, "--shard", "x"}, "--shard"},
		{[]string{"suite", smokeSuite, "--store", notOurs}, "other.db"},
		{[]string{"suite"}, "suite file"},
		{[]string{"suite", smokeSuite, "--store", db, "--require-identical"}, "--require-identical needs --baseline"},
		{[]string{"suite", smokeSuite, "--store", db, "--baseline", "a,,b"}, "an empty label"},
	} {
		t.Run(strings.Join(c.args[1:min(3, len(c.args))], " "), func(t *testing.T) {
			var so, se bytes.Buffer
			code := Run(c.args, &so, &se)
			require.Equal(t, 2, code, se.String())
			require.Equal(t, 1, strings.Count(se.String(), "\n"), se.String())
			require.Contains(t, se.String(), c.want)
			require.NotContains(t, se.String(), "panic")
		})
	}
	_, err := os.Stat(db)
	require.True(t, os.IsNotExist(err), "a refused suite wrote the store")
	b, _ := os.ReadFile(notOurs)
	require.Equal(t, "not a database at all, just text", string(b))

	t.Setenv(ShardIndexEnv, "1")
	t.Setenv(ShardCountEnv, "")
	var so, se bytes.Buffer
	require.Equal(t, 2, Run([]string{"suite", smokeSuite, "--store", db}, &so, &se))
	require.Contains(t, se.String(), ShardCountEnv)
}

// TestSuitePlan: --plan runs nothing and prints per step whether it is
// done (the store's record of the seed that ran), or to run, priced from
// that seed's record; its bad input exits 2 with one line naming the flag,
// and a plan on a missing store does not create it.
func TestSuitePlan(t *testing.T) {
	dir := t.TempDir()
	mamlWriteFile(t, dir, "exp.yaml", cliGood)
	p := mamlWriteFile(t, dir, "s.yaml", "name: s\nversion: 1\nseeds: [0, 1]\nunits: [{id: a, file: exp.yaml}]\n")
	db, out := filepath.Join(dir, "r.db"), filepath.Join(dir, "runs")
	var so, se bytes.Buffer
	require.Equal(t, 0, Run([]string{"suite", p, "--store", db, "--out", out, "--seeds", "0", "--quiet"}, &so, &se), se.String())

	so.Reset()
	require.Equal(t, 0, Run([]string{"suite", p, "--plan", "--store", db, "--out", out, "--format", "json"}, &so, &se), se.String())
	var tab struct {
		Rows  [][]string `json:"rows"`
		Notes []string   `json:"notes"`
	}
	require.NoError(t, json.Unmarshal(so.Bytes(), &tab), so.String())
	require.Len(t, tab.Rows, 2)
	require.Equal(t, []string{"a", "0", "run", "done", "record in store"}, tab.Rows[0][:5])
	require.Equal(t, []string{"a", "1", "run", "to run"}, tab.Rows[1][:4])
	require.NotEqual(t, "-", tab.Rows[1][5], "seed 0's record prices seed 1")
	require.Contains(t, tab.Notes[0], "2 steps of 2 jobs: 1 done, 0 in progress, 1 to run; about")
	_, err := os.Stat(filepath.Join(out, "a", "seed-1"))
	require.True(t, os.IsNotExist(err), "the plan ran seed 1")

	absent := filepath.Join(dir, "absent.db")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--plan", "--store", absent}, 0, "absent.db does not exist"},
		{[]string{"--plan", "--store", db, "--records", filepath.Join(dir, "nope")}, 2, "--records"},
		{[]string{"--plan", "--store", db, "--units", "b"}, 2, `--units/--seeds: unit "b"`},
		{[]string{"--plan", "--store", db, "--baseline", "x"}, 2, "--plan runs nothing"},
		{[]string{"--store", db, "--records", dir}, 2, "--records goes with --plan"},
	} {
		so.Reset()
		se.Reset()
		require.Equal(t, c.code, Run(append([]string{"suite", p}, c.args...), &so, &se), se.String())
		if c.code == 0 {
			require.Contains(t, so.String(), c.want)
			continue
		}
		require.Equal(t, 1, strings.Count(se.String(), "\n"), se.String())
		require.Contains(t, se.String(), c.want)
	}
	_, err = os.Stat(absent)
	require.True(t, os.IsNotExist(err), "a plan created the store")
}
