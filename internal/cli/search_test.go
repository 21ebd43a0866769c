package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/search/genotype"
)

// writeTinySearch copies the experiment package's tiny search file into a
// temporary folder (tests may edit it).
func writeTinySearch(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../experiment/testdata/tiny-search.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSearchCommand runs a tiny search through the command line and checks
// its outputs (resume exactness: experiment.TestResumeExactEveryKind).
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
	if !strings.Contains(string(ty), "genotype:genotype.yaml,") {
		t.Errorf("train.yaml does not name the genotype beside it:\n%s", ty)
	}
	if strings.Contains(string(ty), dir) {
		t.Errorf("train.yaml names the machine path %s:\n%s", dir, ty)
	}
	// the run folder moved elsewhere still trains its genotype
	moved := filepath.Join(t.TempDir(), "moved")
	require.NoError(t, os.Rename(out, moved))
	cfg, err := config.Load(filepath.Join(moved, "train.yaml"), nil)
	require.NoError(t, err)
	require.Equal(t, "genotype:"+filepath.Join(moved, "genotype.yaml")+",cells=3,stem_stride=1", cfg.Model.Name)
	_, err = search.NewModelFromName[float32](cfg.Model.Name, cfg.Model.Filters, 1, 28, cfg.Ways)
	require.NoError(t, err)
	require.NoError(t, os.Rename(moved, out))
	// running again into the same folder without --resume is refused
	se.Reset()
	if code := Run([]string{"search", cfgPath, "--out", out, "--quiet", "--store", filepath.Join(dir, "r.db")}, &so, &se); code != 1 || strings.Count(se.String(), "\n") != 1 {
		t.Errorf("second run into the same folder: exit %d, stderr %q", code, se.String())
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
		{[]string{"params", "--genotype", "darts-v2", "--channels", "6", "--imagenet"}, 1, "channels"},
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
		// an odd C (the CIFAR stem): DARTS_V2 at MAML Conv-4's 112261 parameters (docs/DECISIONS.md R26)
		{[]string{"params", "--genotype", "darts-v2", "--cells", "5", "--channels", "15", "--classes", "5", "--in-channels", "1"}, "113060\n"},
	} {
		var so, se bytes.Buffer
		if code := Run(c.args, &so, &se); code != 0 || so.String() != c.want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", c.args, code, so.String(), se.String())
		}
	}
}
