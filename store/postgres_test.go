package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/store/storetest"
)

func TestIsDSNAndRedact(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		dsn      bool
	}{
		{"results.db", "results.db", false},
		{"/tmp/postgres://x", "/tmp/postgres://x", false},
		{"postgres://u:s3cret@db:5432/mb?sslmode=disable", "postgres://u:xxxxx@db:5432/mb?sslmode=disable", true},
		{"POSTGRESQL://u@db/mb", "postgresql://u@db/mb", true},
		{"postgresql://u@db/mb?password=s3cret&sslmode=require", "postgresql://u@db/mb?password=xxxxx&sslmode=require", true},
		{"postgres://u:s3cret@db:port/%zz", "postgres://(unparseable DSN)", true},
	} {
		assert.Equal(t, tc.want, Redact(tc.in), tc.in)
		assert.Equal(t, tc.dsn, IsDSN(tc.in), tc.in)
	}
}

// withPassword is dsn with its password replaced.
func withPassword(t *testing.T, dsn, password string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

// assertOneMaskedLine checks that err is one line that names the store with
// its password masked and never spells any of secrets.
func assertOneMaskedLine(t *testing.T, err error, dsn string, secrets ...string) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	t.Log(msg)
	assert.NotContains(t, msg, "\n")
	assert.Contains(t, msg, Redact(dsn))
	for _, s := range secrets {
		assert.NotContains(t, msg, s)
	}
}

func TestPostgresBadInputIsOneMaskedLine(t *testing.T) {
	good := storetest.FreshPG(t)
	secret := dsnPassword(good)
	require.NotEmpty(t, secret, "the test server must require a password")
	u, _ := url.Parse(good)

	t.Run("wrong password", func(t *testing.T) {
		dsn := withPassword(t, good, "Wrong-Pass-4711")
		_, err := Open(dsn)
		assertOneMaskedLine(t, err, dsn, "Wrong-Pass-4711", secret)
		assert.Contains(t, err.Error(), "28P01") // password authentication failed
	})
	t.Run("unreachable server", func(t *testing.T) {
		dsn := "postgres://metabench:Unreachable-Pass@127.0.0.1:1/mb?sslmode=disable"
		start := time.Now()
		_, err := Open(dsn)
		assertOneMaskedLine(t, err, dsn, "Unreachable-Pass")
		assert.Less(t, time.Since(start), 10*time.Second)
	})
	t.Run("invalid DSN", func(t *testing.T) {
		dsn := "postgres://metabench:Parse-Pass@" + u.Host + "/mb?sslmode=nonsense"
		_, err := Open(dsn)
		assertOneMaskedLine(t, err, dsn, "Parse-Pass")
	})
	t.Run("missing database", func(t *testing.T) {
		dsn := storetest.WithDatabase(t, good, "no_such_db")
		_, err := Open(dsn)
		assertOneMaskedLine(t, err, dsn, secret)
	})
	t.Run("a database that is not ours", func(t *testing.T) {
		db := storetest.Admin(t, good)
		_, err := db.Exec(`CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada')`)
		require.NoError(t, err)
		_, err = Open(good)
		assertOneMaskedLine(t, err, good, secret)
		assert.ErrorIs(t, err, ErrForeign)
		assert.Error(t, SaveRecord(good, testRecord("x", "", 3, 0.5, 1)))
		var tables []string
		rows, err := db.Query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var n string
			require.NoError(t, rows.Scan(&n))
			tables = append(tables, n)
		}
		assert.Equal(t, []string{"people"}, tables, "nothing written")
	})
}

func TestPostgresPasswordNeverRecorded(t *testing.T) {
	dsn := storetest.FreshPG(t)
	secret := dsnPassword(dsn)
	s := openT(t, dsn)
	assert.NotContains(t, s.Path(), secret)
	assert.Contains(t, s.Path(), maskedPassword)
	rec := testRecord("r", "", 3, 0.5, 1)
	rec.Config["store"] = dsn // an experiment file's store: field
	require.NoError(t, s.Put(context.Background(), rec))
	require.NoError(t, s.Put(context.Background(), rec), "the masked form is the same record")
	got, err := s.Get(context.Background(), "r")
	require.NoError(t, err)
	assert.Equal(t, Redact(dsn), got.Config["store"])
	var n int
	require.NoError(t, s.db.QueryRow(`SELECT count(*) FROM runs WHERE config_json LIKE '%' || $1 || '%'`, secret).Scan(&n))
	assert.Zero(t, n)
}

// terminate kills the server process of backend pid from another
// connection and waits until it is gone.
func terminate(ctx context.Context, admin *sql.DB, pid int) error {
	var ok bool
	if err := admin.QueryRowContext(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		return fmt.Errorf("pg_terminate_backend(%d): %v %v", pid, ok, err)
	}
	for range 200 {
		var alive bool
		if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)`, pid).Scan(&alive); err != nil {
			return err
		}
		if !alive {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("backend %d still alive", pid)
}

// TestPostgresKilledConnectionLeavesNoPartialRun kills the connection of
// Put's transaction after its run row is written and before its episodes:
// the run is then all there (the retry wrote it whole) or not there at all.
func TestPostgresKilledConnectionLeavesNoPartialRun(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kills int // attempts whose connection is killed
	}{{"killed once, the retry writes it whole", 1}, {"killed every time, nothing written", 100}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.FreshPG(t)
			admin := storetest.Admin(t, dsn)
			s := openT(t, dsn)
			killed := 0
			s.hookInTx = func(ctx context.Context, tx *sql.Tx, attempt int) error {
				if attempt > tc.kills {
					return nil
				}
				var pid int
				if err := tx.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
					return err
				}
				var visible int
				if err := admin.QueryRowContext(ctx, `SELECT count(*) FROM runs`).Scan(&visible); err != nil || visible != 0 {
					return fmt.Errorf("uncommitted run visible to others: %d %v", visible, err)
				}
				killed++
				return terminate(ctx, admin, pid)
			}
			rec := testRecord("killed", "", 300, 0.9, 1)
			err := s.Put(ctx, rec)
			var runs, episodes, points int
			require.NoError(t, admin.QueryRow(`SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM episodes),
				(SELECT count(*) FROM curve_points)`).Scan(&runs, &episodes, &points))
			if tc.kills == 1 {
				require.NoError(t, err)
				assert.Equal(t, 1, killed)
				assert.Equal(t, []int{1, 300, 4}, []int{runs, episodes, points})
				return
			}
			assertOneMaskedLine(t, err, dsn, dsnPassword(dsn))
			assert.True(t, pgTransient(errors.Unwrap(errors.Unwrap(err))) || pgTransient(err), "%v", err)
			assert.Equal(t, postgresDialect().attempts, killed)
			assert.Equal(t, []int{0, 0, 0}, []int{runs, episodes, points}, "a partial run was left")
			// The store is usable afterwards.
			s.hookInTx = nil
			require.NoError(t, s.Put(ctx, rec))
		})
	}
}

func TestPostgresManyOpenersOfAnEmptyDatabase(t *testing.T) {
	dsn := storetest.FreshPG(t)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			s, err := Open(dsn)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
	}
	s := openT(t, dsn)
	v, err := s.Version(context.Background())
	require.NoError(t, err)
	assert.Equal(t, len(migrations()), v)
}
