package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/metabench/metabench/reports"
)

// runColumns are the columns of runs written by Put and read by the queries,
// in the order of runArgs and scanRun: those of the store's version 1, then
// those version 2 added, then those of version 4.
const runColumns = runColumnsV1 + `, ` + runColumnsV2 + `, ` + runColumnsV4

const runColumnsV1 = `run_id, record_schema, kind, label, method, model, started, started_ns,
	config_json, seed, dataset_name, dataset_path, dataset_format, dataset_sha256, dataset_split,
	dataset_classes, dataset_image, ways, shots, queries, steps_train, steps_test, inner_lr,
	bn_mode, eval_episodes, eval_seed, rotations, mean, ci95, n, params, wall_sec, cpu_sec,
	iterations, extra_json, env_commit, env_go_version, env_goos, env_goarch, env_cpus,
	env_host, env_cpu_model, env_gemm_path`

const runColumnsV2 = `suite_name, suite_version, suite_unit, suite_seed, suite_step, train_sec,
	target_name, target_arch, target_row, env_module, env_modified`

const runColumnsV4 = `train_ways, eval_rotations`

// nullable maps NaN, which SQLite cannot store, to NULL.
func nullable(x float64) any {
	if math.IsNaN(x) {
		return nil
	}
	return x
}

// orNaN maps NULL back to NaN.
func orNaN(x sql.NullFloat64) float64 {
	if !x.Valid {
		return math.NaN()
	}
	return x.Float64
}

// boolInt stores a flag as 0 or 1, the same in both dialects.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// runArgs are the values of runColumns for r. A nil Suite or Target is
// stored with an empty suite_name or target_name, read back as nil.
func runArgs(r *reports.Record, cfg, extra []byte) []any {
	schema := r.Schema
	if schema == 0 {
		schema = reports.SchemaVersion
	}
	sum := r.Summarized()
	p, d, e := r.Proto, r.Dataset, r.Env
	var startedNS int64 // UnixNano is undefined outside 1678..2262; the zero time sorts first
	if y := r.Started.Year(); y > 1678 && y < 2262 {
		startedNS = r.Started.UnixNano()
	}
	var su reports.SuiteID
	if r.Suite != nil {
		su = *r.Suite
	}
	var tg reports.Target
	if r.Target != nil {
		tg = *r.Target
	}
	return []any{
		r.RunID, schema, r.Kind, r.Label, r.Method, r.Model,
		r.Started.UTC().Format(time.RFC3339Nano), startedNS,
		string(cfg), r.Seed, reports.DatasetName(d), d.Path, d.Format, d.SHA256, d.Split,
		d.Classes, d.Image, p.Ways, p.Shots, p.Queries, p.StepsTrain, p.StepsTest, nullable(p.InnerLR),
		p.BNMode, p.EvalEpisode, p.EvalSeed, boolInt(p.Rotations), nullable(sum.Mean), nullable(sum.CI95), sum.N,
		r.Params, nullable(r.WallSec), nullable(r.CPUSec), r.Iters, string(extra),
		e.Commit, e.GoVersion, e.GOOS, e.GOARCH, e.CPUs, e.Host, e.CPUModel, e.GemmPath,
		su.Name, su.Version, su.Unit, su.Seed, su.Step, nullable(r.TrainSec),
		tg.Name, tg.Arch, tg.Row, e.Module, boolInt(e.Modified),
		p.TrainWays, boolInt(p.EvalRotations),
	}
}

// stored is a record as the store's rows hold it: the run row (without
// inserted_at), the episode rows and the curve-point rows, each row without
// the run's internal id. Two records with equal stored forms read back
// identically, so Put compares them to tell a retry from a clash.
type stored struct {
	run      []any
	episodes [][]any
	points   [][]any
}

// redactStrings masks the password of any DSN among the top-level string
// values of m (an experiment file's store: field, say), so that no record
// carries one.
func redactStrings(m map[string]any) map[string]any {
	var out map[string]any
	for k, v := range m {
		if str, ok := v.(string); ok && IsDSN(str) && Redact(str) != str {
			if out == nil {
				out = maps.Clone(m)
			}
			out[k] = Redact(str)
		}
	}
	if out == nil {
		return m
	}
	return out
}

