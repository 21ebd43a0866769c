package reports

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// An evaluation prints as one JSON object or one sentence; other formats
// are refused.
func TestWriteEval(t *testing.T) {
	rec := &Record{Kind: "eval", Method: "maml", Proto: Protocol{Ways: 5, Shots: 1, Queries: 15, StepsTest: 3, EvalSeed: 7, BNMode: "transductive"},
		Summary: Summary{Mean: 0.9, CI95: 0.02, N: 100}, Iters: 40}
	rec.Dataset.Path, rec.Dataset.Split, rec.Dataset.Classes = "omniglot.npz", "test", 20
	var b bytes.Buffer
	require.NoError(t, WriteEval(&b, rec, FormatJSON))
	var got map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &got))
	require.Equal(t, 0.9, got["accuracy"])
	require.Equal(t, 40.0, got["checkpoint_iterations"])
	b.Reset()
	require.NoError(t, WriteEval(&b, rec, FormatText))
	require.Contains(t, b.String(), "maml 5w1s q15")
	require.Contains(t, b.String(), "on omniglot.npz (test, 20 classes): 90.00% [88.00, 92.00] over 100 episodes")
	require.Error(t, WriteEval(&b, rec, FormatCSV))
}
