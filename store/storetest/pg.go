// Package storetest gives tests a PostgreSQL database of their own on the
// throwaway server that scripts/pg-test.sh starts (`make test` and
// `make test-pg` run the tests under it). Without a server a test that asks
// for one is skipped with a message saying how to get one, except under
// CI=true, where it fails: CI must exercise the PostgreSQL store.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// PGEnv names the DSN of a PostgreSQL server on which the tests may create
// and drop databases.
const PGEnv = "METABENCH_TEST_PG"

// RequirePG returns the test server's DSN, or skips the test with a clear
// message; under CI=true a missing server fails the test instead.
func RequirePG(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PGEnv)
	if dsn == "" {
		msg := "no PostgreSQL server for the store tests: $" + PGEnv +
			" is not set (run `make test-pg`, or scripts/pg-test.sh go test ./store/...)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true requires it")
		}
		t.Skip(msg)
	}
	return dsn
}

// Admin opens a connection pool to dsn, closed when the test ends.
func Admin(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// WithDatabase is dsn naming database name instead.
func WithDatabase(t testing.TB, dsn, name string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// FreshPG creates an empty database on the test server and returns its DSN;
// the database (and any connection left to it) is dropped when the test
// ends.
func FreshPG(t testing.TB) string {
	t.Helper()
	admin := RequirePG(t)
	db := Admin(t, admin)
	name := fmt.Sprintf("mbtest_%x", rand.Uint64())
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("storetest: creating a database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	})
	return WithDatabase(t, admin, name)
}
