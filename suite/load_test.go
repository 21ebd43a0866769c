package suite

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
	"github.com/stretchr/testify/require"
)

// listStore is a Store over records in memory; List filters by label only.
type listStore struct{ recs []reports.Record }

func (s *listStore) List(_ context.Context, f store.Filter) ([]reports.Record, error) {
	var out []reports.Record
	for _, r := range s.recs {
		if f.Label == "" || r.Label == f.Label {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *listStore) Put(_ context.Context, rec *reports.Record) error {
	s.recs = append(s.recs, *rec)
	return nil
}

// suiteRec is a train record of suite name (version) unit u, seed sd, with
// label and per-episode accuracies eps.
func suiteRec(name string, version int, label, u string, sd int64, eps ...float64) reports.Record {
	return reports.Record{RunID: name + label + u + string(rune('0'+sd)), Kind: "train", Label: label, Method: u,
		Proto:   reports.Protocol{Ways: 5, Shots: 1, Queries: 15, EvalEpisode: len(eps), EvalSeed: 1},
		Dataset: reports.Dataset{SHA256: "abc", Split: "groups:seed=0:test"}, Episodes: eps, Summary: reports.Summarize(eps),
		Suite: &reports.SuiteID{Name: name, Version: version, Unit: u, Seed: sd, Step: StepRun}}
}

// TestRecordsAndSelectLatest: Records reads one label's records of one
// suite at their newest version; SelectLatest without a label takes the
// latest run's.
func TestRecordsAndSelectLatest(t *testing.T) {
	st := &listStore{}
	for _, r := range []reports.Record{
		suiteRec("s", 1, "old", "maml", 0, 0.5, 0.6),
		suiteRec("s", 2, "new", "maml", 0, 0.7, 0.8),
		suiteRec("s", 2, "new", "maml", 1, 0.6, 0.7),
		suiteRec("other", 1, "new", "maml", 0, 0.1, 0.2),
	} {
		require.NoError(t, st.Put(context.Background(), &r))
	}
	recs, version, err := Records(context.Background(), st, "s", "new")
	require.NoError(t, err)
	require.Equal(t, 2, version)
	require.Len(t, recs, 2)
	for _, r := range recs {
		require.Equal(t, "s", r.Suite.Name)
		require.Equal(t, "new", r.Label)
	}
	recs, version, err = Records(context.Background(), st, "s", "none")
	require.NoError(t, err)
	require.Empty(t, recs)
	require.Zero(t, version)

	sel, label, version := SelectLatest(st.recs, "s", "")
	require.Equal(t, "new", label)
	require.Equal(t, 2, version)
	require.Len(t, sel, 2)
	sel, label, version = SelectLatest(st.recs, "s", "old")
	require.Equal(t, "old", label)
	require.Equal(t, 1, version)
	require.Len(t, sel, 1)
	sel, label, _ = SelectLatest(st.recs, "nothing", "")
	require.Empty(t, sel)
	require.Empty(t, label)
}

// TestBaselines reads each label's rows in order and stops at a label
// with no run of the suite or of another version.
func TestBaselines(t *testing.T) {
	st := &listStore{recs: []reports.Record{
		suiteRec("s", 2, "a", "maml", 0, 0.5, 0.6),
		suiteRec("s", 2, "a", "reptile", 0, 0.4, 0.6),
		suiteRec("s", 2, "b", "maml", 0, 0.7, 0.8),
		suiteRec("s", 1, "v1", "maml", 0, 0.7, 0.8),
	}}
	base, err := Baselines(context.Background(), st, "s", 2, []string{"a", "b"})
	require.NoError(t, err)
	require.Len(t, base, 2)
	require.Len(t, base[0], 2)
	require.Len(t, base[1], 1)
	require.Equal(t, "maml", base[1][0].Unit)

	_, err = Baselines(context.Background(), st, "s", 2, []string{"a", "missing", "v1"})
	var be *BaselineError
	require.True(t, errors.As(err, &be))
	require.Equal(t, "missing", be.Label)
	require.Equal(t, "the store holds no run of suite s with that label", err.Error())

	_, err = Baselines(context.Background(), st, "s", 2, []string{"v1"})
	require.True(t, errors.As(err, &be))
	require.Equal(t, "v1", be.Label)
	require.Equal(t, "suite s version 1, not this run's version 2 (not comparable)", err.Error())
}

func TestParseShardAndEnvShard(t *testing.T) {
	for v, want := range map[string][2]int{"0/1": {0, 1}, "2/3": {2, 3}, " 1 / 4 ": {1, 4}} {
		i, n, err := ParseShard(v)
		require.NoError(t, err, v)
		require.Equal(t, want, [2]int{i, n}, v)
	}
	for _, v := range []string{"", "1", "1/1", "-1/2", "a/2", "0/0", "3/2"} {
		_, _, err := ParseShard(v)
		require.ErrorContains(t, err, "want i/n with 0 <= i < n", v)
	}

	for _, k := range []string{ShardIndexEnv, ShardCountEnv} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	i, n, err := EnvShard()
	require.NoError(t, err)
	require.Equal(t, [2]int{0, 1}, [2]int{i, n})
	t.Setenv(ShardIndexEnv, "1")
	_, _, err = EnvShard()
	require.EqualError(t, err, "$JOB_COMPLETION_INDEX and $METABENCH_SHARDS must be set together")
	t.Setenv(ShardCountEnv, "3")
	i, n, err = EnvShard()
	require.NoError(t, err)
	require.Equal(t, [2]int{1, 3}, [2]int{i, n})
	t.Setenv(ShardCountEnv, "1")
	_, _, err = EnvShard()
	require.EqualError(t, err, `$JOB_COMPLETION_INDEX/$METABENCH_SHARDS: "1/1": want i/n with 0 <= i < n`)
}

// TestMethodsTable: one line per record in the records' order, the row's
// accuracy over seeds on its first record, and the column against the
// reference unit.
func TestMethodsTable(t *testing.T) {
	var recs []*reports.Record
	for _, r := range []reports.Record{
		suiteRec("s", 1, "l", "maml", 0, 0.5, 0.7, 0.6),
		suiteRec("s", 1, "l", "reptile", 0, 0.4, 0.6, 0.5),
	} {
		recs = append(recs, &r)
	}
	tbl := MethodsTable(recs, "maml")
	require.Equal(t, []string{"method", "protocol", "accuracy (%)", "training", "iterations", "published (%)", "vs maml (points)"}, tbl.Header)
	require.Len(t, tbl.Rows, 2)
	require.Equal(t, "maml", tbl.Rows[0][0])
	require.Equal(t, "(reference)", tbl.Rows[0][6])
	require.Equal(t, reports.AccuracyCell(reports.SummarizeSeeds([]reports.Run{{Seed: 0, Episodes: recs[1].Episodes}})), tbl.Rows[1][2])
	require.NotEqual(t, "-", tbl.Rows[1][6])

	plain := MethodsTable(recs, "")
	require.Len(t, plain.Header, 6)
	require.Len(t, plain.Rows[0], 6)
}

// TestWritePage: a folder's page is reports' page followed by the
// sections of the suites in its subfolders (docs/RESULTS.md's records); a
// single file's page is reports' page alone.
func TestWritePage(t *testing.T) {
	dir := filepath.Join("..", "docs", "records")
	set, err := reports.ReadRecordSet(dir)
	require.NoError(t, err)
	src := reports.PageSource{Dir: "docs/records", Command: "metabench report --records docs/records --format markdown --page"}
	var page, sections, got bytes.Buffer
	require.NoError(t, reports.WriteResultsPage(&page, set, src))
	require.NoError(t, WritePageSections(&sections, dir))
	require.NotEmpty(t, sections.String(), "docs/records holds suites' records")
	require.NoError(t, WritePage(&got, set, src, dir))
	require.Equal(t, page.String()+sections.String(), got.String())

	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	one, err := reports.ReadRecordSet(files[0])
	require.NoError(t, err)
	page.Reset()
	got.Reset()
	require.NoError(t, reports.WriteResultsPage(&page, one, src))
	require.NoError(t, WritePage(&got, one, src, files[0]))
	require.Equal(t, page.String(), got.String())
}
