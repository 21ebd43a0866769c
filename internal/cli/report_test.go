package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
)

// storeTestEpisodes returns 600 per-episode accuracies (k/75) of fixed
// episodes: episode i has difficulty diff[i], shared by every run drawn from
// the same episodeSeed, and the run's accuracy is shifted by shift; noiseSeed
// draws the run's own noise.
func storeTestEpisodes(episodeSeed, noiseSeed uint64, shift float64) []float64 {
	erng := rand.New(rand.NewPCG(episodeSeed, 1))
	rng := rand.New(rand.NewPCG(noiseSeed, 2))
	out := make([]float64, 600)
	for i := range out {
		p := math.Min(1, math.Max(0, 0.9+0.06*erng.NormFloat64()+shift))
		k := 0
		for range 75 {
			if rng.Float64() < p {
				k++
			}
		}
		out[i] = float64(k) / 75
	}
	return out
}

func storeTestRecord(id, label string, started int, eps []float64) *reports.Record {
	return &reports.Record{
		Schema: reports.SchemaVersion, RunID: id, Kind: "eval", Label: label, Method: "maml", Model: "conv4",
		Started: time.Date(2026, 11, 27, 12, started, 0, 0, time.UTC),
		Config:  map[string]any{"method": "maml"}, Seed: int64(started),
		Dataset:  reports.Dataset{Path: "/data/omniglot", Format: "omniglot", SHA256: "abc", Split: "omniglot:test"},
		Proto:    reports.Protocol{Ways: 5, Shots: 1, Queries: 15, StepsTrain: 1, StepsTest: 3, InnerLR: 0.4, BNMode: "transductive", EvalEpisode: len(eps), EvalSeed: 7, Rotations: true},
		Episodes: eps, Summary: reports.Summarize(eps), Params: 112005, WallSec: 754, Iters: 1000,
		Curve: []reports.Point{{Iter: 0, WallSec: 0, Accuracy: 0.2}, {Iter: 500, WallSec: 300, Accuracy: 0.85}, {Iter: 1000, WallSec: 600, Accuracy: 0.93}},
		Adapt: []reports.Point{{Step: 0, Accuracy: 0.2}, {Step: 1, Accuracy: 0.9}, {Step: 3, Accuracy: 0.95}},
		Env:   reports.NewEnv(),
	}
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestReportFormatsShowPaperReference(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	require.NoError(t, store.SaveRecord(path, storeTestRecord("eval-maml-a", "nightly", 1, storeTestEpisodes(1, 1, 0))))
	other := storeTestRecord("eval-reptile-b", "", 2, storeTestEpisodes(1, 2, 0))
	other.Method, other.Kind = "reptile", "train"
	require.NoError(t, store.SaveRecord(path, other))

	for _, format := range []string{"text", "markdown", "csv", "json"} {
		code, out, errOut := runCLI("report", "--store", path, "--format", format, "--method", "maml")
		require.Equal(t, 0, code, errOut)
		assert.Contains(t, out, "eval-maml-a", format)
		assert.NotContains(t, out, "eval-reptile-b", format)
		switch format {
		case "json":
			var rows []reports.RunRow
			require.NoError(t, json.Unmarshal([]byte(out), &rows))
			require.Len(t, rows, 1)
			require.NotNil(t, rows[0].Ref)
			assert.InDelta(t, 0.987, rows[0].Ref.Accuracy, 1e-12)
			assert.Equal(t, "Finn et al. 2017, Table 1", rows[0].Ref.Source)
		default:
			assert.Contains(t, out, "98.7 ± 0.4 (Finn et al. 2017, Table 1)", format)
		}
	}
	code, out, _ := runCLI("report", "--store", path, "--kind", "train")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "97.68 ± 0.04 (Nichol et al. 2018, Table 2 (transductive))")
	assert.NotContains(t, out, "eval-maml-a")

	t.Setenv(StoreEnv, path)
	code, out, _ = runCLI("report", "--label", "nightly", "--format", "csv")
	require.Equal(t, 0, code)
	assert.Equal(t, 2, strings.Count(out, "\n"), out)
}

func TestReportEmptyStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.db")
	s, err := store.Open(path)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	code, out, errOut := runCLI("report", "--store", path, "--format", "json")
	assert.Equal(t, 0, code)
	assert.Equal(t, "[]\n", out)
	assert.Contains(t, errOut, "no runs")
}

func TestReportPlots(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.db")
	require.NoError(t, store.SaveRecord(path, storeTestRecord("a", "", 1, storeTestEpisodes(1, 1, 0))))
	plots := filepath.Join(dir, "plots")
	code, _, errOut := runCLI("report", "--store", path, "--plot", plots)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "wrote 8 plot files")
	for _, base := range []string{"accuracy_vs_iteration", "accuracy_vs_wallclock", "adaptation", "methods"} {
		for _, ext := range []string{".png", ".svg"} {
			fi, err := os.Stat(filepath.Join(plots, base+ext))
			require.NoError(t, err)
			assert.Positive(t, fi.Size())
		}
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	code, _, errOut := runCLI("report", "--store", missing)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "does not exist")
	assert.Equal(t, 1, strings.Count(errOut, "\n"))
	_, err := os.Stat(missing)
	assert.True(t, os.IsNotExist(err), "report created the store")

	junk := filepath.Join(dir, "junk.db")
	require.NoError(t, os.WriteFile(junk, bytes.Repeat([]byte{0xAB}, 4096), 0o644))
	code, _, errOut = runCLI("report", "--store", junk)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not a SQLite database")
	assert.Contains(t, errOut, junk)
	assert.Equal(t, 1, strings.Count(errOut, "\n"))

	for _, args := range [][]string{
		{"report", "--format", "xml"},
		{"report", "--kind", "bogus"},
		{"report", "extra-arg"},
		{"report", "--nope"},
	} {
		code, _, errOut := runCLI(args...)
		assert.Equal(t, 2, code, args)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), args)
	}
	code, _, errOut = runCLI("report", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut, "usage: metabench report")
}

