package store

import (
	"path/filepath"
	"testing"

	"github.com/metabench/metabench/store/storetest"
)

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
	return backend{name: "postgres", fresh: func(t *testing.T) string { return storetest.FreshPG(t) }}
}

// forBackends runs fn as a subtest for SQLite and for PostgreSQL: one
// conformance suite, several implementations.
func forBackends(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range []backend{sqliteBackend(), postgresBackend()} {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}
