package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
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
		Dataset:  reports.Dataset{Path: "/data/omniglot", Format: "omniglot", SHA256: "abc123", Split: "omniglot-alphabets:seed=0:test", Classes: 659, Image: "1x28x28"},
		Proto:    reports.Protocol{Ways: 5, Shots: 1, Queries: 15, StepsTrain: 1, StepsTest: 3, InnerLR: 0.4, BNMode: "transductive", EvalEpisode: n, EvalSeed: 7, Rotations: true, TrainWays: 20, EvalRotations: true},
		Episodes: eps, Summary: reports.Summarize(eps),
		Curve:  []reports.Point{{Iter: 100, WallSec: 10, Accuracy: 0.8, Loss: 0.5}, {Iter: 200, WallSec: 20, Accuracy: 0.9, Loss: math.NaN()}},
		Adapt:  []reports.Point{{Step: 0, Accuracy: 0.2}, {Step: 1, Accuracy: 0.9, CI95: 0.01}},
		Params: 112005, WallSec: 12.5, TrainSec: 10.25, CPUSec: 20.25, Iters: 200,
		Target: &reports.Target{Name: "mnist", Arch: reports.ArchFrozen, Row: "r"},
		Extra:  map[string]any{"genotype": "none"},
		Env: reports.Env{Module: "v0.0.0-20261127120000-deadbeef0000+dirty", Commit: "deadbeef", Modified: true,
			GoVersion: "go1.26", GOOS: "linux", GOARCH: "amd64", CPUs: 2, Host: "h", CPUModel: "cpu", GemmPath: "gonum"},
	}
}

// suiteRecord is testRecord labelled and annotated like a unit of a suite.
func suiteRecord(shard, unit int) *reports.Record {
	r := testRecord(fmt.Sprintf("suite-unit-%03d", unit), fmt.Sprintf("nightly/unit-%d", unit), 100, 0.9, uint64(unit))
	r.Suite = &reports.SuiteID{Name: "nightly", Version: 1, Unit: strconv.Itoa(unit), Seed: int64(unit % 3), Step: "run"}
	r.Extra = map[string]any{"shard": fmt.Sprint(shard)}
	return r
}

func openT(t *testing.T, pathOrDSN string) *Store {
	t.Helper()
	s, err := Open(pathOrDSN)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestOpenEmptyMigratesAndReopens(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		loc := b.fresh(t)
		for range 2 { // create, then reopen: a no-op migration
			s, err := Open(loc)
			require.NoError(t, err)
			v, err := s.Version(context.Background())
			require.NoError(t, err)
			assert.Equal(t, len(migrations()), v)
			assert.Equal(t, b.name, s.Backend())
			require.NoError(t, s.Close())
		}
	})
}

func TestSQLiteEmptyFileWALAndHeader(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.db")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	s := openT(t, empty)
	var mode string
	require.NoError(t, s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	assert.Equal(t, "wal", mode)
	isEmpty, err := checkFile(empty)
	require.NoError(t, err)
	assert.False(t, isEmpty)
}

// TestNextMigrationKeepsDataAndNewerIsRefused: a migration after this
// binary's last keeps the stored runs, and this binary refuses the result.
func TestNextMigrationKeepsDataAndNewerIsRefused(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		loc := b.fresh(t)
		require.NoError(t, SaveRecord(loc, testRecord("r1", "", 10, 0.9, 1)))
		next := len(migrations()) + 1
		v2 := append(migrations(), migration{version: next, name: "notes column",
			up: execAll(`ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT ''`)})
		s, err := openWith(context.Background(), loc, v2, true)
		require.NoError(t, err)
		v, err := s.Version(context.Background())
		require.NoError(t, err)
		assert.Equal(t, next, v)
		var notes string
		require.NoError(t, s.db.QueryRow(`SELECT notes FROM runs WHERE run_id = 'r1'`).Scan(&notes))
		r, err := s.Get(context.Background(), "r1")
		require.NoError(t, err)
		assert.Len(t, r.Episodes, 10)
		require.NoError(t, s.Close())

		// A binary that does not know the last migration refuses the store
		// and writes nothing.
		_, err = Open(loc)
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrTooNew)
		assert.Contains(t, err.Error(), "newer than this binary")
		assert.Contains(t, err.Error(), Redact(loc))
		assert.Error(t, SaveRecord(loc, testRecord("r2", "", 10, 0.9, 2)))
		s, err = openWith(context.Background(), loc, v2, true)
		require.NoError(t, err)
		defer s.Close()
		all, err := s.List(context.Background(), Filter{})
		require.NoError(t, err)
		assert.Len(t, all, 1)
	})
}