// TestStoreFlagsSave: --store and --label decide where and under which
// label a record goes (the order of --store, $METABENCH_STORE and the
// experiment file's store is store.TestResolvePath's).
func TestStoreFlagsSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	fs := newFlagSet("train")
	sf := AddStoreFlags(fs)
	require.NoError(t, fs.Parse([]string{"--store", path, "--label", "nightly"}))
	rec := storeTestRecord("r", "", 1, []float64{0.5, 0.7})
	got, err := sf.Save(rec, "ignored.db")
	require.NoError(t, err)
	assert.Equal(t, path, got)
	s, err := store.Open(path)
	require.NoError(t, err)
	defer s.Close()
	r, err := s.Get(t.Context(), "r")
	require.NoError(t, err)
	assert.Equal(t, "nightly", r.Label)
}

// TestReportCrossVal: `report --crossval` summarises the runs of one
// experiment over its folds (from the store's records, JSON and text) and
// says so when no experiment has two folds.
func TestReportCrossVal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	for f := 0; f < 3; f++ {
		rec := storeTestRecord("run-fold"+string(rune('0'+f)), "", f, storeTestEpisodes(1, uint64(10+f), 0.02*float64(f)))
		rec.Config = map[string]any{"method": "maml", "data": map[string]any{"path": "embedded", "fold": f}}
		require.NoError(t, store.SaveRecord(path, rec))
	}
	code, out, errOut := runCLI("report", "--store", path, "--crossval", "--format", "json")
	require.Equal(t, 0, code, errOut)
	var cvs []reports.CrossVal
	require.NoError(t, json.Unmarshal([]byte(out), &cvs))
	require.Len(t, cvs, 1)
	require.Len(t, cvs[0].Folds, 3)
	require.Equal(t, 1800, cvs[0].Pooled.N)
	require.Equal(t, 0, cvs[0].Lowest.Fold)
	require.Greater(t, cvs[0].CI95, 0.0)

	code, out, _ = runCLI("report", "--store", path, "--crossval")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "0,1,2")
	assert.Contains(t, out, "mean of folds")

	code, _, errOut = runCLI("report", "--store", path, "--crossval", "--label", "nothing")
	require.Equal(t, 0, code)
	assert.Contains(t, errOut, "two or more folds")
}

// TestResultsPage: docs/RESULTS.md is exactly what its documented command
// renders from docs/records, so a hand edit or a stale page fails here.
func TestResultsPage(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	want, err := os.ReadFile(filepath.Join("docs", "RESULTS.md"))
	require.NoError(t, err)
	code, out, errOut := runCLI("report", "--records", "docs/records", "--format", "markdown", "--page")
	require.Equal(t, 0, code, errOut)
	require.Empty(t, errOut, "every .json file of docs/records is a record or a cross-validation summary")
	if out != string(want) {
		t.Fatal("docs/RESULTS.md differs from what `make results` renders from docs/records: run `make results` (never edit it by hand)")
	}
}

// TestReportRecords: --records reads a folder of JSON records (skipping
// other .json files with a note) for the runs table and --crossval; --page
// and --records refuse the flags they do not go with.
func TestReportRecords(t *testing.T) {
	dir := t.TempDir()
	for f := 0; f < 2; f++ {
		rec := storeTestRecord("run-fold"+string(rune('0'+f)), "", f, storeTestEpisodes(1, uint64(10+f), 0))
		rec.Config = map[string]any{"method": "maml", "data": map[string]any{"path": "embedded", "fold": f}}
		require.NoError(t, reports.WriteJSON(filepath.Join(dir, rec.RunID+".json"), rec))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other.json"), []byte(`{"x": 1}`), 0o644))

	code, out, errOut := runCLI("report", "--records", dir, "--format", "csv")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 3, strings.Count(out, "\n"), out)
	assert.Contains(t, errOut, "other.json: neither a record nor a cross-validation summary, skipped")

	code, out, errOut = runCLI("report", "--records", dir, "--crossval", "--format", "json")
	require.Equal(t, 0, code, errOut)
	var cvs []reports.CrossVal
	require.NoError(t, json.Unmarshal([]byte(out), &cvs))
	require.Len(t, cvs, 1)
	assert.Len(t, cvs[0].Folds, 2)

	code, out, _ = runCLI("report", "--records", dir, "--format", "markdown", "--page")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "# Results")
	assert.NotRegexp(t, "[ `(]/[a-zA-Z]", out, "an absolute path on the page")

	for _, args := range [][]string{
		{"report", "--page", "--format", "markdown"},
		{"report", "--records", dir, "--page"},
		{"report", "--records", dir, "--store", "x.db"},
		{"report", "--records", dir, "--method", "maml"},
	} {
		code, _, errOut := runCLI(args...)
		assert.Equal(t, 2, code, args)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), args)
	}
}
