package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/reports"
)

// testRecord is a complete eval record with n per-episode accuracies drawn
// around mean from a fixed seed.
func testRecord(id, label string, n int, mean float64, seed uint64) *reports.Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	eps := make([]float64, n)
	for i := range eps {
		eps[i] = math.Min(1, math.Max(0, mean+0.05*rng.NormFloat64()))
	}
	return &reports.Record{
		Schema: reports.SchemaVersion, RunID: id, Kind: "eval", Label: label, Method: "maml", Model: "conv4",
		Started:  time.Date(2026, 11, 27, 12, 0, 0, int(seed), time.UTC),
		Config:   map[string]any{"method": "maml", "inner_lr": 0.4, "steps": []any{1.0, 3.0}},
		Seed:     int64(seed),
		Dataset:  reports.Dataset{Path: "/data/omniglot", Format: "omniglot", SHA256: "abc123", Split: "omniglot-alphabets:seed=0:test", Classes: 659, ImageHxW: "1x28x28"},
		Proto:    reports.Protocol{Ways: 5, Shots: 1, Queries: 15, StepsTrain: 1, StepsTest: 3, InnerLR: 0.4, BNMode: "transductive", EvalEpisode: n, EvalSeed: 7, Rotations: true},
		Episodes: eps, Summary: reports.Summarize(eps),
		Curve:  []reports.Point{{Iter: 100, WallSec: 10, Accuracy: 0.8, Loss: 0.5}, {Iter: 200, WallSec: 20, Accuracy: 0.9, Loss: math.NaN()}},
		Adapt:  []reports.Point{{Step: 0, Accuracy: 0.2}, {Step: 1, Accuracy: 0.9, CI95: 0.01}},
		Params: 112005, WallSec: 12.5, CPUSec: 20.25, Iters: 200,
		Extra: map[string]any{"genotype": "none"},
		Env:   reports.Env{Commit: "deadbeef", GoVersion: "go1.26", GOOS: "linux", GOARCH: "amd64", CPUs: 2, Host: "h", CPUModel: "cpu", GemmPath: "gonum"},
	}
}

func TestOpenMissingAndEmptyFileMigrates(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	for _, path := range []string{filepath.Join(dir, "new.db"), empty} {
		s, err := Open(path)
		require.NoError(t, err)
		v, err := s.Version(context.Background())
		require.NoError(t, err)
		assert.Equal(t, len(migrations()), v)
		var mode string
		require.NoError(t, s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
		assert.Equal(t, "wal", mode)
		require.NoError(t, s.Close())
		// Reopening is a no-op migration and the header now carries our id.
		require.NoError(t, checkFile(path))
		s, err = Open(path)
		require.NoError(t, err)
		v, _ = s.Version(context.Background())
		assert.Equal(t, 1, v)
		require.NoError(t, s.Close())
	}
}

func TestMigrationToV2KeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	require.NoError(t, SaveRecord(path, testRecord("r1", "", 10, 0.9, 1)))
	v2 := append(migrations(), migration{version: 2, name: "notes column",
		up: execAll(`ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT ''`)})
	s, err := openWith(context.Background(), path, v2)
	require.NoError(t, err)
	v, err := s.Version(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, v)
	var notes string
	require.NoError(t, s.db.QueryRow(`SELECT notes FROM runs WHERE run_id = 'r1'`).Scan(&notes))
	r, err := s.Get(context.Background(), "r1")
	require.NoError(t, err)
	assert.Len(t, r.Episodes, 10)
	require.NoError(t, s.Close())

	// A binary that knows only v1 refuses the v2 store.
	_, err = Open(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "newer than this binary")
	assert.Contains(t, err.Error(), path)
}

func TestPutGetRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "r.db"))
	require.NoError(t, err)
	defer s.Close()
	in := testRecord("eval-maml-1", "nightly", 600, 0.95, 3)
	require.NoError(t, s.Put(ctx, in))
	out, err := s.Get(ctx, in.RunID)
	require.NoError(t, err)

	assert.True(t, math.IsNaN(out.Curve[1].Loss))
	out.Curve[1].Loss, in.Curve[1].Loss = 0, 0
	assert.Equal(t, in, out)

	err = s.Put(ctx, in)
	assert.ErrorIs(t, err, ErrDuplicate)
	_, err = s.Get(ctx, "nope")
	assert.ErrorIs(t, err, ErrNotFound)

	// A record without summary gets one from its episodes.
	r2 := testRecord("r2", "", 50, 0.5, 4)
	r2.Summary = reports.Summary{}
	require.NoError(t, s.Put(ctx, r2))
	got, err := s.Get(ctx, "r2")
	require.NoError(t, err)
	assert.Equal(t, 50, got.Summary.N)
	assert.InDelta(t, reports.Summarize(r2.Episodes).Mean, got.Summary.Mean, 1e-12)

	// Invalid records are refused before any write.
	assert.Error(t, s.Put(ctx, &reports.Record{RunID: "x"}))
}

func TestListLatestResolve(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "r.db"))
	require.NoError(t, err)
	defer s.Close()
	a := testRecord("a", "base", 5, 0.9, 1)
	b := testRecord("b", "base", 5, 0.9, 2) // later start
	c := testRecord("c", "cand", 5, 0.9, 3)
	c.Method, c.Kind = "reptile", "train"
	c.Proto.Ways = 20
	for _, r := range []*reports.Record{b, a, c} {
		require.NoError(t, s.Put(ctx, r))
	}
	ids := func(rs []reports.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.RunID)
		}
		return out
	}
	all, err := s.List(ctx, Filter{})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, ids(all))
	for _, tc := range []struct {
		f    Filter
		want []string
	}{
		{Filter{Method: "MAML"}, []string{"a", "b"}},
		{Filter{Label: "cand"}, []string{"c"}},
		{Filter{Kind: "train"}, []string{"c"}},
		{Filter{Ways: 20}, []string{"c"}},
		{Filter{Shots: 1, Dataset: "Omniglot"}, []string{"a", "b", "c"}},
		{Filter{Dataset: "mini-imagenet"}, nil},
		{Filter{Limit: 2}, []string{"b", "c"}},
	} {
		got, err := s.List(ctx, tc.f)
		require.NoError(t, err)
		assert.Equal(t, tc.want, ids(got), "%+v", tc.f)
	}
	r, err := s.Latest(ctx, "base")
	require.NoError(t, err)
	assert.Equal(t, "b", r.RunID)
	r, err = s.Resolve(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "a", r.RunID)
	r, err = s.Resolve(ctx, "cand")
	require.NoError(t, err)
	assert.Equal(t, "c", r.RunID)
	_, err = s.Resolve(ctx, "zzz")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "neither a run id nor a label")
}

// assertUntouched checks that Open refuses path with want and leaves its
// bytes, and its folder, as they were.
func assertUntouched(t *testing.T, path string, want error) {
	t.Helper()
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	entries, _ := os.ReadDir(filepath.Dir(path))
	_, err = Open(path)
	require.Error(t, err)
	assert.ErrorIs(t, err, want)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "left untouched")
	assert.Error(t, SaveRecord(path, testRecord("x", "", 3, 0.5, 1)))
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the file was modified")
	entries2, _ := os.ReadDir(filepath.Dir(path))
	assert.Equal(t, len(entries), len(entries2), "files appeared beside the refused store")
}

func TestCorruptFileIsRefusedAndUntouched(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 9))
	junk := make([]byte, 8192)
	for i := range junk {
		junk[i] = byte(rng.UintN(256))
	}
	path := filepath.Join(dir, "corrupt.db")
	require.NoError(t, os.WriteFile(path, junk, 0o644))
	assertUntouched(t, path, ErrNotSQLite)

	short := filepath.Join(t.TempDir(), "short.db")
	require.NoError(t, os.WriteFile(short, []byte("SQLite format 3\x00abc"), 0o644))
	assertUntouched(t, short, ErrNotSQLite)

	// A store whose header was overwritten with junk.
	st := filepath.Join(t.TempDir(), "st.db")
	require.NoError(t, SaveRecord(st, testRecord("a", "", 3, 0.5, 1)))
	b, err := os.ReadFile(st)
	require.NoError(t, err)
	copy(b, junk[:100])
	require.NoError(t, os.WriteFile(st, b, 0o644))
	assertUntouched(t, st, ErrNotSQLite)
}

