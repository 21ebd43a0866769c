package reports

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// movedKeys are the Extra keys of schema 1 that schema 2 types.
var movedKeys = []string{"suite", "suite_version", "suite_unit", "suite_seed", "suite_step",
	"train_sec", "search_sec", "adapt_sec"}

// movedAdaptKeys are moved from adapt records only.
var movedAdaptKeys = []string{"target", "row", "frozen_arch", "scratch"}

// rawRecord is a committed record file as plain JSON.
type rawRecord struct {
	Schema   int            `json:"schema"`
	Kind     string         `json:"kind"`
	Episodes []float64      `json:"episodes"`
	Extra    map[string]any `json:"extra"`
	Env      map[string]any `json:"env"`
}

// committedRecords lists the record files (JSON objects) under
// docs/records.
func committedRecords(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	root := filepath.Join("..", "docs", "records")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil || !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
			return err
		}
		// other JSON objects live beside the records (the PyTorch
		// reference's results in the torch folder of the maml-vs-torch
		// work folder): a record has a run id
		var head struct {
			RunID string `json:"run_id"`
		}
		if json.Unmarshal(b, &head) == nil && head.RunID != "" {
			out[path] = b
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, out)
	return out
}

// TestUpgradeCommittedRecords: every committed record loads. One of schema
// 1 has its Extra keys land in the typed fields with the same values, its
// per-episode outcomes and its other Extra keys untouched; one of the
// current schema is unchanged by upgrading and by writing it again.
func TestUpgradeCommittedRecords(t *testing.T) {
	kinds := map[string]int{}
	for path, b := range committedRecords(t) {
		var raw rawRecord
		require.NoError(t, json.Unmarshal(b, &raw), path)
		r, err := UnmarshalRecord(b)
		require.NoError(t, err, path)
		kinds[r.Kind]++
		if raw.Schema == SchemaVersion {
			// Written by this schema: it loads as it is, and upgrading
			// and writing it again change nothing.
			assert.Equal(t, raw.Episodes, r.Episodes, "%s: per-episode outcomes", path)
			again := *r
			Upgrade(&again)
			assert.Equal(t, *r, again, "%s: upgrading a current record", path)
			out, err := json.Marshal(r)
			require.NoError(t, err, path)
			back, err := UnmarshalRecord(out)
			require.NoError(t, err, path)
			assert.Equal(t, *r, *back, "%s: written and read again", path)
			continue
		}
		require.Equal(t, 1, raw.Schema, "%s: a committed record of schema %d; extend this test", path, raw.Schema)
		assert.Equal(t, SchemaVersion, r.Schema, path)
		assert.Equal(t, raw.Episodes, r.Episodes, "%s: per-episode outcomes", path)
		assertSuite(t, path, raw.Extra, r.Suite)
		assertTrainSec(t, path, raw.Extra, r.TrainSec)
		assertTarget(t, path, raw, r.Target)
		assert.Equal(t, raw.Env["commit"], r.Env.Commit, path)
		assert.False(t, r.Env.Modified, path)

		moved := movedKeys
		if r.Kind == "adapt" {
			moved = append(slices.Clone(moved), movedAdaptKeys...)
		}
		rest := maps.Clone(raw.Extra)
		for _, k := range moved {
			delete(rest, k)
		}
		if len(rest) == 0 {
			rest = nil
		}
		assert.Equal(t, rest, r.Extra, "%s: the Extra keys schema 2 keeps", path)

		again := *r
		Upgrade(&again)
		assert.Equal(t, *r, again, "%s: upgrading twice", path)
	}
	for _, k := range []string{"train", "eval", "search", "metatrain", "adapt"} {
		assert.Positive(t, kinds[k], "no committed %s record checked", k)
	}
}

func assertSuite(t *testing.T, path string, extra map[string]any, got *SuiteID) {
	t.Helper()
	name, ok := extra["suite"].(string)
	if !ok {
		assert.Nil(t, got, path)
		return
	}
	require.NotNil(t, got, path)
	if renamed, ok := renamedSuites[name]; ok {
		name = renamed
	}
	want := SuiteID{Name: name, Version: int(extra["suite_version"].(float64)), Unit: extra["suite_unit"].(string),
		Seed: int64(extra["suite_seed"].(float64)), Step: extra["suite_step"].(string)}
	assert.Equal(t, want, *got, path)
}

func assertTrainSec(t *testing.T, path string, extra map[string]any, got float64) {
	t.Helper()
	var want float64
	for _, k := range []string{"train_sec", "search_sec", "adapt_sec"} {
		if v, ok := extra[k].(float64); ok {
			require.Zero(t, want, "%s: two names of the training seconds", path)
			want = v
		}
	}
	assert.Equal(t, want, got, path)
}

func assertTarget(t *testing.T, path string, raw rawRecord, got *Target) {
	t.Helper()
	name, ok := raw.Extra["target"].(string)
	if raw.Kind != "adapt" || !ok {
		assert.Nil(t, got, path)
		return
	}
	require.NotNil(t, got, path)
	want := Target{Name: name}
	want.Row, _ = raw.Extra["row"].(string)
	_, adaptation := raw.Extra["frozen_arch"] // final networks have no architecture flags
	switch {
	case raw.Extra["scratch"] == true:
		want.Arch = ArchScratch
	case raw.Extra["frozen_arch"] == true:
		want.Arch = ArchFrozen
	case adaptation:
		want.Arch = ArchAdapted
	}
	assert.Equal(t, want, *got, path)
}

