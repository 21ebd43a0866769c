package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
)

// compareStore writes a baseline (label "base"), a candidate 5 points lower
// on the same episodes ("bad"), a rerun within noise ("rerun") and a 20-way
// run ("other") to a new store.
func compareStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.db")
	recs := []*reports.Record{
		storeTestRecord("eval-base", "base", 1, storeTestEpisodes(1, 1, 0)),
		storeTestRecord("eval-bad", "bad", 2, storeTestEpisodes(1, 2, -0.05)),
		storeTestRecord("eval-rerun", "rerun", 3, storeTestEpisodes(1, 3, 0)),
	}
	other := storeTestRecord("eval-other", "other", 4, storeTestEpisodes(1, 4, 0))
	other.Proto.Ways, other.Dataset.SHA256 = 20, "def"
	recs = append(recs, other)
	s, err := store.Open(path)
	require.NoError(t, err)
	defer s.Close()
	for _, r := range recs {
		require.NoError(t, s.Put(t.Context(), r))
	}
	return path
}

func TestCompareDetectsRegression(t *testing.T) {
	path := compareStore(t)
	code, out, errOut := runCLI("compare", "--store", path, "--baseline", "base", "--candidate", "bad")
	assert.Equal(t, 1, code, out+errOut)
	assert.Contains(t, out, "regression")
	assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	assert.Contains(t, errOut, "metabench compare: regression: candidate eval-bad")

	// A huge margin or a reversed comparison is not a regression.
	code, _, _ = runCLI("compare", "--store", path, "--baseline", "base", "--candidate", "bad", "--margin", "0.1")
	assert.Equal(t, 0, code)
	code, out, _ = runCLI("compare", "--store", path, "--baseline", "eval-bad", "--candidate", "eval-base", "--format", "json")
	assert.Equal(t, 0, code)
	var c reports.Comparison
	require.NoError(t, json.Unmarshal([]byte(out), &c))
	assert.Equal(t, reports.VerdictImprovement, c.Verdict)
	assert.Equal(t, 600, c.N)
	assert.InDelta(t, 0.05, c.Diff, 0.01)
}

func TestCompareRerunWithinNoisePasses(t *testing.T) {
	path := compareStore(t)
	code, out, errOut := runCLI("compare", "--store", path, "--baseline", "base", "--candidate", "rerun", "--format", "markdown")
	assert.Equal(t, 0, code, out+errOut)
	assert.Empty(t, errOut)
	assert.Contains(t, out, "### metabench compare:")
	assert.Contains(t, out, "| verdict")
	assert.NotContains(t, out, "| regression")
	assert.Contains(t, out, "differs from episode 0 (0.9867, was 0.9200)")
	assert.Contains(t, out, "conditional on these two trained networks")

	// a rerun that moved any episode fails when identity is required; a run
	// against itself reproduces
	code, _, errOut = runCLI("compare", "--store", path, "--baseline", "base", "--candidate", "rerun", "--require-identical")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "--require-identical: the candidate differs from episode")
	code, out, errOut = runCLI("compare", "--store", path, "--baseline", "base", "--candidate", "base", "--require-identical", "--format", "json")
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `"identical": true`)
}

func TestCompareRefusesProtocolMismatch(t *testing.T) {
	path := compareStore(t)
	code, out, errOut := runCLI("compare", "--store", path, "--baseline", "base", "--candidate", "other")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Equal(t, 1, strings.Count(errOut, "\n"))
	assert.Contains(t, errOut, "not comparable")
	assert.Contains(t, errOut, "protocol.ways (5 vs 20)")
	assert.Contains(t, errOut, "dataset.sha256")
}

func TestCompareMisuse(t *testing.T) {
	path := compareStore(t)
	for _, args := range [][]string{
		{"compare", "--store", path, "--baseline", "base"},
		{"compare", "--store", path, "--baseline", "base", "--candidate", "bad", "--margin", "-1"},
		{"compare", "--store", path, "--baseline", "base", "--candidate", "bad", "--alpha", "1.5"},
		{"compare", "--store", path, "--baseline", "base", "--candidate", "bad", "--format", "csv"},
		{"compare", "--store", path, "--baseline", "base", "--candidate", "bad", "stray"},
	} {
		code, _, errOut := runCLI(args...)
		assert.Equal(t, 2, code, args)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), "%v: %s", args, errOut)
	}
	code, _, errOut := runCLI("compare", "--store", path, "--baseline", "base", "--candidate", "nobody")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `"nobody" is neither a run id nor a label`)
	code, _, errOut = runCLI("compare", "--store", filepath.Join(t.TempDir(), "none.db"), "--baseline", "a", "--candidate", "b")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "does not exist")
}