// schema1Record is testRecord as a binary of record schema 1 wrote it: the
// suite step and the training seconds in Extra, a modified tree's commit
// with "-dirty", no typed fields.
func schema1Record() *reports.Record {
	r := testRecord("train-maml-v1", "t4v3", 20, 0.9, 9)
	r.Schema, r.Kind, r.Suite, r.Target, r.TrainSec = 1, "train", nil, nil, 0
	r.Env.Module, r.Env.Commit, r.Env.Modified = "", "deadbeef-dirty", false
	r.Proto.TrainWays, r.Proto.EvalRotations = 0, false // store version 4's protocol fields
	r.Extra = map[string]any{"suite": "paper-table4", "suite_version": 3.0, "suite_unit": "maml-5w1s",
		"suite_seed": 2.0, "suite_step": "run", "train_sec": 300.5, "meta_lr": 0.001}
	return r
}

// putV1 writes r as a binary of store version 1 did: the run row's version
// 1 columns, its episodes and its curve points.
func putV1(t *testing.T, s *Store, r *reports.Record) {
	t.Helper()
	st, err := storedForm(r)
	require.NoError(t, err)
	n := len(strings.Split(runColumnsV1, ","))
	args := append(slices.Clone(st.run[:n]), time.Now().UTC().Format(time.RFC3339Nano))
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
	ctx := context.Background()
	require.NoError(t, s.withTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, s.d.q(`INSERT INTO runs (`+runColumnsV1+`, inserted_at) VALUES (`+marks+`) RETURNING id`), args...).Scan(&id)
		if err != nil {
			return err
		}
		if err := s.insertChunked(ctx, tx, "episodes", "run, idx, accuracy", id, st.episodes); err != nil {
			return err
		}
		var points [][]any // without store version 5's validation mark
		for _, p := range st.points {
			points = append(points, p[:8])
		}
		return s.insertChunked(ctx, tx, "curve_points", "run, curve, idx, iter, step, wall_sec, accuracy, ci95, loss", id, points)
	}))
}

// TestValidationMarkRoundTrips: a metatrain record's validation points
// read back marked and its training statistics unmarked (store version 5),
// so a suite's plateau report from a store reads the same curve as from
// the records' files.
func TestValidationMarkRoundTrips(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := openT(t, b.fresh(t))
		in := testRecord("metatrain-1", "", 0, 0, 4)
		in.Kind, in.Episodes, in.Summary = "metatrain", nil, reports.Summary{Mean: 0.4, N: 1}
		in.Curve = []reports.Point{{Iter: 2, WallSec: 1, Accuracy: 0.9, Loss: 0.3}, {Iter: 2, WallSec: 1, Accuracy: 0.4, CI95: 0.05, Validation: true}}
		require.NoError(t, s.Put(ctx, in))
		out, err := s.Get(ctx, in.RunID)
		require.NoError(t, err)
		assert.Equal(t, in.Curve, out.Curve)
		assert.Equal(t, []reports.Point{in.Curve[1]}, out.ValidationCurve())
		added, err := s.Add(ctx, in)
		require.NoError(t, err)
		assert.False(t, added, "the same record is the stored one")
		other := *in
		other.Curve = []reports.Point{in.Curve[0], in.Curve[1]}
		other.Curve[1].Validation = false
		_, err = s.Add(ctx, &other)
		assert.ErrorIs(t, err, ErrDuplicate, "the mark is part of the stored record")
	})
}