// TestUpgradeInMemory: a schema 1 record built in memory (ints, not JSON's
// float64) upgrades the same way, its original Extra map stays as it was,
// a modified tree's "-dirty" commit becomes Modified, final networks get no
// architecture, and records of schema 0 or 2 are left alone.
func TestUpgradeInMemory(t *testing.T) {
	extra := map[string]any{"suite": "transfer", "suite_version": 2, "suite_unit": "u", "suite_seed": int64(3),
		"suite_step": "final", "adapt_sec": 12.5, "target": "mnist", "row": "multi-task prior", "genotype": "g"}
	in := Record{Schema: 1, RunID: "a", Kind: "adapt", Extra: extra, Env: Env{Commit: "abc-dirty"}}
	r := in
	Upgrade(&r)
	assert.Equal(t, Record{Schema: SchemaVersion, RunID: "a", Kind: "adapt",
		Suite:    &SuiteID{Name: "transfer", Version: 2, Unit: "u", Seed: 3, Step: "final"},
		Target:   &Target{Name: "mnist", Row: "multi-task prior"},
		TrainSec: 12.5, Extra: map[string]any{"genotype": "g"}, Env: Env{Commit: "abc", Modified: true}}, r)
	assert.Len(t, in.Extra, 9, "the original Extra map is not modified")
	assert.Equal(t, "abc (modified)", r.Env.Revision())

	odd := Record{Schema: 1, Kind: "train", Extra: map[string]any{"suite": 7, "target": "x", "train_sec": "slow"}}
	Upgrade(&odd)
	assert.Nil(t, odd.Suite)
	assert.Nil(t, odd.Target, "only adapt records have a target")
	assert.Equal(t, map[string]any{"suite": 7, "target": "x", "train_sec": "slow"}, odd.Extra, "values of other types stay")

	for _, schema := range []int{0, SchemaVersion} {
		cur := Record{Schema: schema, Extra: map[string]any{"suite": "s", "train_sec": 1.0}, Env: Env{Commit: "x-dirty"}}
		want := cur
		Upgrade(&cur)
		assert.Equal(t, want, cur, "schema %d", schema)
	}
}

// TestRenamedSuite: a record of schema 1 or 2 that names a renamed suite
// reads under its new name; a shallow copy's original keeps the old one.
func TestRenamedSuite(t *testing.T) {
	v1 := Record{Schema: 1, Kind: "adapt", Extra: map[string]any{"suite": "transfer-2core", "suite_version": 2.0}}
	Upgrade(&v1)
	require.NotNil(t, v1.Suite)
	assert.Equal(t, SuiteID{Name: "adapt-2core", Version: 2}, *v1.Suite)

	orig := Record{Schema: SchemaVersion, Suite: &SuiteID{Name: "transfer-2core", Unit: "prior"}}
	r := orig
	Upgrade(&r)
	assert.Equal(t, SuiteID{Name: "adapt-2core", Unit: "prior"}, *r.Suite)
	assert.Equal(t, "transfer-2core", orig.Suite.Name, "the original's SuiteID is not modified")
}

// TestSchema2JSON: the typed fields round-trip through JSON under their
// documented keys.
func TestSchema2JSON(t *testing.T) {
	r := testRecord("a", []float64{1, 0})
	r.Kind = "adapt"
	r.Suite = &SuiteID{Name: "s", Version: 3, Unit: "u", Seed: 2, Step: "run"}
	r.Target = &Target{Name: "mnist", Arch: ArchFrozen}
	r.TrainSec = 42.5
	r.Dataset.Image = "3x32x32"
	r.Env = Env{Module: "v1.2.3", Commit: "abc", Modified: true, GoVersion: "go1.26"}
	b, err := MarshalRecord(r)
	require.NoError(t, err)
	for _, key := range []string{`"suite": {`, `"unit": "u"`, `"target": {`, `"arch": "frozen"`, `"train_sec": 42.5`,
		`"image": "3x32x32"`, `"module": "v1.2.3"`, `"modified": true`, `"schema": 2`} {
		assert.Contains(t, string(b), key)
	}
	back, err := UnmarshalRecord(b)
	require.NoError(t, err)
	assert.Equal(t, r, back)
}

// TestReadBuild: the code's identity comes from the build information's main
// module version and VCS settings; without VCS stamps the commit is empty.
func TestReadBuild(t *testing.T) {
	var e Env
	e.readBuild(&debug.BuildInfo{Main: debug.Module{Path: "github.com/metabench/metabench", Version: "v0.0.0-20261207013311-f0c623adcde9+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "f0c623adcde9bc15ed65d049a2ac6654160f264b"},
			{Key: "vcs.modified", Value: "true"}}})
	assert.Equal(t, Env{Module: "v0.0.0-20261207013311-f0c623adcde9+dirty", Commit: "f0c623adcde9bc15ed65d049a2ac6654160f264b", Modified: true}, e)
	assert.Equal(t, "f0c623adcde9bc15ed65d049a2ac6654160f264b (modified)", e.Revision())

	var clean Env
	clean.readBuild(&debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}})
	assert.Equal(t, Env{Module: "v1.0.0", Commit: "abc"}, clean)
	assert.Equal(t, "abc", clean.Revision())

	var none Env
	none.readBuild(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}})
	assert.Equal(t, Env{Module: "(devel)"}, none)
	assert.Equal(t, "", none.Revision())

	// A test binary has build information but no VCS stamps.
	e = NewEnv()
	assert.Empty(t, e.Commit)
	assert.False(t, e.Modified)
}
