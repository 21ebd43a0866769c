package reports

import (
	"maps"
	"strings"
)

// Upgrade brings a record of an older schema to SchemaVersion in place; a
// record of the current schema, or without one (0: built in code), is left
// as it is. Every reader calls it (UnmarshalRecord for JSON files, the store
// for its rows), so the rest of the code sees one layout. It never fails: a
// value of an unexpected type stays in Extra rather than being lost.
//
// Schema 1 to 2 moves out of Extra, deleting the moved keys (r.Extra is
// replaced, never modified, so a shallow copy of a record can be upgraded
// without touching the original):
//
//	suite, suite_version, suite_unit, suite_seed, suite_step -> Suite
//	train_sec, search_sec or adapt_sec                      -> TrainSec
//	target, row, frozen_arch and scratch (adapt records)     -> Target
//
// and splits a commit's "-dirty" suffix (what schema 1 wrote for a modified
// tree) into Env.Modified.
//
// A record of any schema that names a renamed suite (renamedSuites) is
// read under the suite's name (r.Suite is replaced, never modified).
func Upgrade(r *Record) {
	defer renameSuite(r)
	if r.Schema == 0 || r.Schema >= SchemaVersion {
		return
	}
	extra := maps.Clone(r.Extra)
	r.Suite = takeSuite(extra)
	r.TrainSec = takeTrainSec(extra)
	if r.Kind == "adapt" {
		r.Target = takeTarget(extra)
	}
	if c, ok := strings.CutSuffix(r.Env.Commit, "-dirty"); ok {
		r.Env.Commit, r.Env.Modified = c, true
	}
	if len(extra) == 0 {
		extra = nil
	}
	r.Extra, r.Schema = extra, SchemaVersion
}

// renamedSuites maps the former names of suites to their names (old ->
// new): the suite transfer-2core is adapt-2core since the adapt kind took
// one name (docs/DECISIONS.md R32). The records keep what they were
// written with; readers see the new name, so a suite's report and its
// resume from a store find the records of either.
var renamedSuites = map[string]string{"transfer-2core": "adapt-2core"}

// renameSuite reads r's suite under its current name.
func renameSuite(r *Record) {
	if r.Suite == nil {
		return
	}
	if name, ok := renamedSuites[r.Suite.Name]; ok {
		id := *r.Suite
		id.Name = name
		r.Suite = &id
	}
}

// Schema 1's Extra keys of a suite step.
const (
	v1Suite        = "suite"
	v1SuiteVersion = "suite_version"
	v1SuiteUnit    = "suite_unit"
	v1SuiteSeed    = "suite_seed"
	v1SuiteStep    = "suite_step"
)

// takeSuite removes schema 1's suite keys from extra and returns the
// SuiteID they held, or nil when extra names no suite.
func takeSuite(extra map[string]any) *SuiteID {
	name, ok := extra[v1Suite].(string)
	if !ok {
		return nil
	}
	id := &SuiteID{Name: name}
	delete(extra, v1Suite)
	if v, ok := takeNumber(extra, v1SuiteVersion); ok {
		id.Version = int(v)
	}
	if v, ok := takeNumber(extra, v1SuiteSeed); ok {
		id.Seed = int64(v)
	}
	id.Unit, _ = takeString(extra, v1SuiteUnit)
	id.Step, _ = takeString(extra, v1SuiteStep)
	return id
}

// takeTrainSec removes schema 1's three names of the training seconds from
// extra and returns the first one present (a record holds at most one), or
// 0.
func takeTrainSec(extra map[string]any) float64 {
	var sec float64
	found := false
	for _, k := range []string{"train_sec", "search_sec", "adapt_sec"} {
		if v, ok := takeNumber(extra, k); ok && !found {
			sec, found = v, true
		}
	}
	return sec
}

// takeTarget removes an adapt record's schema 1 target keys from extra and
// returns the Target they held, or nil when extra names no target.
func takeTarget(extra map[string]any) *Target {
	name, ok := takeString(extra, "target")
	if !ok {
		return nil
	}
	t := &Target{Name: name}
	t.Row, _ = takeString(extra, "row")
	frozen, hasFrozen := takeBool(extra, "frozen_arch")
	scratch, hasScratch := takeBool(extra, "scratch")
	switch {
	case scratch:
		t.Arch = ArchScratch
	case frozen:
		t.Arch = ArchFrozen
	case hasFrozen || hasScratch:
		t.Arch = ArchAdapted
	}
	return t
}

// takeString removes key from extra when it holds a string and returns it.
func takeString(extra map[string]any, key string) (string, bool) {
	s, ok := extra[key].(string)
	if ok {
		delete(extra, key)
	}
	return s, ok
}

// takeBool removes key from extra when it holds a bool and returns it.
func takeBool(extra map[string]any, key string) (bool, bool) {
	b, ok := extra[key].(bool)
	if ok {
		delete(extra, key)
	}
	return b, ok
}

// takeNumber removes key from extra when it holds a number and returns it.
func takeNumber(extra map[string]any, key string) (float64, bool) {
	x, ok := number(extra[key])
	if ok {
		delete(extra, key)
	}
	return x, ok
}

// ExtraNumber reads a number of Extra, whichever Go type holds it: the
// writer's int or int64 in memory, float64 after a JSON round trip (a record
// file, the store).
func (r *Record) ExtraNumber(key string) (float64, bool) {
	return number(r.Extra[key])
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
