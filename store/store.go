package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/metabench/metabench/reports"
)

// ApplicationID is the SQLite application_id of a results store ("MBNC"). The
// PostgreSQL store uses it as the key of its advisory lock.
const ApplicationID = 0x4D424E43

// marker is the value of the marker row in the metabench_store table.
const marker = "metabench results store"

// sqliteMagic starts every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// Errors that Open and the queries wrap; test them with errors.Is.
var (
	ErrNotSQLite = errors.New("not a SQLite database")
	ErrForeign   = errors.New("a database but not a metabench results store")
	ErrNotFound  = errors.New("no such run")
	ErrDuplicate = errors.New("run id already in the store with a different record")
	ErrNoStore   = errors.New("no results store there yet")
	ErrTooNew    = errors.New("schema version newer than this binary's")
)

// Store is an open results store, SQLite or PostgreSQL. Its methods are safe
// for concurrent use; several processes (or machines, for PostgreSQL) may
// hold the same store open.
type Store struct {
	db   *sql.DB
	path string // the file, or the DSN with its password masked
	d    *dialect
	// hookInTx, when set (tests only), runs inside Put's transaction after
	// the run row is written, with the attempt number from 1.
	hookInTx func(ctx context.Context, tx *sql.Tx, attempt int) error
}

// Open opens the store at pathOrDSN, creating and initialising it when it is
// missing or empty and migrating it to the current schema. A postgres:// or
// postgresql:// DSN selects PostgreSQL; anything else is a SQLite file. An
// existing file or database that is not a results store gives an error naming
// the store (password masked) and is left untouched.
func Open(pathOrDSN string) (*Store, error) {
	return openWith(context.Background(), pathOrDSN, migrations(), true)
}

// OpenExisting is Open for readers: it refuses, with an error wrapping
// ErrNoStore, to create a store where there is none (a missing or empty
// SQLite file, a PostgreSQL database without our tables), and writes
// nothing in that case.
func OpenExisting(pathOrDSN string) (*Store, error) {
	return openWith(context.Background(), pathOrDSN, migrations(), false)
}

// SaveRecord opens the store at pathOrDSN, writes rec in one transaction and
// closes the store: the one call train, eval and search make after a run.
func SaveRecord(pathOrDSN string, rec *reports.Record) error {
	s, err := Open(pathOrDSN)
	if err != nil {
		return err
	}
	if err := s.Put(context.Background(), rec); err != nil {
		_ = s.Close()
		return err
	}
	return s.Close()
}

func openWith(ctx context.Context, pathOrDSN string, migs []migration, create bool) (*Store, error) {
	if pathOrDSN == "" {
		return nil, errors.New("store: empty path")
	}
	if IsDSN(pathOrDSN) {
		return openPostgres(ctx, pathOrDSN, migs, create)
	}
	return openSQLite(ctx, pathOrDSN, migs, create)
}

func openSQLite(ctx context.Context, path string, migs []migration, create bool) (*Store, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store %s: a path with '?' or '#' is not supported", path)
	}
	empty, err := checkFile(path)
	if err != nil {
		return nil, err
	}
	if empty && !create {
		return nil, fmt.Errorf("store %s: %w", path, ErrNoStore)
	}
	db, err := sql.Open("sqlite", path+"?_busy_timeout=5000&_txlock=immediate&_foreign_keys=1")
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	// One connection per Store: per-connection settings stay uniform and
	// queries never wait on each other inside one process.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: path, d: sqliteDialect()}
	if err := s.init(ctx, migs, create); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return s, nil
}

// checkFile refuses an existing non-empty file whose header is not a SQLite
// header with our application_id, reading it without any SQLite call. It
// reports whether the file is missing or empty.
func checkFile(path string) (empty bool, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("store %s: %w", path, err)
	}
	if fi.IsDir() {
		return false, fmt.Errorf("store %s: is a folder, not a file", path)
	}
	if fi.Size() == 0 {
		return true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("store %s: %w", path, err)
	}
	defer f.Close()
	hdr := make([]byte, 100)
	n, err := io.ReadFull(f, hdr)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, fmt.Errorf("store %s: reading header: %w", path, err)
	}
	hdr = hdr[:n]
	if n < 100 || !bytes.HasPrefix(hdr, []byte(sqliteMagic)) {
		return false, fmt.Errorf("store %s: %w (it starts with %q); refusing to use it, the file is left untouched",
			path, ErrNotSQLite, hdr[:min(n, 16)])
	}
	app := uint32(hdr[68])<<24 | uint32(hdr[69])<<16 | uint32(hdr[70])<<8 | uint32(hdr[71])
	if app != ApplicationID {
		return false, fmt.Errorf("store %s: %w (application_id %#08x, want %#08x); refusing to use it, the file is left untouched",
			path, ErrForeign, app, uint32(ApplicationID))
	}
	return false, nil
}

// init stamps an empty database (when create), checks the identity of an
// existing one, runs the dialect's per-store setup and applies the
// migrations. A refusal happens inside a transaction that wrote nothing.
func (s *Store) init(ctx context.Context, migs []migration, create bool) error {
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		empty, err := s.d.identify(ctx, tx)
		if err != nil {
			return err
		}
		if empty {
			if !create {
				return ErrNoStore
			}
			for _, q := range s.d.bootstrap() {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("initialising: %w", err)
				}
			}
			return nil
		}
		var v string
		if err := tx.QueryRowContext(ctx, `SELECT value FROM metabench_store WHERE key = 'marker'`).Scan(&v); err != nil || v != marker {
			return fmt.Errorf("%w: the marker table is missing or wrong; refusing to use it", ErrForeign)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.d.setup != nil {
		if err := s.d.retry(ctx, func() error { return s.d.setup(ctx, s.db) }); err != nil {
			return err
		}
	}
	return s.migrate(ctx, migs)
}

// Path is the file the store was opened from, or its DSN with the password
// masked: safe to print and to record.
func (s *Store) Path() string { return s.path }

// Backend is "sqlite" or "postgres".
func (s *Store) Backend() string { return s.d.name }

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store %s: closing: %w", s.path, err)
	}
	return nil
}

// Version is the schema version of the store.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store %s: reading schema version: %w", s.path, err)
	}
	return v, nil
}

// withTx runs fn in one write transaction (IMMEDIATE in SQLite, under the
// store's advisory lock in PostgreSQL when the dialect asks for it), retrying
// the whole transaction on the errors the dialect calls transient.
func (s *Store) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.withTxAttempt(ctx, func(tx *sql.Tx, _ int) error { return fn(tx) })
}

func (s *Store) withTxAttempt(ctx context.Context, fn func(tx *sql.Tx, attempt int) error) error {
	attempt := 0
	return s.d.retry(ctx, func() error {
		attempt++
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(tx, attempt); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

// retry runs op until it succeeds, fails with an error that d does not call
// transient, or has been tried d.attempts times, waiting 10 ms, 20 ms, ...
// (at most d.maxDelay, with jitter) between tries.
func (d *dialect) retry(ctx context.Context, op func() error) error {
	delay := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !d.transient(err) || attempt == d.attempts {
			return err
		}
		wait := delay/2 + rand.N(delay/2+1)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (after %v)", err, ctx.Err())
		case <-time.After(wait):
		}
		delay = min(2*delay, d.maxDelay)
	}
}
