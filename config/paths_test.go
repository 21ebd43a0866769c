package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResolveIn(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"embedded", "embedded"},
		{"default", "default"},
		{"embedded:omniglot", "embedded:omniglot"},
		{"/abs/mnist", "/abs/mnist"},
		{"../../shared/data/mnist", "../shared/data/mnist"},
		{"data/x.npz", "bench/data/x.npz"},
		{"idx:../mnist", "idx:mnist"},
		{"idx:/abs/mnist", "idx:/abs/mnist"},
	} {
		require.Equal(t, c.want, resolveIn("bench", c.in), c.in)
	}
}

// TestPathsRelativeToFile: a data path written in an experiment file is
// relative to the file's folder; one given by --set to the working folder.
func TestPathsRelativeToFile(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "exp")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	p := filepath.Join(sub, "e.yaml")
	require.NoError(t, os.WriteFile(p, []byte("version: 1\ndata: {path: ../data/x.npz, test_path: embedded}\n"), 0o644))
	c, err := Load(p, nil)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "data", "x.npz"), c.Data.Path)
	require.Equal(t, "embedded", c.Data.TestPath)
	c, err = Load(p, []string{"data.path=rel/y.npz"})
	require.NoError(t, err)
	require.Equal(t, "rel/y.npz", c.Data.Path)

	a := filepath.Join(sub, "a.yaml")
	require.NoError(t, os.WriteFile(a, []byte("version: 1\nprior: ../prior\ntargets: [{name: m, path: ../mnist, size: 32}]\n"), 0o644))
	ac, err := LoadAdapt(a, nil)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "mnist"), ac.Targets[0].Path)
	require.Equal(t, filepath.Join(dir, "prior"), ac.Prior)
}

// TestGenotypeFileRelativeToFile: a genotype file named by model.name is
// relative to the experiment file's folder, as data paths are; built-in
// genotypes are left alone, and --set keeps the working folder.
func TestGenotypeFileRelativeToFile(t *testing.T) {
	require.True(t, GenotypeFileRef("g.yaml"))
	require.True(t, GenotypeFileRef("runs/g"))
	require.True(t, GenotypeFileRef("G.JSON"))
	require.False(t, GenotypeFileRef("darts-v2"))
	require.False(t, GenotypeFileRef("base-cifar"))

	dir := t.TempDir()
	sub := filepath.Join(dir, "run")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	p := filepath.Join(sub, "train.yaml")
	require.NoError(t, os.WriteFile(p, []byte("version: 1\nmodel: {name: \"genotype:genotype.yaml,cells=5,stem_stride=2\", filters: 8}\n"), 0o644))
	c, err := Load(p, nil)
	require.NoError(t, err)
	require.Equal(t, "genotype:"+filepath.Join(sub, "genotype.yaml")+",cells=5,stem_stride=2", c.Model.Name)
	require.NoError(t, os.WriteFile(p, []byte("version: 1\nmodel: {name: \"genotype:darts-v2,cells=5\", filters: 8}\n"), 0o644))
	c, err = Load(p, nil)
	require.NoError(t, err)
	require.Equal(t, "genotype:darts-v2,cells=5", c.Model.Name)
	c, err = Load(p, []string{"model.name=genotype:x/g.yaml"})
	require.NoError(t, err)
	require.Equal(t, "genotype:x/g.yaml", c.Model.Name)
	require.Equal(t, "model.name=genotype:suites/g.yaml,cells=3", ResolveOverride("suites", "model.name=genotype:g.yaml,cells=3"))
	require.Equal(t, "model.name=conv4", ResolveOverride("suites", "model.name=conv4"))
}

// TestRelativeTo: an experiment written into a folder names its genotype
// file and relative data paths relative to that folder, so loading it
// back resolves them to the same files; absolute data paths and embedded
// data stay as they are.
func TestRelativeTo(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	var c Config
	c.Model.Name = "genotype:" + filepath.Join(wd, "runs", "s0", "genotype.yaml") + ",cells=5"
	c.Data.Path = "idx:../shared/data/mnist"
	c.Data.ValPath = "/abs/val"
	c.Data.TestPath = "embedded"
	r, err := c.RelativeTo(filepath.Join("runs", "s0"))
	require.NoError(t, err)
	require.Equal(t, "genotype:genotype.yaml,cells=5", r.Model.Name)
	require.Equal(t, "idx:../../../shared/data/mnist", r.Data.Path)
	require.Equal(t, "/abs/val", r.Data.ValPath)
	require.Equal(t, "embedded", r.Data.TestPath)
	require.Equal(t, "idx:../shared/data/mnist", resolveIn(filepath.Join("runs", "s0"), r.Data.Path))
}