// TestVersion1StoreUpgrades: a store written at store version 1 by a binary
// of record schema 1 migrates, keeps its rows and reads them back upgraded
// (reports.Upgrade); putting the schema 1 record again is the same record,
// and a copy stores it upgraded.
func TestVersion1StoreUpgrades(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		loc := b.fresh(t)
		old := schema1Record()
		v1, err := openWith(ctx, loc, migrations()[:1], true)
		require.NoError(t, err)
		putV1(t, v1, old)
		require.NoError(t, v1.Close())

		s := openT(t, loc)
		v, err := s.Version(ctx)
		require.NoError(t, err)
		assert.Equal(t, len(migrations()), v)
		got, err := s.Get(ctx, old.RunID)
		require.NoError(t, err)
		assert.Equal(t, reports.SchemaVersion, got.Schema)
		assert.Equal(t, &reports.SuiteID{Name: "paper-table4", Version: 3, Unit: "maml-5w1s", Seed: 2, Step: "run"}, got.Suite)
		assert.Equal(t, 300.5, got.TrainSec)
		assert.Equal(t, map[string]any{"meta_lr": 0.001}, got.Extra)
		assert.Equal(t, "deadbeef (modified)", got.Env.Revision())
		want := schema1Record()
		reports.Upgrade(want)
		assert.Equal(t, encodeJSON(t, []reports.Record{*want}), encodeJSON(t, []reports.Record{*got}))

		added, err := s.Add(ctx, old)
		require.NoError(t, err)
		assert.False(t, added, "the schema 1 record is the stored one")
		assert.Equal(t, 1, old.Schema, "the caller's record is left as it is")
		dst := openT(t, sqliteBackend().fresh(t))
		_, err = Copy(ctx, dst, s)
		require.NoError(t, err)
		var schema int
		var suite string
		require.NoError(t, dst.db.QueryRow(`SELECT record_schema, suite_name FROM runs`).Scan(&schema, &suite))
		assert.Equal(t, []any{reports.SchemaVersion, "paper-table4"}, []any{schema, suite}, "copied as schema 2")
	})
}

func TestPutGetRoundTrip(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := openT(t, b.fresh(t))
		in := testRecord("eval-maml-1", "nightly", 600, 0.95, 3)
		require.NoError(t, s.Put(ctx, in))
		out, err := s.Get(ctx, in.RunID)
		require.NoError(t, err)

		assert.True(t, math.IsNaN(out.Curve[1].Loss))
		out.Curve[1].Loss, in.Curve[1].Loss = 0, 0
		assert.Equal(t, in, out)
		in.Curve[1].Loss, out.Curve[1].Loss = math.NaN(), math.NaN()

		// Putting the same record again (a retried shard) stores it once; a
		// different record under the same run id is refused.
		added, err := s.Add(ctx, in)
		require.NoError(t, err)
		assert.False(t, added)
		require.NoError(t, s.Put(ctx, out))
		clash := testRecord("eval-maml-1", "nightly", 600, 0.95, 4)
		err = s.Put(ctx, clash)
		assert.ErrorIs(t, err, ErrDuplicate)
		all, err := s.List(ctx, Filter{})
		require.NoError(t, err)
		assert.Len(t, all, 1)
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
		require.NoError(t, s.Put(ctx, r2), "the summarised form is the same record")

		// Long curves span several multi-row inserts.
		r3 := testRecord("r3", "", rowsPerInsert*2+7, 0.5, 5)
		for i := range rowsPerInsert + 3 {
			r3.Curve = append(r3.Curve, reports.Point{Iter: i, Accuracy: float64(i) / 1000})
		}
		require.NoError(t, s.Put(ctx, r3))
		got, err = s.Get(ctx, "r3")
		require.NoError(t, err)
		assert.Equal(t, r3.Episodes, got.Episodes)
		assert.Len(t, got.Curve, len(r3.Curve))

		// Invalid records are refused before any write.
		assert.Error(t, s.Put(ctx, &reports.Record{RunID: "x"}))
	})
}

