package publish

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/suite"
)

// night is every record of one suite under one label (at the newest suite
// version that label holds, as suite.Select picks), grouped into rows.
type night struct {
	Index   int // position in the suite's nights, oldest first
	Label   string
	Version int
	Start   time.Time // the earliest Started of its records
	Records []*reports.Record
	Rows    []*suite.Row
}

// Date is the night's date (UTC) as YYYY-MM-DD.
func (n *night) Date() string { return n.Start.UTC().Format("2006-01-02") }

// Commits are the distinct commits of the night's records, sorted; "unknown"
// stands for a record without one.
func (n *night) Commits() []string { return commits(n.Records) }

// DisplayLabel is the label, or "(no label)".
func (n *night) DisplayLabel() string { return displayLabel(n.Label) }

func displayLabel(l string) string {
	if l == "" {
		return "(no label)"
	}
	return l
}

// commits are the distinct Env.Revision values of recs, sorted, "unknown"
// for an empty one.
func commits(recs []*reports.Record) []string {
	var out []string
	for _, r := range recs {
		c := r.Env.Revision()
		if c == "" {
			c = "unknown"
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// suiteData is one suite's nights and series.
type suiteData struct {
	Name   string
	Nights []*night
	Series []*series
}

// series is one row (unit, step, method) of a suite over its nights: one
// page of the site.
type series struct {
	Suite, Unit, Step, Method string
	File                      string // the page's file name
	Points                    []*point
}

// Latest is the series' newest point.
func (s *series) Latest() *point { return s.Points[len(s.Points)-1] }

// point is one night of one series.
type point struct {
	Night   *night
	Row     *suite.Row
	Verdict verdict
}

// Verdict kinds, from the most to the least severe.
const (
	kindRegression = "regression"
	kindBreak      = "break"
	kindChanged    = "changed"
	kindProblem    = "problem"
	kindFirst      = "first"
	kindOK         = "ok"
	kindReproduced = "reproduced"
	kindUnchecked  = "unchecked"
)

// verdict is the nightly check of one row of a night against the previous
// night of its suite.
type verdict struct {
	First      bool   // the suite's first night: no check
	Problem    string // why the row could not be checked
	Reproduced bool   // every run equals a run of the previous night
	Regression *reports.Regression
	Repro      []reports.Reproduction
	// Breaks are the seeds whose per-episode results changed while their
	// configuration and build (commit, Go version, OS and architecture,
	// CPU model, matrix-product path) did not; Changed those whose results
	// changed along with one of them. Each is one line per seed.
	Breaks, Changed []string
	Unscored        bool // no per-episode results: the nightly check skips the row
	Previous        string
}

// Kind is the verdict's most severe kind (the class of its table cell).
func (v verdict) Kind() string {
	switch {
	case v.First:
		return kindFirst
	case v.Unscored:
		return kindUnchecked
	case v.Problem != "":
		return kindProblem
	case v.Regression != nil && v.Regression.Regressed:
		return kindRegression
	case len(v.Breaks) > 0:
		return kindBreak
	case len(v.Changed) > 0:
		return kindChanged
	case v.Reproduced:
		return kindReproduced
	}
	return kindOK
}

// Short is the verdict in a few words (the index's column).
func (v verdict) Short() string {
	var parts []string
	switch {
	case v.First:
		return "first night: not checked"
	case v.Unscored:
		return "no per-episode results: not checked"
	case v.Problem != "":
		return "cannot check: " + v.Problem
	case v.Regression != nil && v.Regression.Regressed:
		parts = append(parts, fmt.Sprintf("REGRESSION %+.2f points", 100*v.Regression.Diff))
	case v.Reproduced:
		parts = append(parts, "reproduced bit for bit")
	case v.Regression != nil:
		parts = append(parts, fmt.Sprintf("no regression (%+.2f points)", 100*v.Regression.Diff))
	}
	if len(v.Breaks) > 0 {
		parts = append(parts, fmt.Sprintf("determinism break (%d %s)", len(v.Breaks), plural(len(v.Breaks), "seed", "seeds")))
	}
	if len(v.Changed) > 0 {
		parts = append(parts, fmt.Sprintf("results changed with the build or configuration (%d %s)", len(v.Changed), plural(len(v.Changed), "seed", "seeds")))
	}
	return strings.Join(parts, "; ")
}

// Detail is the regression test in one line, or "".
func (v verdict) Detail() string {
	r := v.Regression
	if r == nil || v.Problem != "" {
		return ""
	}
	return fmt.Sprintf("%+.2f points (%.2f -> %.2f over %d and %d seeds), one-sided upper bound %+.2f, p %s, Holm %s, margin %.2f",
		100*r.Diff, 100*r.BaseMean, 100*r.CandMean, r.KBase, r.KCand, 100*r.Upper, reports.FormatP(r.P), reports.FormatP(r.PHolm), 100*r.Margin)
}

// ReproLine sums up the reproduction of the previous night's seeds.
func (v verdict) ReproLine() string {
	if v.First || v.Unscored || v.Problem != "" {
		return ""
	}
	if len(v.Repro) == 0 {
		return "no seed in common with the previous night"
	}
	same := 0
	for _, r := range v.Repro {
		if r.Identical {
			same++
		}
	}
	return fmt.Sprintf("%d of %d seeds identical to the previous night", same, len(v.Repro))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// group builds the suites of recs (those named in names, all when names
// is empty): nights in order of their earliest record (ties: label), rows
// by suite.Rows, and each night checked against the one before by
// suite.Nightly.
func group(recs []reports.Record, names []string, opt reports.NightlyOptions) ([]*suiteData, error) {
	// A fixed order of the input: the same records in any order give the
	// same site (and, for a step stored twice, the later one counts).
	sorted := slices.Clone(recs)
	slices.SortStableFunc(sorted, func(a, b reports.Record) int {
		if c := a.Started.Compare(b.Started); c != 0 {
			return c
		}
		return strings.Compare(a.RunID, b.RunID)
	})
	labels := map[string]map[string]bool{} // suite -> labels
	for i := range sorted {
		if sorted[i].Suite == nil || sorted[i].Suite.Name == "" {
			continue
		}
		name := sorted[i].Suite.Name
		if labels[name] == nil {
			labels[name] = map[string]bool{}
		}
		labels[name][sorted[i].Label] = true
	}
	if len(labels) == 0 {
		return nil, ErrNoSuiteRecords
	}
	all := sortedKeys(labels)
	if len(names) == 0 {
		names = all
	}
	var out []*suiteData
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		if labels[name] == nil {
			return nil, fmt.Errorf("suite %q %w (they hold: %s)", name, ErrUnknownSuite, strings.Join(all, ", "))
		}
		sd := &suiteData{Name: name}
		for _, l := range sortedKeys(labels[name]) {
			rs, version := suite.Select(sorted, name, l)
			if len(rs) == 0 {
				continue
			}
			n := &night{Label: l, Version: version, Records: rs, Rows: suite.Rows(rs), Start: rs[0].Started}
			for _, r := range rs {
				if r.Started.Before(n.Start) {
					n.Start = r.Started
				}
			}
			sd.Nights = append(sd.Nights, n)
		}
		slices.SortFunc(sd.Nights, func(a, b *night) int {
			if c := a.Start.Compare(b.Start); c != 0 {
				return c
			}
			return strings.Compare(a.Label, b.Label)
		})
		for i, n := range sd.Nights {
			n.Index = i
		}
		sd.Series = buildSeries(sd, opt)
		out = append(out, sd)
	}
	slices.SortFunc(out, func(a, b *suiteData) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// rowKey identifies a row across nights, as suite.Nightly matches them.
func rowKey(unit, step, method string) string { return unit + "\x00" + step + "\x00" + method }

// buildSeries checks every night against the previous one and collects
// the scored rows into series, sorted by unit, step (run, final, then the
// others by name) and method.
func buildSeries(sd *suiteData, opt reports.NightlyOptions) []*series {
	byKey := map[string]*series{}
	for i, n := range sd.Nights {
		verdicts := map[string]verdict{}
		if i > 0 {
			verdicts = check(sd.Nights[i-1], n, opt)
		}
		for _, row := range n.Rows {
			if row.Accuracy.K() == 0 {
				continue // a search step or a tuning run (R36): nothing scored on test episodes
			}
			k := rowKey(row.Unit, row.Step, row.Method)
			s := byKey[k]
			if s == nil {
				s = &series{Suite: sd.Name, Unit: row.Unit, Step: row.Step, Method: row.Method}
				byKey[k] = s
			}
			v := verdict{First: true}
			if i > 0 {
				var ok bool
				if v, ok = verdicts[k]; !ok {
					v = verdict{Unscored: true}
				}
				v.Previous = sd.Nights[i-1].Label
			}
			s.Points = append(s.Points, &point{Night: n, Row: row, Verdict: v})
		}
	}
	out := make([]*series, 0, len(byKey))
	for _, k := range sortedKeys(byKey) {
		out = append(out, byKey[k])
	}
	slices.SortStableFunc(out, func(a, b *series) int {
		if c := strings.Compare(a.Unit, b.Unit); c != 0 {
			return c
		}
		if c := stepRank(a.Step) - stepRank(b.Step); c != 0 {
			return c
		}
		if c := strings.Compare(a.Step, b.Step); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return out
}

func stepRank(step string) int {
	switch step {
	case suite.StepRun:
		return 0
	case suite.StepFinal:
		return 1
	}
	return 2
}

// check is the nightly check of night cur against prev, per row key.
func check(prev, cur *night, opt reports.NightlyOptions) map[string]verdict {
	out := map[string]verdict{}
	if prev.Version != cur.Version {
		for _, row := range cur.Rows {
			out[rowKey(row.Unit, row.Step, row.Method)] = verdict{
				Problem: fmt.Sprintf("suite version %d, the previous night's %d (not comparable)", cur.Version, prev.Version)}
		}
		return out
	}
	prevRows := map[string]*suite.Row{}
	for _, row := range prev.Rows {
		prevRows[rowKey(row.Unit, row.Step, row.Method)] = row
	}
	curRows := map[string]*suite.Row{}
	for _, row := range cur.Rows {
		curRows[rowKey(row.Unit, row.Step, row.Method)] = row
	}
	for _, c := range suite.Nightly([][]*suite.Row{prev.Rows}, cur.Rows, opt) {
		k := rowKey(c.Unit, c.Step, c.Method)
		v := verdict{Problem: c.Problem, Reproduced: c.Reproduced, Regression: c.Regression, Repro: c.Repro}
		if c.Problem == "" {
			v.Breaks, v.Changed = breaks(prevRows[k], curRows[k], c.Repro)
		}
		out[k] = v
	}
	return out
}

// breaks sorts the seeds that did not reproduce into determinism breaks
// (same configuration and build) and changes (something differs).
func breaks(prev, cur *suite.Row, repro []reports.Reproduction) (brk, changed []string) {
	if prev == nil || cur == nil {
		return nil, nil
	}
	for _, r := range repro {
		if r.Identical {
			continue
		}
		i, j := slices.Index(prev.Seeds, r.Seed), slices.Index(cur.Seeds, r.Seed)
		if i < 0 || j < 0 {
			continue
		}
		line := fmt.Sprintf("seed %d: %s", r.Seed, r)
		if d := provenanceDiff(prev.Records[i], cur.Records[j]); len(d) > 0 {
			changed = append(changed, line+"; "+strings.Join(d, ", "))
		} else {
			brk = append(brk, line+"; same configuration and build")
		}
	}
	return brk, changed
}

// provenanceDiff lists what differs between two runs of one seed besides
// their results: the configuration's top-level keys and the build and
// machine fields that may move numerics (not the host name).
func provenanceDiff(a, b *reports.Record) []string {
	var d []string
	keys := map[string]bool{}
	for k := range a.Config {
		keys[k] = true
	}
	for k := range b.Config {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		if !bytes.Equal(jsonOf(a.Config[k]), jsonOf(b.Config[k])) {
			d = append(d, "config."+k)
		}
	}
	env := []struct{ name, x, y string }{
		{"commit", a.Env.Revision(), b.Env.Revision()},
		{"Go", a.Env.GoVersion, b.Env.GoVersion},
		{"GOOS", a.Env.GOOS, b.Env.GOOS},
		{"GOARCH", a.Env.GOARCH, b.Env.GOARCH},
		{"CPU", a.Env.CPUModel, b.Env.CPUModel},
		{"matrix path", a.Env.GemmPath, b.Env.GemmPath},
	}
	for _, e := range env {
		if e.x != e.y {
			x, y := orUnknown(e.x), orUnknown(e.y)
			if e.name == "commit" {
				x, y = shortCommit(x), shortCommit(y)
			}
			d = append(d, fmt.Sprintf("%s %s -> %s", e.name, x, y))
		}
	}
	return d
}

// shortCommit is a revision (reports.Env.Revision) with its commit hash
// cut to 12 characters (the pages print whole ones in the records' lists).
func shortCommit(c string) string {
	hash, rest, _ := strings.Cut(c, " ")
	if len(hash) > 12 {
		hash = hash[:12]
	}
	if rest != "" {
		return hash + " " + rest
	}
	return hash
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// jsonOf is v as JSON (map keys sorted), so that an int and the float64 it
// becomes after a store's JSON round trip compare equal.
func jsonOf(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(fmt.Sprintf("%#v", v))
	}
	return b
}

// fileName is the page of a series: its parts with every character outside
// [a-z0-9._-] replaced, and a hash of the exact parts appended when any was
// (or hashed is set), so that two series never share a page.
func fileName(s *series, withMethod, hashed bool) string {
	parts := []string{s.Suite, s.Unit, s.Step}
	if withMethod {
		parts = append(parts, s.Method)
	}
	clean := make([]string, len(parts))
	changed := hashed
	for i, p := range parts {
		clean[i] = sanitize(p)
		changed = changed || clean[i] != p
	}
	name := strings.Join(clean, "__")
	if changed {
		h := fnv.New32a()
		h.Write([]byte(strings.Join(parts, "\x00")))
		name += fmt.Sprintf("-%08x", h.Sum32())
	}
	return name + ".html"
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
