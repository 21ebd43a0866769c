package store

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// EnvVar is the environment variable that names the default results store
// (a SQLite path or a postgres:// DSN).
const EnvVar = "METABENCH_STORE"

// DefaultPath is the results store used when neither the caller, EnvVar nor
// the experiment file names one: results.db in the current folder.
const DefaultPath = "results.db"

// ErrMissing is wrapped by OpenForReading's error for a SQLite file that
// does not exist ("store PATH does not exist").
var ErrMissing = errors.New("does not exist")

// ResolvePath picks the results store of a run or a report: given (the
// caller's choice, the command's --store), else $METABENCH_STORE when set
// and not empty, else experiment (an experiment file's store field), else
// DefaultPath.
func ResolvePath(given, experiment string) string {
	if given != "" {
		return given
	}
	if v, ok := os.LookupEnv(EnvVar); ok && v != "" {
		return v
	}
	if experiment != "" {
		return experiment
	}
	return DefaultPath
}

// OpenForReading opens a store that must already exist, for a report, a
// comparison or the source of a copy: a missing SQLite file is an error
// wrapping ErrMissing and nothing is created; a DSN is opened with
// OpenExisting. An existing SQLite file is opened with Open (an empty file
// becomes a store, as for writers).
func OpenForReading(pathOrDSN string) (*Store, error) {
	if IsDSN(pathOrDSN) {
		return OpenExisting(pathOrDSN)
	}
	if _, err := os.Stat(pathOrDSN); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("store %s %w", pathOrDSN, ErrMissing)
		}
		return nil, fmt.Errorf("store %s: %w", pathOrDSN, err)
	}
	return Open(pathOrDSN)
}

// CopyPath opens the store from (which must exist: OpenForReading) and the
// store to (created when missing), copies from into to (Copy) and closes
// both.
func CopyPath(ctx context.Context, from, to string) (CopyStats, error) {
	src, err := OpenForReading(from)
	if err != nil {
		return CopyStats{}, err
	}
	defer src.Close()
	dst, err := Open(to)
	if err != nil {
		return CopyStats{}, err
	}
	st, err := Copy(ctx, dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return st, err
}