func TestForeignSQLiteIsRefusedAndUntouched(t *testing.T) {
	for _, appID := range []int{0, 42, ApplicationID} {
		t.Run(strconv.Itoa(appID), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "other.sqlite")
			db, err := sql.Open("sqlite", path)
			require.NoError(t, err)
			_, err = db.Exec(`CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');`)
			require.NoError(t, err)
			_, err = db.Exec(fmt.Sprintf(`PRAGMA application_id = %d`, appID))
			require.NoError(t, err)
			require.NoError(t, db.Close())
			if appID == ApplicationID {
				// Our id but no marker table: refused inside a transaction
				// that writes nothing.
				before, _ := os.ReadFile(path)
				_, err := Open(path)
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrForeign)
				assert.Contains(t, err.Error(), "marker")
				after, _ := os.ReadFile(path)
				assert.Equal(t, before, after)
				return
			}
			assertUntouched(t, path, ErrForeign)
		})
	}
}

func TestOpenRefusesFolder(t *testing.T) {
	_, err := Open(t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "folder")
}

func countRuns(t *testing.T, path string) int {
	t.Helper()
	s, err := Open(path)
	require.NoError(t, err)
	defer s.Close()
	all, err := s.List(context.Background(), Filter{})
	require.NoError(t, err)
	for _, r := range all {
		require.Len(t, r.Episodes, 100, r.RunID)
	}
	return len(all)
}

func TestTwoConnectionsWriteConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	const perWriter = 15
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Go(func() {
			s, err := Open(path) // its own sql.DB and connection
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for i := range perWriter {
				if err := s.Put(context.Background(), testRecord(fmt.Sprintf("w%d-%d", w, i), "", 100, 0.9, uint64(i))); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 2*perWriter, countRuns(t, path))
}

// TestHelperWriter is the child process of TestTwoProcessesWriteConcurrently.
func TestHelperWriter(t *testing.T) {
	path, prefix := os.Getenv("METABENCH_STORE_HELPER_PATH"), os.Getenv("METABENCH_STORE_HELPER_PREFIX")
	if path == "" {
		t.Skip("helper process for TestTwoProcessesWriteConcurrently")
	}
	n, _ := strconv.Atoi(os.Getenv("METABENCH_STORE_HELPER_N"))
	// Start together: both children wait for the same instant.
	at, _ := strconv.ParseInt(os.Getenv("METABENCH_STORE_HELPER_AT"), 10, 64)
	time.Sleep(time.Until(time.Unix(0, at)))
	for i := range n {
		require.NoError(t, SaveRecord(path, testRecord(fmt.Sprintf("%s-%d", prefix, i), prefix, 100, 0.9, uint64(i))))
	}
}

func TestTwoProcessesWriteConcurrently(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "p.db")
	const perWriter = 40
	var cmds []*exec.Cmd
	at := strconv.FormatInt(time.Now().Add(500*time.Millisecond).UnixNano(), 10)
	for _, prefix := range []string{"pa", "pb"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), "METABENCH_STORE_HELPER_PATH="+path,
			"METABENCH_STORE_HELPER_PREFIX="+prefix, "METABENCH_STORE_HELPER_N="+strconv.Itoa(perWriter), "METABENCH_STORE_HELPER_AT="+at)
		cmds = append(cmds, cmd)
	}
	outs := make([][]byte, len(cmds))
	var wg sync.WaitGroup
	for i, c := range cmds {
		wg.Go(func() { outs[i], _ = c.CombinedOutput() })
	}
	wg.Wait()
	for i, c := range cmds {
		require.True(t, c.ProcessState.Success(), "writer %d: %s", i, outs[i])
	}
	assert.Equal(t, 2*perWriter, countRuns(t, path))
	s, err := Open(path)
	require.NoError(t, err)
	defer s.Close()
	rows, err := s.db.Query(`SELECT label FROM runs ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	switches, prev := 0, ""
	for rows.Next() {
		var l string
		require.NoError(t, rows.Scan(&l))
		if prev != "" && l != prev {
			switches++
		}
		prev = l
	}
	t.Logf("writers interleaved %d times in insertion order", switches)
}
