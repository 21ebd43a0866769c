package cli

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/store"
	"github.com/metabench/metabench/store/storetest"
)

// TestStoreCopyAndReportOnPostgres copies a SQLite store to PostgreSQL and
// back with `metabench store copy`, twice, and checks that report and
// compare say the same of every copy.
func TestStoreCopyAndReportOnPostgres(t *testing.T) {
	sqlitePath := compareStore(t)
	dsn := storetest.FreshPG(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	secret, _ := u.User.Password()
	back := filepath.Join(t.TempDir(), "back.db")

	for _, step := range [][2]string{{sqlitePath, dsn}, {dsn, back}} {
		code, out, errOut := runCLI("store", "copy", "--from", step[0], "--to", step[1])
		require.Equal(t, 0, code, errOut)
		assert.Contains(t, out, "copied 4 records")
		assert.Contains(t, out, "4 new, 0 already there")
		code, out, errOut = runCLI("store", "copy", "--from", step[0], "--to", step[1])
		require.Equal(t, 0, code, errOut)
		assert.Contains(t, out, "0 new, 4 already there")
		assert.NotContains(t, out, secret)
	}

	// The same report and comparison from each store (the title names it).
	var want [2]string
	for i, loc := range []string{sqlitePath, dsn, back} {
		code, out, errOut := runCLI("report", "--store", loc, "--format", "json")
		require.Equal(t, 0, code, errOut)
		code2, cmp, errOut2 := runCLI("compare", "--store", loc, "--baseline", "base", "--candidate", "bad", "--format", "json")
		assert.Equal(t, 1, code2, errOut2)
		if i == 0 {
			want = [2]string{out, cmp}
			continue
		}
		assert.Equal(t, want[0], out, loc)
		assert.Equal(t, want[1], cmp, loc)
	}
	code, out, _ := runCLI("report", "--store", dsn)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, store.Redact(dsn))
	assert.NotContains(t, out, secret)

	// The environment variable selects PostgreSQL too.
	t.Setenv(StoreEnv, dsn)
	code, out, errOut := runCLI("report", "--format", "json")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, want[0], out)
}

func TestPostgresBadStoreIsOneMaskedLine(t *testing.T) {
	dsn := storetest.FreshPG(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	wrong := *u
	wrong.User = url.UserPassword(u.User.Username(), "Wrong-Pass-99")
	for _, args := range [][]string{
		{"report", "--store", wrong.String()},
		{"report", "--store", "postgres://mb:Unreachable-Pass@127.0.0.1:1/mb"},
		{"report", "--store", dsn}, // an empty database: no store there, none created
		{"compare", "--store", wrong.String(), "--baseline", "a", "--candidate", "b"},
		{"store", "copy", "--from", wrong.String(), "--to", filepath.Join(t.TempDir(), "x.db")},
		{"store", "copy", "--from", filepath.Join(t.TempDir(), "missing.db"), "--to", dsn},
	} {
		code, out, errOut := runCLI(args...)
		assert.Equal(t, 1, code, args)
		assert.Empty(t, out)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
		assert.Contains(t, errOut, "store ")
		if strings.Contains(errOut, "postgres://") {
			assert.Contains(t, errOut, "xxxxx"+"@")
		}
		for _, s := range []string{"Wrong-Pass-99", "Unreachable-Pass"} {
			assert.NotContains(t, errOut, s)
		}
		if p, ok := u.User.Password(); ok {
			assert.NotContains(t, errOut, p)
		}
	}
	// Nothing was written to the empty database.
	var n int
	require.NoError(t, storetest.Admin(t, dsn).QueryRow(
		`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n))
	assert.Zero(t, n)
}

func TestPostgresNewerSchemaIsRefused(t *testing.T) {
	dsn := storetest.FreshPG(t)
	require.NoError(t, store.SaveRecord(dsn, storeTestRecord("r", "", 1, []float64{0.5})))
	_, err := storetest.Admin(t, dsn).Exec(`INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'future', 'now')`)
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "out.db")
	for _, args := range [][]string{
		{"report", "--store", dsn},
		{"compare", "--store", dsn, "--baseline", "r", "--candidate", "r"},
		{"store", "copy", "--from", dsn, "--to", out},
	} {
		code, _, errOut := runCLI(args...)
		assert.Equal(t, 1, code, args)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
		assert.Contains(t, errOut, "newer than this binary")
		assert.Contains(t, errOut, store.Redact(dsn))
	}
	assert.NoFileExists(t, out, "nothing written")
}

func TestSaveToPostgresPrintsMaskedStore(t *testing.T) {
	dsn := storetest.FreshPG(t)
	fs := newFlagSet("train")
	sf := AddStoreFlags(fs)
	require.NoError(t, fs.Parse([]string{"--store", dsn}))
	got, err := sf.Save(storeTestRecord("r", "", 1, []float64{0.5, 0.7}), "")
	require.NoError(t, err)
	assert.Equal(t, store.Redact(dsn), got)
	assert.Contains(t, got, "xxxxx")
}

func TestStoreCommandUsage(t *testing.T) {
	for _, args := range [][]string{{"store"}, {"store", "move"}, {"store", "copy", "--from", "a.db"}, {"store", "copy", "x"}} {
		code, _, errOut := runCLI(args...)
		assert.Equal(t, 2, code, args)
		assert.NotEmpty(t, errOut)
	}
	code, _, errOut := runCLI("store", "copy", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut, "--from")
}
