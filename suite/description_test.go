package suite

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/reports"
)

// TestPageSectionDescription: the description of a folder's suite.yaml is
// printed as one paragraph under the records line of that suite's section,
// and on no other suite's section of the same folder.
func TestPageSectionDescription(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "small")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	suiteFile := "name: s\nversion: 1\ndescription: >-\n  Small-scale table: 600 iterations,\n  not trained to a plateau.\nunits: []\n"
	require.NoError(t, os.WriteFile(filepath.Join(sub, File), []byte(suiteFile), 0o644))
	for i, r := range []reports.Record{
		suiteRec("s", 1, "v", "maml", 0, 0.5, 0.6),
		suiteRec("s", 1, "v", "maml", 1, 0.6, 0.7),
		suiteRec("other", 1, "w", "maml", 0, 0.1, 0.2),
	} {
		r.Schema = reports.SchemaVersion
		require.NoError(t, reports.WriteJSON(filepath.Join(sub, string(rune('a'+i))+".json"), &r))
	}
	var b bytes.Buffer
	require.NoError(t, WritePageSections(&b, dir))
	page := b.String()
	want := "\n\nSmall-scale table: 600 iterations, not trained to a plateau.\n\n"
	require.Equal(t, 1, strings.Count(page, want), page)
	s := strings.Index(page, "## Suite s\n")
	other := strings.Index(page, "## Suite other\n")
	require.True(t, s >= 0 && other >= 0, page)
	at := strings.Index(page, want)
	require.True(t, at > s && (other < s || at < other), "the description belongs to suite s's section:\n%s", page)

	// without a description the records line is followed by the table's heading
	require.NoError(t, os.WriteFile(filepath.Join(sub, File), []byte("name: s\nversion: 1\nunits: []\n"), 0o644))
	b.Reset()
	require.NoError(t, WritePageSections(&b, dir))
	require.NotContains(t, b.String(), "Small-scale")
	require.Contains(t, b.String(), "label v.\n\n### suite s ")
}
