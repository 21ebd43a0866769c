package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalCommand(t *testing.T) {
	dir := t.TempDir()
	good := mamlWriteFile(t, dir, "good.yaml", cliGood)
	store := filepath.Join(dir, "r.db")
	run := filepath.Join(dir, "run")
	if code, _, stderr := mamlRunCLI("train", good, "--out", run, "--store", store, "--quiet"); code != 0 {
		t.Fatalf("train: %d %s", code, stderr)
	}
	code, stdout, stderr := mamlRunCLI("eval", "--checkpoint", run, "--episodes", "3", "--queries", "2", "--steps", "2", "--seed", "5", "--format", "json", "--store", store)
	if code != 0 {
		t.Fatalf("eval: %d %s", code, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("eval output %q: %v", stdout, err)
	}
	for k, want := range map[string]float64{"episodes": 3, "ways": 5, "shots": 1, "queries": 2, "steps": 2, "seed": 5} {
		if res[k] != want {
			t.Errorf("%s = %v, want %v", k, res[k], want)
		}
	}
	if a, ok := res["accuracy"].(float64); !ok || a < 0 || a > 1 {
		t.Errorf("accuracy %v", res["accuracy"])
	}
	if _, ok := res["ci95"].(float64); !ok || res["bn_mode"] != "transductive" {
		t.Errorf("fields: %v", res)
	}
	// The same episodes give the same accuracy (fixed evaluation set).
	_, again, _ := mamlRunCLI("eval", "--checkpoint", run, "--episodes", "3", "--queries", "2", "--steps", "2", "--seed", "5", "--format", "json", "--store", store)
	var res2 map[string]any
	_ = json.Unmarshal([]byte(again), &res2)
	if res2["accuracy"] != res["accuracy"] {
		t.Errorf("eval not deterministic: %v vs %v", res["accuracy"], res2["accuracy"])
	}

	mnist := filepath.Join("..", "..", "..", "shared", "data", "mnist")
	if _, err := os.Stat(mnist); err == nil {
		code, stdout, stderr = mamlRunCLI("eval", "--checkpoint", run, "--data", mnist, "--subset", "test", "--episodes", "2", "--queries", "2", "--format", "json", "--store", store)
		if code != 0 || !strings.Contains(stdout, `"classes":10`) {
			t.Errorf("eval on MNIST: %d %q %q", code, stdout, stderr)
		}
	}

	bad := mamlWriteFile(t, dir, "bad.gob", "not a checkpoint")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing checkpoint", []string{"--checkpoint", filepath.Join(dir, "none")}, 1, "none"},
		{"corrupt checkpoint", []string{"--checkpoint", bad}, 1, "not a metabench train checkpoint"},
		{"too many ways for the head", []string{"--checkpoint", run, "--ways", "20"}, 1, "eval.ways 20"},
		{"missing data", []string{"--checkpoint", run, "--data", filepath.Join(dir, "x.npz")}, 1, "x.npz"},
		{"too many shots", []string{"--checkpoint", run, "--shots", "19", "--queries", "5"}, 1, "shots"},
		{"no checkpoint flag", []string{"--episodes", "3"}, 2, "--checkpoint"},
		{"bad format", []string{"--checkpoint", run, "--format", "xml"}, 2, "--format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := mamlRunCLI(append(append([]string{"eval"}, c.args...), "--store", store)...)
			mamlCheckOneLine(t, code, c.code, stderr, c.want)
		})
	}
}
