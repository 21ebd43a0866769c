package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/metabench/metabench/reports"
)

// ApplicationID is the SQLite application_id of a results store ("MBNC").
const ApplicationID = 0x4D424E43

// marker is the value of the marker row in the metabench_store table.
const marker = "metabench results store"

// sqliteMagic starts every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// Errors that Open and the queries wrap; test them with errors.Is.
var (
	ErrNotSQLite = errors.New("not a SQLite database")
	ErrForeign   = errors.New("a SQLite database but not a metabench results store")
	ErrNotFound  = errors.New("no such run")
	ErrDuplicate = errors.New("run id already in the store")
)

// Store is an open results store. Its methods are safe for concurrent use;
// several processes may hold the same file open.
type Store struct {
	db   *sql.DB
	path string
}

// Open opens the store at path, creating and initialising it when the file is
// missing or empty and migrating it to the current schema. An existing file
// that is not a results store (not SQLite, or SQLite without our
// application_id and marker table) gives an error naming the file, and the
// file is left untouched.
func Open(path string) (*Store, error) {
	return openWith(context.Background(), path, migrations())
}

// SaveRecord opens the store at path, writes rec in one transaction and closes
// the store: the one call train, eval and search make after a run.
func SaveRecord(path string, rec *reports.Record) error {
	s, err := Open(path)
	if err != nil {
		return err
	}
	if err := s.Put(context.Background(), rec); err != nil {
		_ = s.Close()
		return err
	}
	return s.Close()
}

func openWith(ctx context.Context, path string, migs []migration) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: empty path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store %s: a path with '?' or '#' is not supported", path)
	}
	if err := checkFile(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", path+"?_busy_timeout=5000&_txlock=immediate&_foreign_keys=1")
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	// One connection per Store: per-connection settings stay uniform and
	// queries never wait on each other inside one process.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: path}
	if err := s.init(ctx, migs); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return s, nil
}

// checkFile refuses an existing non-empty file whose header is not a SQLite
// header with our application_id, reading it without any SQLite call.
func checkFile(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("store %s: is a folder, not a file", path)
	}
	if fi.Size() == 0 {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	defer f.Close()
	hdr := make([]byte, 100)
	n, err := io.ReadFull(f, hdr)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("store %s: reading header: %w", path, err)
	}
	hdr = hdr[:n]
	if n < 100 || !bytes.HasPrefix(hdr, []byte(sqliteMagic)) {
		return fmt.Errorf("store %s: %w (it starts with %q); refusing to use it, the file is left untouched",
			path, ErrNotSQLite, hdr[:min(n, 16)])
	}
	app := uint32(hdr[68])<<24 | uint32(hdr[69])<<16 | uint32(hdr[70])<<8 | uint32(hdr[71])
	if app != ApplicationID {
		return fmt.Errorf("store %s: %w (application_id %#08x, want %#08x); refusing to use it, the file is left untouched",
			path, ErrForeign, app, uint32(ApplicationID))
	}
	return nil
}

// init stamps an empty database, checks the marker of an existing one,
// switches to WAL and applies the migrations.
func (s *Store) init(ctx context.Context, migs []migration) error {
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var app int64
		if err := tx.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&app); err != nil {
			return fmt.Errorf("reading application_id: %w", err)
		}
		var objects int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&objects); err != nil {
			return fmt.Errorf("reading schema: %w", err)
		}
		switch {
		case app == 0 && objects == 0:
			for _, q := range bootstrapSQL() {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("initialising: %w", err)
				}
			}
			return nil
		case app != ApplicationID:
			// Rolled back: nothing was written.
			return fmt.Errorf("%w (application_id %#08x); refusing to use it", ErrForeign, app)
		}
		var v string
		if err := tx.QueryRowContext(ctx, `SELECT value FROM metabench_store WHERE key = 'marker'`).Scan(&v); err != nil || v != marker {
			return fmt.Errorf("%w: application_id matches but the marker table is missing or wrong; refusing to use it", ErrForeign)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := retry(ctx, func() error {
		var mode string
		if err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode); err != nil {
			return err
		}
		if !strings.EqualFold(mode, "wal") {
			return fmt.Errorf("journal mode is %q, not wal", mode)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("switching to WAL: %w", err)
	}
	return s.migrate(ctx, migs)
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

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

// withTx runs fn in one IMMEDIATE transaction, retrying the whole
// transaction while SQLite reports the database busy or locked.
func (s *Store) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return retry(ctx, func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

// isBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED (any extended
// code), the errors that a retry can cure.
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

// retry runs op until it succeeds, fails with an error other than busy, or
// has been tried 10 times, waiting 10 ms, 20 ms, ... (at most 1 s) between
// tries on top of the driver's 5 s busy timeout.
func retry(ctx context.Context, op func() error) error {
	delay := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !isBusy(err) || attempt == 10 {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (after %v)", err, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}