func TestListLatestResolve(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := openT(t, b.fresh(t))
		a := testRecord("a", "base", 5, 0.9, 1)
		bb := testRecord("b", "base", 5, 0.9, 2) // later start
		c := testRecord("c", "cand", 5, 0.9, 3)
		c.Method, c.Kind = "reptile", "train"
		c.Proto.Ways = 20
		for _, r := range []*reports.Record{bb, a, c} {
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
	})
}

func TestOpenExistingRefusesToCreate(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		loc := b.fresh(t)
		_, err := OpenExisting(loc)
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrNoStore)
		assert.Contains(t, err.Error(), Redact(loc))
		// Nothing was created: Open still finds an empty location.
		if b.name == "sqlite" {
			assert.NoFileExists(t, loc)
		}
		require.NoError(t, SaveRecord(loc, testRecord("a", "", 3, 0.5, 1)))
		s, err := OpenExisting(loc)
		require.NoError(t, err)
		require.NoError(t, s.Close())
	})
}

// countRuns checks that every run of the store has its 100 episodes and
// returns the number of runs.
func countRuns(t *testing.T, loc string) int {
	t.Helper()
	s := openT(t, loc)
	all, err := s.List(context.Background(), Filter{})
	require.NoError(t, err)
	for _, r := range all {
		require.Len(t, r.Episodes, 100, r.RunID)
	}
	return len(all)
}

