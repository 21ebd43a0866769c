package checkpoint

import (
	"encoding/gob"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

type state struct {
	Version int
	Params  []float32
	Iter    int
}

func TestRoundTripHeaderAndKind(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.gob")
	in := state{Version: 3, Params: []float32{1, -2.5}, Iter: 7}
	h := Header{Kind: "train", Version: 3, Iter: 7, TrainSec: 1.5, Done: true}
	require.NoError(t, Write(p, h, in))
	var out state
	got, err := Read(p, "train", &out)
	require.NoError(t, err)
	require.Equal(t, h, got)
	require.Equal(t, in, out)
	hh, err := ReadHeader(p)
	require.NoError(t, err)
	require.Equal(t, h, hh)
	_, err = Read(p, "search", &out)
	require.ErrorContains(t, err, "a train checkpoint, not a search one")
}

// TestReadsBareLegacyState: a checkpoint written before the envelope (the
// bare gob state) is still read; its header says only the kind.
func TestReadsBareLegacyState(t *testing.T) {
	p := filepath.Join(t.TempDir(), "old.gob")
	f, err := os.Create(p)
	require.NoError(t, err)
	in := state{Version: 1, Params: []float32{4}, Iter: 2}
	require.NoError(t, gob.NewEncoder(f).Encode(in))
	require.NoError(t, f.Close())
	var out state
	h, err := Read(p, "train", &out)
	require.NoError(t, err)
	require.Equal(t, Header{Kind: "train"}, h)
	require.Equal(t, in, out)
	_, err = ReadHeader(p)
	require.ErrorIs(t, err, ErrNoEnvelope)
}

func TestNotACheckpoint(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.gob")
	require.NoError(t, os.WriteFile(p, []byte("plain text"), 0o644))
	var out state
	_, err := Read(p, "train", &out)
	require.ErrorContains(t, err, "not a metabench train checkpoint")
}
