package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeRecordFolder writes a small folder of records: two folds of one
// experiment, a 5-shot run, a saved cross-validation summary of eval runs
// that are not in the folder, one of the train folds (recomputed, so not
// shown as saved), a JSON file that is neither and a README.
func writeRecordFolder(t *testing.T, dir string) {
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	recs := map[string]Record{
		"b-fold1.json": foldRecord("f1", 1, 0.6, t0.Add(time.Hour), 0.9, 1, 0.95),
		"a-fold0.json": foldRecord("f0", 0, 0.6, t0, 0.8, 0.9, 0.85),
		"c-5shot.json": foldRecord("s5", 0, 0.4, t0.Add(-time.Hour), 0.97, 0.99),
	}
	for name, r := range recs {
		r.Schema = SchemaVersion
		r.Config["data"].(map[string]any)["path"] = "/work/secret/omniglot.npz"
		r.Config["iterations"] = float64(100)
		r.Dataset.Path = "/work/secret/omniglot.npz"
		r.Dataset.Format = "omniglot"
		r.Env = Env{CPUs: 2, CPUModel: "Test CPU", GemmPath: "gonum", GoVersion: "go1.26", Host: "secret-host"}
		if name == "c-5shot.json" {
			r.Proto.Shots = 5
			r.Config["iterations"] = float64(50)
		}
		require.NoError(t, WriteJSON(filepath.Join(dir, name), &r))
	}
	saved := []CrossVal{
		{Kind: "eval", Method: "maml", Dataset: "omniglot", Proto: Protocol{Ways: 5, Shots: 5},
			Folds: []FoldResult{{Fold: 0, RunID: "e0", Summary: Summary{Mean: 0.98, CI95: 0.01, N: 600}}, {Fold: 1, RunID: "e1", Summary: Summary{Mean: 0.99, CI95: 0.01, N: 600}}},
			Mean:  0.985, CI95: 0.06, Pooled: Summary{Mean: 0.985, CI95: 0.008, N: 1200}, Lowest: FoldResult{Fold: 0, Summary: Summary{Mean: 0.98}}},
		{Kind: "train", Method: "maml", Dataset: "omniglot", Proto: Protocol{Ways: 5, Shots: 1},
			Folds: []FoldResult{{Fold: 0, RunID: "f0"}, {Fold: 1, RunID: "f1"}}},
	}
	b, err := json.MarshalIndent(saved, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "z-crossval.json"), b, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "genotype.json"), []byte(`{"normal": []}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("# records\n"), 0o644))
}

// TestReadRecordSet: records in start-time order, saved summaries, and the
// .json files that are neither; other files ignored.
func TestReadRecordSet(t *testing.T) {
	dir := t.TempDir()
	writeRecordFolder(t, dir)
	s, err := ReadRecordSet(dir)
	require.NoError(t, err)
	var names []string
	for _, r := range s.Records {
		names = append(names, r.Name)
	}
	assert.Equal(t, []string{"c-5shot.json", "a-fold0.json", "b-fold1.json"}, names)
	require.Len(t, s.CrossVals, 1)
	assert.Equal(t, "z-crossval.json", s.CrossVals[0].Name)
	assert.Equal(t, []string{"genotype.json"}, s.Skipped)

	cvs, err := s.CrossValidations()
	require.NoError(t, err)
	require.Len(t, cvs, 2, "the saved train summary is recomputed from its fold records")
	assert.Equal(t, "", cvs[0].Source)
	assert.Equal(t, []string{"f0", "f1"}, []string{cvs[0].Folds[0].RunID, cvs[0].Folds[1].RunID})
	assert.Equal(t, "z-crossval.json", cvs[1].Source)
	assert.Equal(t, "eval", cvs[1].Kind)

	one, err := ReadRecordSet(filepath.Join(dir, "a-fold0.json"))
	require.NoError(t, err)
	require.Len(t, one.Records, 1)

	_, err = ReadRecordSet(filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

// TestRecordSetOf: a store's records as a set, in their order, each named
// by its run id, with the same cross-validations as the records read from
// files.
func TestRecordSetOf(t *testing.T) {
	dir := t.TempDir()
	writeRecordFolder(t, dir)
	files, err := ReadRecordSet(dir)
	require.NoError(t, err)
	s := RecordSetOf(files.All())
	require.Len(t, s.Records, 3)
	for i, r := range s.Records {
		assert.Equal(t, files.Records[i].Record.RunID, r.Name)
		assert.Equal(t, files.Records[i].Record, r.Record)
	}
	assert.Empty(t, s.CrossVals)
	assert.Empty(t, s.Skipped)
	cvs, err := s.CrossValidations()
	require.NoError(t, err)
	require.Len(t, cvs, 1)
	assert.Equal(t, "", cvs[0].Source)
	assert.Empty(t, RecordSetOf(nil).Records)
}

// TestWriteResultsPage: the page names its command, has a row per record
// ordered by shots then start time with the paper's number, shows only the
// settings that differ, the cross-validations with their source and the
// machines; it holds no absolute path or host name and is the same for the
// same files in another folder.
func TestWriteResultsPage(t *testing.T) {
	render := func(dir string) string {
		s, err := ReadRecordSet(dir)
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, WriteResultsPage(&b, s, PageSource{Dir: "docs/records", Command: "metabench report --records docs/records --format markdown --page"}))
		return b.String()
	}
	d1, d2 := t.TempDir(), t.TempDir()
	writeRecordFolder(t, d1)
	writeRecordFolder(t, d2)
	page := render(d1)
	assert.Equal(t, page, render(d2), "the page depends on where the folder is")

	assert.True(t, strings.HasPrefix(page, "<!-- Generated by `metabench report --records docs/records --format markdown --page`; do not edit"), page)
	for _, absent := range []string{"/work", "secret", d1} {
		assert.NotContains(t, page, absent)
	}
	runs := page[strings.Index(page, "## Runs"):strings.Index(page, "## Cross-validation")]
	lines := strings.Split(strings.TrimSpace(runs), "\n")
	require.Len(t, lines, 7, runs) // heading, blank, header, rule, 3 rows
	assert.Contains(t, lines[4], "`a-fold0.json`")
	assert.Contains(t, lines[4], "98.7 ± 0.4 (Finn et al. 2017, Table 1)")
	assert.Contains(t, lines[4], "| inner_lr=0.6 iterations=100 ")
	assert.Contains(t, lines[5], "`b-fold1.json`")
	assert.Contains(t, lines[5], "| data.fold=1 inner_lr=0.6 iterations=100 ")
	assert.Contains(t, lines[6], "`c-5shot.json`", "the 5-shot run comes after the 1-shot ones")
	assert.Contains(t, lines[6], "| inner_lr=0.4 iterations=50 ")
	assert.NotContains(t, runs, "zero_head", "a key at its zero value is not a difference")

	cv := page[strings.Index(page, "## Cross-validation"):strings.Index(page, "## Machines")]
	assert.Contains(t, cv, "the fold records")
	assert.Contains(t, cv, "saved summary `z-crossval.json`")
	assert.Contains(t, page, "| 2    | Test CPU  | gonum           | go1.26 | `a-fold0.json`, `b-fold1.json`, `c-5shot.json` |")
}
