package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration takes the schema from version-1 to version. It runs inside the
// transaction that records it in schema_version.
type migration struct {
	version int
	name    string
	up      func(ctx context.Context, tx *sql.Tx, d *dialect) error
}

// execAll runs statements in order, each rewritten for the dialect: the
// statements use SQLite's type names (INTEGER, REAL), {{rowid}} for an
// auto-numbered primary key and WITHOUT ROWID, which PostgreSQL spells
// BIGINT, DOUBLE PRECISION, an identity column and nothing.
func execAll(stmts ...string) func(ctx context.Context, tx *sql.Tx, d *dialect) error {
	return func(ctx context.Context, tx *sql.Tx, d *dialect) error {
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, d.ddl(s)); err != nil {
				return err
			}
		}
		return nil
	}
}

// migrations is the ordered schema history; index i holds version i+1.
// Version 6 goes at the end of this list.
func migrations() []migration {
	return []migration{
		{version: 1, name: "runs, episodes and curve points", up: execAll(
			`CREATE TABLE runs (
				id            {{rowid}},
				run_id        TEXT NOT NULL UNIQUE,
				record_schema INTEGER NOT NULL,
				kind          TEXT NOT NULL,
				label         TEXT NOT NULL DEFAULT '',
				method        TEXT NOT NULL,
				model         TEXT NOT NULL DEFAULT '',
				started       TEXT NOT NULL,
				started_ns    INTEGER NOT NULL,
				config_json   TEXT NOT NULL,
				seed          INTEGER NOT NULL,
				dataset_name  TEXT NOT NULL DEFAULT '',
				dataset_path  TEXT NOT NULL DEFAULT '',
				dataset_format TEXT NOT NULL DEFAULT '',
				dataset_sha256 TEXT NOT NULL DEFAULT '',
				dataset_split TEXT NOT NULL DEFAULT '',
				dataset_classes INTEGER NOT NULL DEFAULT 0,
				dataset_image TEXT NOT NULL DEFAULT '',
				ways          INTEGER NOT NULL,
				shots         INTEGER NOT NULL,
				queries       INTEGER NOT NULL,
				steps_train   INTEGER NOT NULL,
				steps_test    INTEGER NOT NULL,
				inner_lr      REAL,
				bn_mode       TEXT NOT NULL DEFAULT '',
				eval_episodes INTEGER NOT NULL,
				eval_seed     INTEGER NOT NULL,
				rotations     INTEGER NOT NULL,
				mean          REAL,
				ci95          REAL,
				n             INTEGER NOT NULL,
				params        INTEGER NOT NULL,
				wall_sec      REAL,
				cpu_sec       REAL,
				iterations    INTEGER NOT NULL,
				extra_json    TEXT NOT NULL,
				env_commit    TEXT NOT NULL DEFAULT '',
				env_go_version TEXT NOT NULL DEFAULT '',
				env_goos      TEXT NOT NULL DEFAULT '',
				env_goarch    TEXT NOT NULL DEFAULT '',
				env_cpus      INTEGER NOT NULL DEFAULT 0,
				env_host      TEXT NOT NULL DEFAULT '',
				env_cpu_model TEXT NOT NULL DEFAULT '',
				env_gemm_path TEXT NOT NULL DEFAULT '',
				inserted_at   TEXT NOT NULL
			)`,
			`CREATE INDEX runs_label ON runs(label, started_ns)`,
			`CREATE INDEX runs_method ON runs(method, dataset_name, ways, shots)`,
			`CREATE TABLE episodes (
				run      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
				idx      INTEGER NOT NULL,
				accuracy REAL,
				PRIMARY KEY (run, idx)
			) WITHOUT ROWID`,
			`CREATE TABLE curve_points (
				run      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
				curve    TEXT NOT NULL CHECK (curve IN ('train', 'adapt')),
				idx      INTEGER NOT NULL,
				iter     INTEGER NOT NULL,
				step     INTEGER NOT NULL,
				wall_sec REAL,
				accuracy REAL,
				ci95     REAL,
				loss     REAL,
				PRIMARY KEY (run, curve, idx)
			) WITHOUT ROWID`,
		)},
		{version: 2, name: "record schema 2: suite step, training seconds, adapt target, code identity", up: execAll(
			// Rows written before keep their record_schema (1) and their
			// extra_json; reading them upgrades them (reports.Upgrade).
			`ALTER TABLE runs ADD COLUMN suite_name TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE runs ADD COLUMN suite_version INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE runs ADD COLUMN suite_unit TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE runs ADD COLUMN suite_seed INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE runs ADD COLUMN suite_step TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE runs ADD COLUMN train_sec REAL DEFAULT 0`,
			`ALTER TABLE runs ADD COLUMN target_name TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE runs ADD COLUMN target_arch TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE runs ADD COLUMN target_row TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE runs ADD COLUMN env_module TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE runs ADD COLUMN env_modified INTEGER NOT NULL DEFAULT 0`,
			`CREATE INDEX runs_suite ON runs(suite_name, suite_version, label)`,
		)},
		{version: 3, name: "perf runs (metabench perf --save)", up: execAll(perfTable...)},
		{version: 4, name: "protocol: training ways and rotated test classes", up: execAll(
			`ALTER TABLE runs ADD COLUMN train_ways INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE runs ADD COLUMN eval_rotations INTEGER NOT NULL DEFAULT 0`,
		)},
		{version: 5, name: "curve points: the validation mark", up: execAll(
			// Points written before read false: every one of them was a
			// train record's validation point or a training statistic of
			// search and metatrain, which is what false says of them.
			`ALTER TABLE curve_points ADD COLUMN validation INTEGER NOT NULL DEFAULT 0`,
		)},
	}
}

// migrate applies the migrations above the store's version, each in its own
// transaction, and refuses a store newer than the binary.
func (s *Store) migrate(ctx context.Context, migs []migration) error {
	for {
		done := false
		err := s.withTx(ctx, func(tx *sql.Tx) error {
			if s.d.lock != nil {
				if err := s.d.lock(ctx, tx); err != nil {
					return err
				}
			}
			var v int
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v); err != nil {
				return fmt.Errorf("reading schema version: %w", err)
			}
			if v > len(migs) {
				return fmt.Errorf("%w: schema version %d, this binary's is %d; use a newer metabench", ErrTooNew, v, len(migs))
			}
			if v == len(migs) {
				done = true
				return nil
			}
			m := migs[v]
			if m.version != v+1 {
				return fmt.Errorf("internal: migration list out of order at version %d", v+1)
			}
			if err := m.up(ctx, tx, s.d); err != nil {
				return fmt.Errorf("migration to v%d (%s): %w", m.version, m.name, err)
			}
			_, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)`),
				m.version, m.name, time.Now().UTC().Format(time.RFC3339Nano))
			return err
		})
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}
