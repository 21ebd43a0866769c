package cli

import (
	"bufio"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReferenceResumesExactly: the PyTorch reference stopped by SIGTERM in
// mid-training saves its checkpoint and exits 143; resumed, it ends exactly
// where an uninterrupted run with the same seed does (parameters, Adam
// state, both random states, the accuracy of every test episode and the
// training losses), which is what lets scripts/maml_vs_torch.sh spread its
// runs over sittings. A resume with another seed or another archive is
// refused.
func TestReferenceResumesExactly(t *testing.T) {
	py := torchPython(t)
	dir := t.TempDir()
	file := filepath.Join("..", "..", "benchmarks", "omniglot-5w1s-maml.yaml")
	sets := []string{"--set", "model.filters=8", "--set", "meta_batch=2", "--set", "queries=5", "--set", "eval.episodes=4",
		"--set", "eval.queries=5"}
	export := func(name string, more ...string) string {
		path := filepath.Join(dir, name)
		args := append(append([]string{"episodes", "--experiment", file, "--out", path}, sets...), more...)
		if code, _, errs := epRun(args...); code != 0 {
			t.Fatalf("export: exit %d: %s", code, errs)
		}
		return path
	}
	data := export("data.npz")
	script := filepath.Join("..", "..", "scripts", "maml_reference.py")
	ref := func(out string, extra ...string) *exec.Cmd {
		args := append([]string{script, "--data", data, "--seed", "3", "--eval-at-tasks", "10,40", "--threads", "1",
			"--log-every", "1", "--out", filepath.Join(dir, out)}, extra...)
		cmd := exec.Command(py, args...)
		cmd.Env = append(cmd.Environ(), "OPENBLAS_NUM_THREADS=1")
		return cmd
	}
	run := func(cmd *exec.Cmd) {
		t.Helper()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
		}
	}
	// stopAt runs cmd and sends it SIGTERM once it prints a line starting
	// with prefix; it wants the stop line and exit 143.
	stopAt := func(cmd *exec.Cmd, prefix string) {
		t.Helper()
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var lines []string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if strings.HasPrefix(sc.Text(), prefix) {
				_ = cmd.Process.Signal(syscall.SIGTERM)
			}
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		last := ""
		if len(lines) > 0 {
			last = lines[len(lines)-1]
		}
		if !errors.As(err, &ee) || ee.ExitCode() != 143 || !strings.HasPrefix(last, "stopped by signal 15 at iteration") {
			t.Fatalf("stopped at %q: %v, want exit 143 after the stop line:\n%s", prefix, err, strings.Join(lines, "\n"))
		}
		t.Log(last)
	}
	run(ref("whole.json"))
	stopAt(ref("parts.json"), "it 2 ")
	stopAt(ref("parts.json", "--resume"), "it 12 ")
	run(ref("parts.json", "--resume"))

	cmp := exec.Command(py, "-c", `import json, sys, torch
a, b = (torch.load(p + ".ckpt") for p in sys.argv[1:3])
ja, jb = (json.load(open(p)) for p in sys.argv[1:3])
sa, sb = a["opt"]["state"], b["opt"]["state"]
checks = {
    "parameters": all(torch.equal(x, y) for x, y in zip(a["params"], b["params"])),
    "adam state": all(torch.equal(sa[k][n], sb[k][n]) for k in sa for n in ("step", "exp_avg", "exp_avg_sq")),
    "task generator": a["rng"] == b["rng"],
    "torch generator": torch.equal(a["torch_rng"], b["torch_rng"]),
    "iterations": a["state"]["iterations"] == b["state"]["iterations"] == 20,
    "points": [p["tasks"] for p in ja["points"]] == [p["tasks"] for p in jb["points"]] == [10, 40],
    "episodes": [p["episodes"] for p in ja["points"]] == [p["episodes"] for p in jb["points"]],
    "losses": [x["loss"] for x in ja["train_log"]] == [x["loss"] for x in jb["train_log"]],
}
bad = [k for k, ok in checks.items() if not ok]
sys.exit("differ: " + ", ".join(bad) if bad else 0)`, filepath.Join(dir, "whole.json"), filepath.Join(dir, "parts.json"))
	run(cmp)

	for name, cmd := range map[string]*exec.Cmd{
		"another seed":    ref("parts.json", "--resume", "--seed", "4"),
		"another archive": ref("parts.json", "--resume", "--data", export("other.npz", "--set", "eval.episodes=3")),
	} {
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "is another run's checkpoint") {
			t.Errorf("%s: %v\n%s", name, err, out)
		}
	}
}
