package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteDialect is the single-file store (modernc.org/sqlite, no cgo).
func sqliteDialect() *dialect {
	return &dialect{
		name:           "sqlite",
		types:          strings.NewReplacer("{{rowid}}", "INTEGER PRIMARY KEY"),
		identify:       sqliteIdentify,
		extraBootstrap: []string{fmt.Sprintf(`PRAGMA application_id = %d`, ApplicationID)},
		setup:          sqliteWAL,
		transient:      isBusy,
		attempts:       10,
		maxDelay:       time.Second,
	}
}

// sqliteIdentify reads the application_id and the number of schema objects:
// both zero is an empty database; a foreign application_id is refused.
func sqliteIdentify(ctx context.Context, tx *sql.Tx) (bool, error) {
	var app int64
	if err := tx.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&app); err != nil {
		return false, fmt.Errorf("reading application_id: %w", err)
	}
	var objects int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&objects); err != nil {
		return false, fmt.Errorf("reading schema: %w", err)
	}
	switch {
	case app == 0 && objects == 0:
		return true, nil
	case app != ApplicationID:
		// Rolled back: nothing was written.
		return false, fmt.Errorf("%w (application_id %#08x); refusing to use it", ErrForeign, app)
	}
	return false, nil
}

// sqliteWAL switches the file to write-ahead logging.
func sqliteWAL(ctx context.Context, db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode); err != nil {
		return fmt.Errorf("switching to WAL: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("switching to WAL: journal mode is %q, not wal", mode)
	}
	return nil
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
