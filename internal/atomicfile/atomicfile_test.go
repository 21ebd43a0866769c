package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteReplacesAndLeavesNoTemporary(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	require.NoError(t, Write(p, []byte("old")))
	require.NoError(t, WriteJSON(p, map[string]int{"a": 1}))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "{\n  \"a\": 1\n}\n", string(b))
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, ents, 1, "temporary files left behind")
	st, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())
}

func TestWriteIntoMissingFolderFailsCleanly(t *testing.T) {
	err := Write(filepath.Join(t.TempDir(), "missing", "f"), []byte("x"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "missing")
}

func TestWriteGobUnencodable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.gob")
	require.Error(t, WriteGob(p, func() {}))
	_, err := os.Stat(p)
	require.True(t, os.IsNotExist(err), "nothing written on an encoding error")
}
