package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestResolvePath: the caller's store, then $METABENCH_STORE (an empty
// value counts as unset), then the experiment file's, then results.db.
func TestResolvePath(t *testing.T) {
	t.Setenv(EnvVar, "")
	assert.Equal(t, DefaultPath, ResolvePath("", ""))
	assert.Equal(t, "exp.db", ResolvePath("", "exp.db"))
	t.Setenv(EnvVar, "env.db")
	assert.Equal(t, "env.db", ResolvePath("", "exp.db"))
	assert.Equal(t, "env.db", ResolvePath("", ""))
	assert.Equal(t, "flag.db", ResolvePath("flag.db", "exp.db"))
}

// TestOpenForReading: a missing file is ErrMissing, named, and not created;
// an existing store opens with its records.
func TestOpenForReading(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	_, err := OpenForReading(missing)
	require.ErrorIs(t, err, ErrMissing)
	assert.Equal(t, "store "+missing+" does not exist", err.Error())
	_, statErr := os.Stat(missing)
	assert.True(t, errors.Is(statErr, os.ErrNotExist), "OpenForReading created %s", missing)

	path := filepath.Join(dir, "r.db")
	require.NoError(t, SaveRecord(path, testRecord("a", "x", 3, 0.5, 1)))
	s, err := OpenForReading(path)
	require.NoError(t, err)
	defer s.Close()
	recs, err := s.List(context.Background(), Filter{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "a", recs[0].RunID)
}

// TestCopyPath copies between two paths (the destination created), adds
// nothing the second time, and refuses a missing source without creating
// either store.
func TestCopyPath(t *testing.T) {
	dir := t.TempDir()
	from, to := filepath.Join(dir, "from.db"), filepath.Join(dir, "to.db")
	require.NoError(t, SaveRecord(from, testRecord("a", "x", 3, 0.5, 1)))
	require.NoError(t, SaveRecord(from, testRecord("b", "x", 3, 0.6, 2)))
	st, err := CopyPath(context.Background(), from, to)
	require.NoError(t, err)
	assert.Equal(t, CopyStats{Read: 2, Added: 2}, st)
	st, err = CopyPath(context.Background(), from, to)
	require.NoError(t, err)
	assert.Equal(t, CopyStats{Read: 2, Added: 0}, st)

	other := filepath.Join(dir, "other.db")
	_, err = CopyPath(context.Background(), filepath.Join(dir, "none.db"), other)
	require.ErrorIs(t, err, ErrMissing)
	_, statErr := os.Stat(other)
	assert.True(t, errors.Is(statErr, os.ErrNotExist))
}
