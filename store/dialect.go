package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dialect is what differs between the SQLite and the PostgreSQL store. The
// queries are written once, with '?' placeholders and SQLite's type names,
// and the dialect rewrites them.
type dialect struct {
	name string
	// pgPlaceholders turns '?' into $1, $2, ... in every query.
	pgPlaceholders bool
	// types rewrites the DDL's type names and the {{rowid}} token.
	types *strings.Replacer
	// identify, inside the first transaction, reports whether the database
	// is empty, or fails (wrapping ErrForeign) when it holds something that
	// is not a results store.
	identify func(ctx context.Context, tx *sql.Tx) (empty bool, err error)
	// extraBootstrap runs after the common bootstrap statements.
	extraBootstrap []string
	// lock, when set, runs first in every migration transaction.
	lock func(ctx context.Context, tx *sql.Tx) error
	// setup, when set, runs once per Open outside any transaction.
	setup func(ctx context.Context, db *sql.DB) error
	// transient reports whether a failed transaction may be retried whole.
	transient func(err error) bool
	attempts  int
	maxDelay  time.Duration
}

// q rewrites a query's placeholders for the dialect.
func (d *dialect) q(query string) string {
	if !d.pgPlaceholders {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ddl rewrites a schema statement for the dialect.
func (d *dialect) ddl(stmt string) string { return d.types.Replace(stmt) }

// bootstrap creates the marker and version tables of an empty database. It
// runs inside the first write transaction.
func (d *dialect) bootstrap() []string {
	return append([]string{
		`CREATE TABLE metabench_store (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`INSERT INTO metabench_store (key, value) VALUES ('marker', '` + marker + `')`,
		d.ddl(`CREATE TABLE schema_version (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`),
	}, d.extraBootstrap...)
}

// insertRows is a multi-row INSERT of cols for n rows, in the dialect.
func (d *dialect) insertRows(table, cols string, ncols, n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncols), ", ") + ")"
	return d.q(fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", table, cols,
		strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")))
}
