package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// PGEnv names the DSN of a PostgreSQL server the tests may create databases
// on (scripts/pg-test.sh sets it).
const PGEnv = "METABENCH_TEST_PG"

// backend is one implementation the conformance tests run against.
type backend struct {
	name string
	// fresh returns the path or DSN of a new, empty store location that the
	// test's cleanup removes.
	fresh func(t *testing.T) string
}

func sqliteBackend() backend {
	return backend{name: "sqlite", fresh: func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "results.db")
	}}
}

func postgresBackend() backend {
	return backend{name: "postgres", fresh: freshPGDatabase}
}

// forBackends runs fn as a subtest for SQLite and for PostgreSQL: one
// conformance suite, several implementations.
func forBackends(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range []backend{sqliteBackend(), postgresBackend()} {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// requirePG returns the test server's DSN, or skips the test with a clear
// message; under CI=true a missing server fails the test instead.
func requirePG(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(PGEnv)
	if dsn == "" {
		msg := "no PostgreSQL server for the store tests: $" + PGEnv +
			" is not set (run `make test-pg`, or scripts/pg-test.sh go test ./store/)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true requires it")
		}
		t.Skip(msg)
	}
	return dsn
}

// pgAdmin opens a plain connection pool to the test server's database.
func pgAdmin(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// withDatabase is dsn naming database db instead.
func withDatabase(t *testing.T, dsn, db string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Path = "/" + db
	return u.String()
}

// freshPGDatabase creates an empty database on the test server, dropped
// (with any connections left to it) when the test ends.
func freshPGDatabase(t *testing.T) string {
	t.Helper()
	admin := requirePG(t)
	db := pgAdmin(t, admin)
	name := fmt.Sprintf("mbtest_%x", rand.Uint64())
	_, err := db.Exec(`CREATE DATABASE ` + name)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = db.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	})
	return withDatabase(t, admin, name)
}
