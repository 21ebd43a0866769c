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