func TestTwoConnectionsWriteConcurrently(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		loc := b.fresh(t)
		const perWriter = 15
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for w := range 2 {
			wg.Go(func() {
				s, err := Open(loc) // its own sql.DB and connection
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
		assert.Equal(t, 2*perWriter, countRuns(t, loc))
	})
}

// Environment of TestHelperWriter, the child process of
// TestProcessesWriteSuiteUnits.
const (
	helperStore = "METABENCH_STORE_HELPER_STORE"
	helperShard = "METABENCH_STORE_HELPER_SHARD"
	helperN     = "METABENCH_STORE_HELPER_N"
	helperAt    = "METABENCH_STORE_HELPER_AT"
)

// TestHelperWriter is one shard writing suite units: its own units, then
// its neighbour's again (a retried shard), each through SaveRecord, which
// opens the store afresh as a separate `metabench` process would.
func TestHelperWriter(t *testing.T) {
	loc := os.Getenv(helperStore)
	if loc == "" {
		t.Skip("helper process for TestProcessesWriteSuiteUnits")
	}
	shard, _ := strconv.Atoi(os.Getenv(helperShard))
	n, _ := strconv.Atoi(os.Getenv(helperN))
	at, _ := strconv.ParseInt(os.Getenv(helperAt), 10, 64)
	time.Sleep(time.Until(time.Unix(0, at))) // start together
	for _, owner := range []int{shard, shard + 1} {
		for i := range n {
			require.NoError(t, SaveRecord(loc, suiteRecord(owner, owner*n+i)))
		}
	}
}

func TestProcessesWriteSuiteUnits(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	forBackends(t, func(t *testing.T, b backend) {
		const shards, perShard = 8, 20
		loc := b.fresh(t)
		at := strconv.FormatInt(time.Now().Add(time.Second).UnixNano(), 10)
		cmds := make([]*exec.Cmd, shards)
		outs := make([][]byte, shards)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range cmds {
			// Shard i writes units of shards i and i+1 (the last writes a
			// ninth block alone), so every unit but the first block's and the
			// ninth's is written by two processes racing.
			c := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
			c.Env = append(os.Environ(), helperStore+"="+loc, helperShard+"="+strconv.Itoa(i),
				helperN+"="+strconv.Itoa(perShard), helperAt+"="+at)
			cmds[i] = c
			wg.Go(func() { outs[i], _ = c.CombinedOutput() })
		}
		wg.Wait()
		t.Logf("%s: %d processes wrote %d puts in %v", b.name, shards, 2*shards*perShard, time.Since(start))
		for i, c := range cmds {
			require.True(t, c.ProcessState.Success(), "writer %d: %s", i, outs[i])
		}
		s := openT(t, loc)
		all, err := s.List(context.Background(), Filter{})
		require.NoError(t, err)
		require.Len(t, all, (shards+1)*perShard, "units lost or duplicated")
		seen := map[string]bool{}
		for _, r := range all {
			require.False(t, seen[r.RunID], "duplicate %s", r.RunID)
			seen[r.RunID] = true
			require.Len(t, r.Episodes, 100, r.RunID)
			unit, err := strconv.Atoi(r.Suite.Unit)
			require.NoError(t, err)
			want := suiteRecord(0, unit)
			assert.Equal(t, want.Label, r.Label)
		}
		var rows int
		require.NoError(t, s.db.QueryRow(`SELECT count(*) FROM episodes`).Scan(&rows))
		assert.Equal(t, (shards+1)*perShard*100, rows)
	})
}

// nanSentinel stands for NaN in encodeJSON, which JSON cannot spell.
const nanSentinel = -12345.0

// replaceNaN sets every NaN float64 reachable through v's struct fields and
// slices (not maps) to nanSentinel.
func replaceNaN(v reflect.Value) {
	switch v.Kind() {
	case reflect.Float64:
		if math.IsNaN(v.Float()) {
			v.SetFloat(nanSentinel)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				replaceNaN(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			replaceNaN(v.Index(i))
		}
	}
}

// encodeJSON is the JSON of recs, NaN written as nanSentinel, so that records
// with missing values compare byte for byte too.
func encodeJSON(t *testing.T, recs []reports.Record) string {
	t.Helper()
	replaceNaN(reflect.ValueOf(recs))
	b, err := json.Marshal(recs)
	require.NoError(t, err)
	return string(b)
}

func listAll(t *testing.T, s *Store) []reports.Record {
	t.Helper()
	all, err := s.List(context.Background(), Filter{})
	require.NoError(t, err)
	return all
}

func TestCopyRoundTripsAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	a := openT(t, sqliteBackend().fresh(t))
	for i := range 12 {
		r := suiteRecord(i%3, i)
		if i%4 == 0 {
			r.Proto.InnerLR = math.NaN()
			r.Episodes = nil
		}
		require.NoError(t, a.Put(ctx, r))
	}
	mid := openT(t, postgresBackend().fresh(t))
	back := openT(t, sqliteBackend().fresh(t))
	for _, step := range []struct{ dst, src *Store }{{mid, a}, {back, mid}} {
		st, err := Copy(ctx, step.dst, step.src)
		require.NoError(t, err)
		assert.Equal(t, CopyStats{Read: 12, Added: 12}, st)
		st, err = Copy(ctx, step.dst, step.src)
		require.NoError(t, err)
		assert.Equal(t, CopyStats{Read: 12, Added: 0}, st, "a second copy adds nothing")
	}
	want := encodeJSON(t, listAll(t, a))
	assert.Equal(t, want, encodeJSON(t, listAll(t, mid)))
	assert.Equal(t, want, encodeJSON(t, listAll(t, back)))
	assert.True(t, math.IsNaN(listAll(t, back)[0].Proto.InnerLR))

	// A clash under a stored run id stops the copy.
	other := openT(t, sqliteBackend().fresh(t))
	require.NoError(t, other.Put(ctx, testRecord("suite-unit-000", "x", 5, 0.5, 99)))
	_, err := Copy(ctx, back, other)
	assert.ErrorIs(t, err, ErrDuplicate)
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
