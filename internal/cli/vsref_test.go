package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metabench/metabench/reports"
)

// writeTrainRecord writes a minimal train record of a run at iters
// iterations of meta-batch mb.
func writeTrainRecord(t *testing.T, path string, seed int64, iters, mb int, eps []float64) {
	t.Helper()
	rec := &reports.Record{Schema: reports.SchemaVersion, RunID: filepath.Base(path), Kind: "train", Method: "maml",
		Seed: seed, Iters: iters, TrainSec: float64(iters), Episodes: eps, Summary: reports.Summarize(eps),
		Extra: map[string]any{"meta_batch": mb}}
	if err := reports.WriteJSON(path, rec); err != nil {
		t.Fatal(err)
	}
}

// writeRefResults writes a reference result file with points at tasks.
func writeRefResults(t *testing.T, path string, seed int64, tasks []int, eps [][]float64) {
	t.Helper()
	var r reports.ReferenceResults
	r.Seed = seed
	for i, n := range tasks {
		r.Points = append(r.Points, struct {
			Tasks        int       `json:"tasks"`
			TrainSeconds float64   `json:"train_seconds"`
			Episodes     []float64 `json:"episodes"`
		}{n, float64(n), eps[i]})
	}
	b, _ := json.Marshal(r)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestVsRef: records at three task counts per seed on each side give one
// row per count with its verdict (the last one far apart), and both plots;
// missing inputs are errors.
func TestVsRef(t *testing.T) {
	dir := t.TempDir()
	eps := func(base float64) []float64 { return []float64{base, base + 0.1, base - 0.1, base} }
	for _, seed := range []int64{0, 1} {
		off := 0.01 * float64(seed)
		writeTrainRecord(t, filepath.Join(dir, fmt.Sprintf("mb%d-4.json", seed)), seed, 2, 2, eps(0.5+off))
		writeTrainRecord(t, filepath.Join(dir, fmt.Sprintf("mb%d-8.json", seed)), seed, 4, 2, eps(0.6+off))
		writeTrainRecord(t, filepath.Join(dir, fmt.Sprintf("mb%d-12.json", seed)), seed, 6, 2, eps(0.8+off))
		writeRefResults(t, filepath.Join(dir, fmt.Sprintf("ref%d.json", seed)), seed, []int{4, 8, 12},
			[][]float64{eps(0.5 - off), eps(0.61 - off), eps(0.4)})
	}
	code, out, errs := epRun("vsref", "--metabench", filepath.Join(dir, "mb*.json"), "--reference", filepath.Join(dir, "ref*.json"),
		"--plots", filepath.Join(dir, "plots"), "--name", "cmp")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"50.0, 51.0", "61.0, 60.0", "+40.50 [", "yes", "NO", "cmp_tasks.svg", "cmp_wallclock.png"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := epRun("vsref", "--metabench", filepath.Join(dir, "none*.json"), "--reference", filepath.Join(dir, "ref*.json")); code != 1 {
		t.Fatalf("no metabench records: exit %d, want 1", code)
	}
	if code, _, _ := epRun("vsref", "--reference", filepath.Join(dir, "ref*.json")); code != 2 {
		t.Fatalf("no --metabench: exit %d, want 2", code)
	}
}

// TestExportCLIErrors: bad input to the export gives one line and exit 2.
func TestExportCLIErrors(t *testing.T) {
	file := filepath.Join("..", "..", "benchmarks", "omniglot-5w1s-maml.yaml")
	for name, args := range map[string][]string{
		"unknown key":   {"--experiment", file, "--set", "no_such_key=1", "--out", filepath.Join(t.TempDir(), "d.npz")},
		"unwritable":    {"--experiment", file, "--out", filepath.Join(t.TempDir(), "missing", "d.npz")},
		"no out":        {"--experiment", file},
		"sampling flag": {"--experiment", file, "--ways", "3", "--out", filepath.Join(t.TempDir(), "d.npz")},
		"out alone":     {"--out", filepath.Join(t.TempDir(), "d.npz")},
		"missing file":  {"--experiment", "no-such.yaml", "--out", filepath.Join(t.TempDir(), "d.npz")},
	} {
		code, _, errs := epRun(append([]string{"episodes"}, args...)...)
		if code != 2 || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q", name, code, errs)
		}
	}
}

// torchPython returns $PYTHON (default Debian's /usr/bin/python3) when it
// imports torch, else skips.
func torchPython(t *testing.T) string {
	t.Helper()
	py := os.Getenv("PYTHON") // the Python with torch, as scripts/maml_vs_torch.sh reads it
	if py == "" {
		py = "/usr/bin/python3" // Debian's, where apt's python3-torch installs
	}
	if testing.Short() {
		t.Skip("short: runs PyTorch")
	}
	if err := exec.Command(py, "-c", "import torch, numpy").Run(); err != nil {
		t.Skipf("%s cannot import torch: %v", py, err)
	}
	return py
}

// TestReferenceScoresMetabenchModel: the PyTorch reference, started from a
// metabench checkpoint's parameters (--init archive) and evaluated before
// any training, scores the exported test episodes as metabench's own test
// did: same images, rotations, labels, batch norm and test-time inner
// loop. Float differences between the two convolution kernels may flip a
// near-tied query, so episodes may differ by one query at most.
func TestReferenceScoresMetabenchModel(t *testing.T) {
	py := torchPython(t)
	dir := t.TempDir()
	file := filepath.Join("..", "..", "benchmarks", "omniglot-5w1s-maml.yaml")
	sets := []string{"--set", "model.filters=8", "--set", "meta_batch=2", "--set", "queries=5", "--set", "eval.episodes=8",
		"--set", "eval.queries=5", "--set", "eval.val_episodes=0", "--set", "budget=0", "--set", "data.eval_rotations=true"}
	run := filepath.Join(dir, "run")
	args := append([]string{"train", file, "--set", "iterations=3", "--out", run, "--store", filepath.Join(dir, "r.db"), "--quiet"}, sets...)
	if code, _, errs := epRun(args...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	data := filepath.Join(dir, "data.npz")
	if code, _, errs := epRun(append([]string{"episodes", "--experiment", file, "--params", run, "--out", data}, sets...)...); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errs)
	}
	res := filepath.Join(dir, "ref.json")
	cmd := exec.Command(py, filepath.Join("..", "..", "scripts", "maml_reference.py"), "--data", data, "--init", "archive",
		"--eval-at-tasks", "0", "--threads", "1", "--out", res)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("maml_reference.py: %v\n%s", err, out)
	}
	ref, err := reports.ReferenceTaskRuns(res)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := reports.ReadJSON(filepath.Join(run, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ref) != 1 || len(ref[0].Episodes) != len(rec.Episodes) {
		t.Fatalf("reference scored %v, metabench %d episodes", ref, len(rec.Episodes))
	}
	for i, a := range rec.Episodes {
		if d := math.Abs(a - ref[0].Episodes[i]); d > 1.0/25+1e-9 {
			t.Errorf("episode %d: metabench %.3f, reference %.3f", i, a, ref[0].Episodes[i])
		}
	}
	t.Logf("metabench %.4f, reference %.4f on %d episodes", rec.Summary.Mean, reports.Summarize(ref[0].Episodes).Mean, len(rec.Episodes))
}
