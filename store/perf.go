package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/metabench/metabench/reports"
)

// perfTable is the schema of the saved `metabench perf` runs: one row per
// run, the run as JSON beside the columns a query selects on.
var perfTable = []string{
	`CREATE TABLE perf_runs (
		id          {{rowid}},
		run_id      TEXT NOT NULL UNIQUE,
		perf_schema INTEGER NOT NULL,
		label       TEXT NOT NULL DEFAULT '',
		started     TEXT NOT NULL,
		started_ns  INTEGER NOT NULL,
		machine     TEXT NOT NULL,
		run_json    TEXT NOT NULL,
		inserted_at TEXT NOT NULL
	)`,
	`CREATE INDEX perf_runs_machine ON perf_runs(machine, started_ns)`,
}

// PutPerf saves a perf run in one transaction. A run id already stored
// with the same content is a no-op; with other content it is an error
// wrapping ErrDuplicate.
func (s *Store) PutPerf(ctx context.Context, r *reports.PerfRun) error {
	_, err := s.AddPerf(ctx, r)
	return err
}

// AddPerf is PutPerf that also reports whether r was written (false: the
// same run was already there).
func (s *Store) AddPerf(ctx context.Context, r *reports.PerfRun) (bool, error) {
	if err := validPerf(r); err != nil {
		return false, fmt.Errorf("store %s: %w", s.path, err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return false, fmt.Errorf("store %s: perf run %s: %w", s.path, r.RunID, err)
	}
	insert := s.d.q(`INSERT INTO perf_runs (run_id, perf_schema, label, started, started_ns, machine, run_json, inserted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING`)
	var inserted int64
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insert, r.RunID, r.Schema, r.Label, r.Started.UTC().Format(time.RFC3339Nano),
			r.Started.UnixNano(), r.Machine(), string(b), time.Now().UTC().Format(time.RFC3339Nano))
		if err != nil {
			return err
		}
		inserted, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store %s: writing perf run %s: %w", s.path, r.RunID, err)
	}
	if inserted > 0 {
		return true, nil
	}
	var have string
	if err := s.db.QueryRowContext(ctx, s.d.q(`SELECT run_json FROM perf_runs WHERE run_id = ?`), r.RunID).Scan(&have); err != nil {
		return false, fmt.Errorf("store %s: reading perf run %s: %w", s.path, r.RunID, err)
	}
	if have != string(b) {
		return false, fmt.Errorf("store %s: %w: perf run %s", s.path, ErrDuplicate, r.RunID)
	}
	return false, nil
}

// ListPerf returns the saved perf runs, oldest first (by start time, then
// insertion); label, when not empty, keeps the runs with that label.
func (s *Store) ListPerf(ctx context.Context, label string) ([]reports.PerfRun, error) {
	q := `SELECT run_json FROM perf_runs`
	var args []any
	if label != "" {
		q += ` WHERE label = ?`
		args = append(args, label)
	}
	rows, err := s.db.QueryContext(ctx, s.d.q(q+` ORDER BY started_ns, id`), args...)
	if err != nil {
		return nil, fmt.Errorf("store %s: listing perf runs: %w", s.path, err)
	}
	defer rows.Close()
	var out []reports.PerfRun
	for rows.Next() {
		var js string
		if err := rows.Scan(&js); err != nil {
			return nil, fmt.Errorf("store %s: reading perf runs: %w", s.path, err)
		}
		var r reports.PerfRun
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			return nil, fmt.Errorf("store %s: decoding a perf run: %w", s.path, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store %s: reading perf runs: %w", s.path, err)
	}
	return out, nil
}

// validPerf checks what a stored perf run must have.
func validPerf(r *reports.PerfRun) error {
	var bad []string
	if r.RunID == "" {
		bad = append(bad, "run_id is empty")
	}
	if r.Schema != reports.PerfSchemaVersion {
		bad = append(bad, fmt.Sprintf("schema %d, want %d", r.Schema, reports.PerfSchemaVersion))
	}
	if r.Started.IsZero() {
		bad = append(bad, "started is zero")
	}
	if len(r.Workloads) == 0 {
		bad = append(bad, "no workloads")
	}
	for _, w := range r.Workloads {
		if w.Name == "" || !(w.MedianMS > 0) {
			bad = append(bad, fmt.Sprintf("workload %q has no median", w.Name))
		}
	}
	if len(bad) > 0 {
		return errors.New("perf run " + r.RunID + ": " + strings.Join(bad, "; "))
	}
	return nil
}
