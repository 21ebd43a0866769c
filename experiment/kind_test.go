package experiment

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/config"
)

// TestKinds: the registry holds each kind once, in the order of messages;
// a kind's checkpoint names it; Load and Run go through the kind, and a
// file of another kind is refused.
func TestKinds(t *testing.T) {
	require.Equal(t, "train, eval, search, metatrain or adapt", KindNames(Kinds()))
	require.Equal(t, "train, search, metatrain or adapt", KindNames(FileKinds()))
	for _, k := range Kinds() {
		got, err := LookupKind(k.Name)
		require.NoError(t, err)
		require.Same(t, k, got)
		if k.format != nil {
			require.Equal(t, k.Name, k.format.Kind)
		}
	}
	_, err := LookupKind("prior")
	require.EqualError(t, err, `"prior": want train, eval, search, metatrain or adapt`)
	_, err = kindNamed(KindEval).Load("x.yaml", nil)
	require.ErrorContains(t, err, "no experiment file")

	k := kindNamed(KindSearch)
	f, err := k.Load("testdata/tiny-search.yaml", []string{"search.iterations=1"})
	require.NoError(t, err)
	require.IsType(t, &config.SearchFile{}, f)
	out := filepath.Join(t.TempDir(), "search")
	rec, err := k.Run(context.Background(), f, Options{Out: out})
	require.NoError(t, err)
	require.Equal(t, KindSearch, rec.Kind)
	require.Equal(t, 1, rec.Iters)
	require.True(t, HasCheckpoint(out))
	require.False(t, HasCheckpoint(t.TempDir()))
	_, err = kindNamed(KindMetatrain).Run(context.Background(), f, Options{Out: t.TempDir()})
	require.ErrorContains(t, err, "runs a *config.MetatrainFile, not a *config.SearchFile")
}
