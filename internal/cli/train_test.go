package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mamlRunCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// checkOneLine asserts a failure printed exactly one line naming want.
func mamlCheckOneLine(t *testing.T, code, wantCode int, stderr, want string) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("exit %d, want %d; stderr %q", code, wantCode, stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(stderr, want) || strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
		t.Fatalf("stderr %q: want one line containing %q", stderr, want)
	}
}

func mamlWriteFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const cliGood = `version: 1
method: fomaml
model: {name: conv4, filters: 4}
data: {path: embedded, val_fraction: 0.1, test_fraction: 0.2, rotations: true}
ways: 5
shots: 1
queries: 2
meta_batch: 1
iterations: 1
budget: 0
eval: {episodes: 2, queries: 2, val_episodes: 0}
`

func TestTrainBadInput(t *testing.T) {
	dir := t.TempDir()
	good := mamlWriteFile(t, dir, "good.yaml", cliGood)
	store := filepath.Join(dir, "r.db")
	out := filepath.Join(dir, "out")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{"train", filepath.Join(dir, "nope.yaml"), "--out", out}, 1, "nope.yaml"},
		{"unknown key", []string{"train", mamlWriteFile(t, dir, "k.yaml", cliGood+"bogus: 1\n"), "--out", out}, 1, "bogus"},
		{"wrong type", []string{"train", mamlWriteFile(t, dir, "w.yaml", strings.Replace(cliGood, "ways: 5", "ways: many", 1)), "--out", out}, 1, "many"},
		{"too many ways", []string{"train", good, "--out", out, "--set", "ways=5000"}, 1, "5000 ways"},
		{"too many shots", []string{"train", good, "--out", out, "--set", "shots=19", "--set", "queries=5"}, 1, "shots"},
		{"unknown method", []string{"train", good, "--out", out, "--set", "method=maml3"}, 1, "method"},
		{"unknown --set key", []string{"train", good, "--out", out, "--set", "wayz=3"}, 1, "wayz"},
		{"bad --set value", []string{"train", good, "--out", out, "--set", "budget=soon"}, 1, "budget"},
		{"missing data", []string{"train", good, "--out", out, "--set", "data.path=" + filepath.Join(dir, "none.npz")}, 1, "none.npz"},
		{"bad data", []string{"train", good, "--out", out, "--set", "data.path=" + good}, 1, "data.path"},
		{"resume without checkpoint", []string{"train", good, "--out", out, "--resume"}, 1, "--resume"},
		{"no --out", []string{"train", good}, 2, "--out"},
		{"no config", []string{"train", "--out", out}, 2, "experiment file"},
		{"unknown flag", []string{"train", good, "--out", out, "--bogus"}, 2, "bogus"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := mamlRunCLI(append(c.args, "--store", store, "--quiet")...)
			mamlCheckOneLine(t, code, c.code, stderr, c.want)
		})
	}
	// A good run, then the same folder again without --resume.
	code, stdout, stderr := mamlRunCLI("train", good, "--out", out, "--store", store, "--quiet")
	if code != 0 || !strings.Contains(stdout, "fomaml") {
		t.Fatalf("good run: exit %d, %q %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "record.json")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = mamlRunCLI("train", good, "--out", out, "--store", store, "--quiet")
	mamlCheckOneLine(t, code, 1, stderr, "holds a checkpoint already: resume the training, or choose another folder (--resume)")
}