func storedForm(r *reports.Record) (*stored, error) {
	cfg, err := json.Marshal(redactStrings(r.Config))
	if err != nil {
		return nil, fmt.Errorf("encoding config of %s: %w", r.RunID, err)
	}
	extra, err := json.Marshal(redactStrings(r.Extra))
	if err != nil {
		return nil, fmt.Errorf("encoding extra of %s: %w", r.RunID, err)
	}
	st := &stored{run: runArgs(r, cfg, extra)}
	for i, a := range r.Episodes {
		st.episodes = append(st.episodes, []any{i, nullable(a)})
	}
	for _, c := range []struct {
		name string
		pts  []reports.Point
	}{{"train", r.Curve}, {"adapt", r.Adapt}} {
		for i, p := range c.pts {
			st.points = append(st.points, []any{c.name, i, p.Iter, p.Step, nullable(p.WallSec),
				nullable(p.Accuracy), nullable(p.CI95), nullable(p.Loss), boolInt(p.Validation)})
		}
	}
	return st, nil
}

// rowsPerInsert bounds a multi-row INSERT (11 columns x 200 rows stays far
// below both SQLite's and PostgreSQL's limits on parameters).
const rowsPerInsert = 200

// insertChunked writes rows into table with multi-row INSERTs, each row
// prefixed with the run's id.
func (s *Store) insertChunked(ctx context.Context, tx *sql.Tx, table, cols string, id int64, rows [][]any) error {
	for len(rows) > 0 {
		n := min(len(rows), rowsPerInsert)
		var args []any
		for _, r := range rows[:n] {
			args = append(append(args, id), r...)
		}
		if _, err := tx.ExecContext(ctx, s.d.insertRows(table, cols, 1+len(rows[0]), n), args...); err != nil {
			return fmt.Errorf("inserting into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}

// errExists stops Put's transaction when the run id is already stored.
var errExists = errors.New("run id exists")

// Put writes rec (the run row, its per-episode accuracies and its curve
// points) in one transaction. A record whose summary is empty gets one
// computed from its episodes. Put is idempotent by run id: putting a record
// that is already stored (a retried shard, a repeated copy) writes nothing
// and succeeds; a different record under a stored run id is an error
// wrapping ErrDuplicate, and nothing is overwritten.
func (s *Store) Put(ctx context.Context, rec *reports.Record) error {
	_, err := s.Add(ctx, rec)
	return err
}

// Add is Put that also reports whether rec was written (false: the same
// record was already there). A record of an older schema is stored
// upgraded (reports.Upgrade; rec itself is left as it is).
func (s *Store) Add(ctx context.Context, rec *reports.Record) (bool, error) {
	if err := rec.Validate(); err != nil {
		return false, fmt.Errorf("store %s: %w", s.path, err)
	}
	up := *rec
	reports.Upgrade(&up)
	rec = &up
	st, err := storedForm(rec)
	if err != nil {
		return false, fmt.Errorf("store %s: %w", s.path, err)
	}
	args := append(slices.Clone(st.run), time.Now().UTC().Format(time.RFC3339Nano))
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
	insertRun := s.d.q(`INSERT INTO runs (` + runColumns + `, inserted_at) VALUES (` + marks +
		`) ON CONFLICT (run_id) DO NOTHING RETURNING id`)
	err = s.withTxAttempt(ctx, func(tx *sql.Tx, attempt int) error {
		var id int64
		if err := tx.QueryRowContext(ctx, insertRun, args...).Scan(&id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return errExists
			}
			return fmt.Errorf("inserting run: %w", err)
		}
		if s.hookInTx != nil {
			if err := s.hookInTx(ctx, tx, attempt); err != nil {
				return err
			}
		}
		if err := s.insertChunked(ctx, tx, "episodes", "run, idx, accuracy", id, st.episodes); err != nil {
			return err
		}
		return s.insertChunked(ctx, tx, "curve_points",
			"run, curve, idx, iter, step, wall_sec, accuracy, ci95, loss, validation", id, st.points)
	})
	if errors.Is(err, errExists) {
		return false, s.sameAsStored(ctx, st, rec.RunID)
	}
	if err != nil {
		return false, fmt.Errorf("store %s: writing run %s: %w", s.path, rec.RunID, err)
	}
	return true, nil
}

// sameAsStored succeeds when the stored run runID has the stored form want,
// and fails wrapping ErrDuplicate otherwise.
func (s *Store) sameAsStored(ctx context.Context, want *stored, runID string) error {
	old, err := s.Get(ctx, runID)
	if err != nil {
		return err
	}
	have, err := storedForm(old)
	if err != nil {
		return fmt.Errorf("store %s: %w", s.path, err)
	}
	if !reflect.DeepEqual(have, want) {
		return fmt.Errorf("store %s: %w: %s", s.path, ErrDuplicate, runID)
	}
	return nil
}

// Filter selects runs; zero fields match everything. Method and Label match
// exactly (Method case-insensitively); Dataset matches the canonical dataset
// name (reports.DatasetName, e.g. "omniglot"). Limit > 0 keeps the latest
// Limit runs.
type Filter struct {
	Method  string
	Dataset string
	Label   string
	Kind    string
	Ways    int
	Shots   int
	Limit   int
}

// List returns the full records matching f, oldest first (by start time,
// then insertion).
func (s *Store) List(ctx context.Context, f Filter) ([]reports.Record, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.Method != "" {
		add("lower(method) = lower(?)", f.Method)
	}
	if f.Dataset != "" {
		add("dataset_name = ?", reports.DatasetName(reports.Dataset{Format: f.Dataset}))
	}
	if f.Label != "" {
		add("label = ?", f.Label)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if f.Ways > 0 {
		add("ways = ?", f.Ways)
	}
	if f.Shots > 0 {
		add("shots = ?", f.Shots)
	}
	q := `SELECT id, ` + runColumns + ` FROM runs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY started_ns DESC, id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	recs, err := s.queryRuns(ctx, s.d.q(q), args...)
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
		recs[i], recs[j] = recs[j], recs[i]
	}
	return recs, nil
}

// Get returns the run with this run id, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, runID string) (*reports.Record, error) {
	recs, err := s.queryRuns(ctx, s.d.q(`SELECT id, `+runColumns+` FROM runs WHERE run_id = ?`), runID)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("store %s: %w with id %q", s.path, ErrNotFound, runID)
	}
	return &recs[0], nil
}

// Latest returns the latest run (by start time, then insertion) with this
// label, or an error wrapping ErrNotFound.
func (s *Store) Latest(ctx context.Context, label string) (*reports.Record, error) {
	recs, err := s.queryRuns(ctx, s.d.q(`SELECT id, `+runColumns+` FROM runs WHERE label = ?
		ORDER BY started_ns DESC, id DESC LIMIT 1`), label)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("store %s: %w with label %q", s.path, ErrNotFound, label)
	}
	return &recs[0], nil
}

// Resolve returns the run whose id is ref or, failing that, the latest run
// labelled ref.
func (s *Store) Resolve(ctx context.Context, ref string) (*reports.Record, error) {
	r, err := s.Get(ctx, ref)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return r, err
	}
	r, err = s.Latest(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store %s: %w: %q is neither a run id nor a label", s.path, ErrNotFound, ref)
	}
	return r, err
}

// queryRuns reads run rows, then (after closing the row cursor: the store has
// one connection) their episodes and curve points.
func (s *Store) queryRuns(ctx context.Context, q string, args ...any) ([]reports.Record, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store %s: querying runs: %w", s.path, err)
	}
	var recs []reports.Record
	var ids []int64
	for rows.Next() {
		id, r, err := scanRun(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store %s: reading run: %w", s.path, err)
		}
		ids = append(ids, id)
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store %s: reading runs: %w", s.path, err)
	}
	rows.Close()
	for i := range recs {
		if err := s.loadDetails(ctx, ids[i], &recs[i]); err != nil {
			return nil, fmt.Errorf("store %s: reading run %s: %w", s.path, recs[i].RunID, err)
		}
	}
	return recs, nil
}

// scanRun reads one row of runColumns (after the internal id) and upgrades
// a record of an older schema (reports.Upgrade).
func scanRun(rows *sql.Rows) (int64, reports.Record, error) {
	var (
		id                                     int64
		r                                      reports.Record
		started, cfg, extra, dsName            string
		startedNS                              int64
		innerLR, mean, ci, wall, cpu, trainSec sql.NullFloat64
		rotations, modified, evalRotations     bool
		su                                     reports.SuiteID
		tg                                     reports.Target
	)
	p, d, e := &r.Proto, &r.Dataset, &r.Env
	err := rows.Scan(&id, &r.RunID, &r.Schema, &r.Kind, &r.Label, &r.Method, &r.Model, &started, &startedNS,
		&cfg, &r.Seed, &dsName, &d.Path, &d.Format, &d.SHA256, &d.Split,
		&d.Classes, &d.Image, &p.Ways, &p.Shots, &p.Queries, &p.StepsTrain, &p.StepsTest, &innerLR,
		&p.BNMode, &p.EvalEpisode, &p.EvalSeed, &rotations, &mean, &ci, &r.Summary.N,
		&r.Params, &wall, &cpu, &r.Iters, &extra,
		&e.Commit, &e.GoVersion, &e.GOOS, &e.GOARCH, &e.CPUs, &e.Host, &e.CPUModel, &e.GemmPath,
		&su.Name, &su.Version, &su.Unit, &su.Seed, &su.Step, &trainSec,
		&tg.Name, &tg.Arch, &tg.Row, &e.Module, &modified,
		&p.TrainWays, &evalRotations)
	if err != nil {
		return 0, r, err
	}
	if su.Name != "" {
		r.Suite = &su
	}
	if tg.Name != "" {
		r.Target = &tg
	}
	r.TrainSec, e.Modified = orNaN(trainSec), modified
	if r.Started, err = time.Parse(time.RFC3339Nano, started); err != nil {
		return 0, r, fmt.Errorf("run %s: start time: %w", r.RunID, err)
	}
	p.Rotations, p.EvalRotations = rotations, evalRotations
	p.InnerLR, r.Summary.Mean, r.Summary.CI95 = orNaN(innerLR), orNaN(mean), orNaN(ci)
	r.WallSec, r.CPUSec = orNaN(wall), orNaN(cpu)
	if err := json.Unmarshal([]byte(cfg), &r.Config); err != nil {
		return 0, r, fmt.Errorf("run %s: config: %w", r.RunID, err)
	}
	if err := json.Unmarshal([]byte(extra), &r.Extra); err != nil {
		return 0, r, fmt.Errorf("run %s: extra: %w", r.RunID, err)
	}
	reports.Upgrade(&r)
	return id, r, nil
}

func (s *Store) loadDetails(ctx context.Context, id int64, r *reports.Record) error {
	rows, err := s.db.QueryContext(ctx, s.d.q(`SELECT accuracy FROM episodes WHERE run = ? ORDER BY idx`), id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a sql.NullFloat64
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return err
		}
		r.Episodes = append(r.Episodes, orNaN(a))
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, s.d.q(`SELECT curve, iter, step, wall_sec, accuracy, ci95, loss, validation
		FROM curve_points WHERE run = ? ORDER BY curve, idx`), id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var curve string
		var p reports.Point
		var wall, acc, ci, loss sql.NullFloat64
		var val int
		if err := rows.Scan(&curve, &p.Iter, &p.Step, &wall, &acc, &ci, &loss, &val); err != nil {
			return err
		}
		p.WallSec, p.Accuracy, p.CI95, p.Loss, p.Validation = orNaN(wall), orNaN(acc), orNaN(ci), orNaN(loss), val != 0
		if curve == "adapt" {
			r.Adapt = append(r.Adapt, p)
		} else {
			r.Curve = append(r.Curve, p)
		}
	}
	return rows.Err()
}
