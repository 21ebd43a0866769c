package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/search/genotype"
)

const tinySearchYAML = `version: 1
method: maml
model: {name: conv4, filters: 8}
data: {path: embedded, val_fraction: 0.1, test_fraction: 0.2, rotations: true}
ways: 3
shots: 1
queries: 1
inner_lr: 0.4
meta_batch: 2
iterations: 10
workers: 1
search:
  variant: fd
  relaxation: gumbel
  inner_steps: 1
  inner_lr: 0.1
  inner_lr_arch: 0.1
  meta_batch: 2
  iterations: 3
  network: {cells: 1, channels: 2, stem_stride: 2, reductions: []}
  derive: {tasks: 1, rule: base}
  final: {cells: 3, channels: 4, stem_stride: 1}
`

func writeTinySearch(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(p, []byte(tinySearchYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSearchCommand runs a tiny search through the command line and checks
// its outputs, then that an interrupted and resumed search ends with exactly
// the Θ of an uninterrupted one.
func TestSearchCommand(t *testing.T) {
	cfgPath := writeTinySearch(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	var so, se bytes.Buffer
	code := Run([]string{"search", cfgPath, "--out", out, "--quiet", "--store", filepath.Join(dir, "r.db"), "--set", "search.iterations=2"}, &so, &se)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	for _, f := range []string{"genotype.yaml", "genotype.json", "arch.json", "train.yaml", "record.json", search.CheckpointFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	if _, err := genotype.Load(filepath.Join(out, "genotype.yaml")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(so.String(), "base-gumbel-fd: 2 iterations") {
		t.Errorf("summary line: %q", so.String())
	}
	ty, _ := os.ReadFile(filepath.Join(out, "train.yaml"))
	if !strings.Contains(string(ty), "genotype:") {
		t.Errorf("train.yaml does not name the genotype:\n%s", ty)
	}
	// running again into the same folder without --resume is refused
	se.Reset()
	if code := Run([]string{"search", cfgPath, "--out", out, "--quiet", "--store", filepath.Join(dir, "r.db")}, &so, &se); code != 1 || strings.Count(se.String(), "\n") != 1 {
		t.Errorf("second run into the same folder: exit %d, stderr %q", code, se.String())
	}

	// interrupted after 1 iteration, then resumed, equals 3 iterations in one go
	cfg, err := config.LoadSearch(cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	whole := filepath.Join(dir, "whole")
	if _, _, err := searchExperiment(context.Background(), searchJob{Cfg: cfg, Out: whole}); err != nil {
		t.Fatal(err)
	}
	parts := filepath.Join(dir, "parts")
	if _, _, err := searchExperiment(context.Background(), searchJob{Cfg: cfg, Out: parts, stopAfter: 1}); !errors.Is(err, errInterrupted) {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, _, err := searchExperiment(context.Background(), searchJob{Cfg: cfg, Out: parts, Resume: true}); err != nil {
		t.Fatal(err)
	}
	a, err := search.LoadCheckpoint(filepath.Join(whole, search.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := search.LoadCheckpoint(filepath.Join(parts, search.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if a.Iter != 3 || b.Iter != 3 {
		t.Fatalf("iterations %d and %d", a.Iter, b.Iter)
	}
	for i := range a.Theta {
		for j := range a.Theta[i] {
			if a.Theta[i][j] != b.Theta[i][j] {
				t.Fatalf("resumed Θ differs at tensor %d element %d", i, j)
			}
		}
	}
	ga, _ := os.ReadFile(filepath.Join(whole, "genotype.yaml"))
	gb, _ := os.ReadFile(filepath.Join(parts, "genotype.yaml"))
	if !bytes.Equal(ga, gb) {
		t.Error("resumed search derived another genotype")
	}
}

func TestSearchCommandErrors(t *testing.T) {
	cfgPath := writeTinySearch(t)
	out := filepath.Join(t.TempDir(), "o")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"search"}, 2, "want one experiment file"},
		{[]string{"search", cfgPath}, 2, "--out DIR is required"},
		{[]string{"search", "nope.yaml", "--out", out}, 1, "nope.yaml"},
		{[]string{"search", cfgPath, "--out", out, "--set", "search.variant=magic"}, 1, "search.variant"},
		{[]string{"search", cfgPath, "--out", out, "--resume"}, 1, "no checkpoint"},
		{[]string{"params"}, 2, "--genotype is required"},
		{[]string{"params", "--genotype", "nope"}, 1, "neither a built-in"},
		{[]string{"params", "--genotype", "darts-v2", "--channels", "7"}, 1, "channels"},
	}
	for _, c := range cases {
		var so, se bytes.Buffer
		code := Run(c.args, &so, &se)
		if code != c.code || !strings.Contains(se.String(), c.want) || strings.Count(se.String(), "\n") != 1 || strings.Contains(se.String(), "goroutine") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q on one line", c.args, code, se.String(), c.code, c.want)
		}
	}
}

func TestParamsCommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"params", "--genotype", "base-cifar", "--cells", "20", "--channels", "40", "--classes", "10"}, "3145490\n"},
		{[]string{"params", "--genotype", "genotype:base-imagenet", "--cells", "14", "--channels", "48", "--classes", "1000", "--imagenet"}, "4872640\n"},
	} {
		var so, se bytes.Buffer
		if code := Run(c.args, &so, &se); code != 0 || so.String() != c.want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", c.args, code, so.String(), se.String())
		}
	}
}
