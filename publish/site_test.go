package publish

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/publish/publishtest"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/suite"
)

// pageOf returns the page of a synthetic series.
func pageOf(t *testing.T, files map[string][]byte, unit, step string) string {
	t.Helper()
	for name, b := range files {
		if strings.HasSuffix(name, ".html") && name != IndexFile && bytes.Contains(b, []byte("<h1>"+unit+" · "+step+"</h1>")) {
			return string(b)
		}
	}
	t.Fatalf("no page of %s %s among %d files", unit, step, len(files))
	return ""
}

func kinds(page, kind string) int { return strings.Count(page, `data-kind="`+kind+`"`) }

// nightOf is the data-night value (the escaped label) of the marks of kind.
func nightsOf(page, kind string) []string {
	re := regexp.MustCompile(`data-kind="` + kind + `" data-night="([^"]*)"`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestSitePagesPointsAndMarks(t *testing.T) {
	syn := publishtest.Nights()
	files, err := Site(syn.Values(), Options{})
	require.NoError(t, err)
	require.Len(t, files, 2+len(syn.Series), "index, marker and one page per series")
	require.Equal(t, markerText, string(files[MarkerFile]))

	nights := len(syn.Labels)
	seeds := 0
	for _, s := range syn.Series {
		page := pageOf(t, files, s.Unit, s.Step)
		require.Equal(t, nights, kinds(page, "point"), "%s %s: one point per night", s.Unit, s.Step)
		require.Equal(t, nights*publishtest.Seeds, kinds(page, "seed"), "%s %s: one dot per record", s.Unit, s.Step)
		seeds += kinds(page, "seed")
		require.Equal(t, 1, kinds(page, "band"), "one band: every night has an interval")
		require.Equal(t, nights, strings.Count(page, `<tr id="night-`), "a row per night")
		require.Contains(t, page, "<h2>Protocol and configuration of the latest run</h2>")
		require.Contains(t, page, "5w")
		require.Contains(t, page, `&#34;iterations&#34;: 300`)

		isReg := s.Unit == syn.Regression.Unit && s.Step == syn.Regression.Step
		isBreak := s.Unit == syn.Break.Unit && s.Step == syn.Break.Step
		if isReg {
			require.Equal(t, []string{esc(syn.Regression.Label)}, nightsOf(page, "regression"))
			require.Equal(t, []string{esc(syn.Regression.Label)}, nightsOf(page, "changed"), "the regression came with a new commit")
			require.Contains(t, page, "commit "+publishtest.CommitGood[:12]+" -&gt; "+publishtest.CommitBad[:12])
		} else {
			require.Zero(t, kinds(page, "regression"), s.Unit+" "+s.Step)
			require.Zero(t, kinds(page, "changed"), s.Unit+" "+s.Step)
		}
		if isBreak {
			require.Equal(t, []string{esc(syn.Break.Label)}, nightsOf(page, "break"))
			require.Contains(t, page, "seed 1: differs from episode 17")
			require.Contains(t, page, "same configuration and build")
		} else {
			require.Zero(t, kinds(page, "break"), s.Unit+" "+s.Step)
		}
		require.Contains(t, page, "first night: not checked")
	}
	require.Equal(t, len(syn.Records), seeds, "every record is plotted once")

	index := string(files[IndexFile])
	require.Equal(t, len(syn.Series), kinds(index, "unit-row"))
	require.Equal(t, 1, kinds(index, "spark-regression"))
	require.Equal(t, 1, kinds(index, "spark-break"))
	require.Contains(t, index, "Suite "+publishtest.Suite)
	require.Contains(t, index, "6 nights, 2026-12-01 to 2026-12-06")
	// the latest night reproduced the one before everywhere
	require.Equal(t, len(syn.Series), strings.Count(index, `<td class="verdict">reproduced bit for bit</td>`))
}

// The markup of a label is printed as text on every page, and nothing
// leaves the site: every link is to a page of the site or an anchor, and
// nothing is loaded.
func TestSiteEscapesAndIsSelfContained(t *testing.T) {
	syn := publishtest.Nights()
	files, err := Site(syn.Values(), Options{})
	require.NoError(t, err)
	href := regexp.MustCompile(`(?i)\b(href|src|xlink:href|action)\s*=\s*"([^"]*)"`)
	for name, b := range files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		page := string(b)
		require.NotContains(t, page, "<script", name)
		require.Contains(t, page, "&lt;script&gt;console.error(", name)
		require.NotContains(t, strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), "http", name)
		require.NotContains(t, page, "src=", name)
		require.NotContains(t, page, "@import", name)
		require.NotContains(t, page, "url(", name)
		for _, m := range href.FindAllStringSubmatch(page, -1) {
			target, _, _ := strings.Cut(m[2], "#")
			if target == "" {
				continue // an anchor of this page
			}
			_, ok := files[target]
			require.True(t, ok, "%s links to %q, not a file of the site", name, m[2])
		}
	}
}

// The same records in any order give the same bytes.
func TestSiteIsDeterministic(t *testing.T) {
	recs := publishtest.Nights().Values()
	a, err := Site(recs, Options{})
	require.NoError(t, err)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	b, err := Site(recs, Options{})
	require.NoError(t, err)
	require.Equal(t, len(a), len(b))
	for name := range a {
		require.True(t, bytes.Equal(a[name], b[name]), name)
	}
}

func TestSiteBadInput(t *testing.T) {
	_, err := Site(nil, Options{})
	require.ErrorIs(t, err, ErrNoSuiteRecords)
	plain := publishtest.Nights().Values()[:2]
	for i := range plain {
		plain[i].Suite = nil
	}
	_, err = Site(plain, Options{})
	require.ErrorIs(t, err, ErrNoSuiteRecords)
	_, err = Site(publishtest.Nights().Values(), Options{Suites: []string{"smoke"}})
	require.ErrorIs(t, err, ErrUnknownSuite)
	require.Equal(t, `suite "smoke" is not in the records (they hold: nightly)`, err.Error())
}

// A night of another suite version is not checked against the one before;
// a suite filter leaves the other suites out.
func TestSiteVersionChangeAndFilter(t *testing.T) {
	syn := publishtest.Nights()
	recs := syn.Values()
	other := publishtest.Nights().Values()[:3]
	for i := range other {
		other[i].Suite = &reports.SuiteID{Name: "smoke", Version: 1, Unit: "u", Step: suite.StepRun, Seed: other[i].Seed}
		other[i].RunID += "-smoke"
	}
	for i := range recs {
		if recs[i].Label == syn.Labels[4] {
			id := *recs[i].Suite
			id.Version = publishtest.Version + 1
			recs[i].Suite = &id
		}
	}
	files, err := Site(append(recs, other...), Options{Suites: []string{publishtest.Suite}})
	require.NoError(t, err)
	require.Len(t, files, 2+len(syn.Series))
	page := pageOf(t, files, syn.Series[1].Unit, syn.Series[1].Step)
	require.Contains(t, page, "cannot check: suite version 3, the previous night&#39;s 2 (not comparable)")
	require.Contains(t, page, "cannot check: suite version 2, the previous night&#39;s 3 (not comparable)")

	files, err = Site(append(recs, other...), Options{})
	require.NoError(t, err)
	require.Len(t, files, 3+len(syn.Series))
	require.Contains(t, string(files[IndexFile]), "Suite smoke")
}

// A page's name is its suite, unit and step, cleaned, with a hash when
// cleaning changed them; the method joins it when two methods share a step.
func TestFileNames(t *testing.T) {
	require.Equal(t, "nightly__maml__run.html", fileName(&series{Suite: "nightly", Unit: "maml", Step: "run"}, false, false))
	a := fileName(&series{Suite: "nightly", Unit: "maml", Step: "eval:5shot"}, false, false)
	b := fileName(&series{Suite: "nightly", Unit: "maml", Step: "eval/5shot"}, false, false)
	require.Regexp(t, `^nightly__maml__eval_5shot-[0-9a-f]{8}\.html$`, a)
	require.NotEqual(t, a, b)
	require.Equal(t, "s__u__t__m.html", fileName(&series{Suite: "s", Unit: "u", Step: "t", Method: "m"}, true, false))

	sd := []*suiteData{{Name: "a__b", Series: []*series{{Suite: "a__b", Unit: "c", Step: "run"}}},
		{Name: "a", Series: []*series{{Suite: "a", Unit: "b__c", Step: "run"}}}}
	assignFiles(sd)
	require.NotEqual(t, sd[0].Series[0].File, sd[1].Series[0].File)
}

func TestNiceTicks(t *testing.T) {
	ticks, lo, hi := niceTicks(84.3, 91.2)
	require.Equal(t, []float64{82, 84, 86, 88, 90, 92}, ticks)
	require.Equal(t, ticks[0], lo)
	require.Equal(t, ticks[len(ticks)-1], hi)
	require.LessOrEqual(t, lo, 84.3)
	require.GreaterOrEqual(t, hi, 91.2)
	require.LessOrEqual(t, len(ticks), 9)
	ticks, _, _ = niceTicks(90, 90)
	require.GreaterOrEqual(t, len(ticks), 2)
	require.Equal(t, "89.9", formatTick(89.9, []float64{89.8, 89.9}))
	require.Equal(t, "90", formatTick(90, []float64{88, 90}))
}

func TestWrite(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "site")
	files := map[string][]byte{MarkerFile: []byte(markerText), IndexFile: []byte("one")}
	require.NoError(t, Write(dir, files))
	got, err := os.ReadFile(filepath.Join(dir, IndexFile))
	require.NoError(t, err)
	require.Equal(t, "one", string(got))

	// a previous site is replaced whole
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stale.html"), []byte("x"), 0o644))
	files[IndexFile] = []byte("two")
	require.NoError(t, Write(dir, files))
	got, err = os.ReadFile(filepath.Join(dir, IndexFile))
	require.NoError(t, err)
	require.Equal(t, "two", string(got))
	require.NoFileExists(t, filepath.Join(dir, "stale.html"))
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary folder left beside the site")

	// refused: a file, a folder that is not a site; nothing written
	file := filepath.Join(parent, "file")
	require.NoError(t, os.WriteFile(file, []byte("keep"), 0o644))
	require.ErrorContains(t, Write(file, files), "exists and is not a folder")
	other := filepath.Join(parent, "docs")
	require.NoError(t, os.Mkdir(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), []byte("keep"), 0o644))
	require.ErrorContains(t, Write(other, files), "holds no site of metabench publish")
	got, err = os.ReadFile(filepath.Join(other, "notes.txt"))
	require.NoError(t, err)
	require.Equal(t, "keep", string(got))
	entries, err = os.ReadDir(parent)
	require.NoError(t, err)
	require.Len(t, entries, 3, "site, file, docs: nothing else")

	// an empty folder is taken; a bad name leaves nothing behind
	empty := filepath.Join(parent, "empty")
	require.NoError(t, os.Mkdir(empty, 0o755))
	require.NoError(t, Write(empty, files))
	require.FileExists(t, filepath.Join(empty, MarkerFile))
	require.Error(t, Write(filepath.Join(parent, "bad"), map[string][]byte{"../x": nil}))
	require.NoDirExists(t, filepath.Join(parent, "bad"))
	entries, err = os.ReadDir(parent)
	require.NoError(t, err)
	require.Len(t, entries, 4)
}

// The verdicts of the synthetic nights: the regression's numbers and the
// break's seed.
func TestVerdicts(t *testing.T) {
	syn := publishtest.Nights()
	suites, err := group(syn.Values(), nil, reports.DefaultNightlyOptions())
	require.NoError(t, err)
	require.Len(t, suites, 1)
	sd := suites[0]
	require.Len(t, sd.Nights, len(syn.Labels))
	for i, n := range sd.Nights {
		require.Equal(t, syn.Labels[i], n.Label)
	}
	for _, s := range sd.Series {
		for i, p := range s.Points {
			v := p.Verdict
			switch {
			case i == 0:
				require.Equal(t, kindFirst, v.Kind())
			case s.Unit == syn.Regression.Unit && s.Step == syn.Regression.Step && p.Night.Label == syn.Regression.Label:
				require.Equal(t, kindRegression, v.Kind())
				require.InDelta(t, -0.06, v.Regression.Diff, 0.01)
				require.Len(t, v.Changed, publishtest.Seeds)
				require.Empty(t, v.Breaks)
			case s.Unit == syn.Break.Unit && s.Step == syn.Break.Step && p.Night.Label == syn.Break.Label:
				require.Equal(t, kindBreak, v.Kind())
				require.Len(t, v.Breaks, 1)
				require.False(t, v.Regression.Regressed)
			default:
				require.Equal(t, kindReproduced, v.Kind(), "%s %s %s", s.Unit, s.Step, p.Night.Label)
			}
		}
	}
	var none reports.Regression
	require.Equal(t, kindOK, verdict{Regression: &none}.Kind())
}

// A night a series missed breaks its line and band, and the next night
// cannot be checked for it; a row of one seed has no band, and its page
// name is cleaned and hashed.
func TestSiteGapsAndOneSeed(t *testing.T) {
	syn := publishtest.Nights()
	var recs []reports.Record
	for _, r := range syn.Values() {
		if r.Suite.Unit == "reptile-5w1s" && r.Label == syn.Labels[2] {
			continue // reptile missed the third night
		}
		if r.Suite.Unit == "maml-5w1s" && r.Suite.Step == "eval:5shot" {
			if r.Seed != 0 {
				continue // one seed
			}
			r.Suite = &reports.SuiteID{Name: publishtest.Suite, Version: publishtest.Version, Unit: "maml 5w/1s", Step: "eval:5shot", Seed: r.Seed}
		}
		recs = append(recs, r)
	}
	files, err := Site(recs, Options{})
	require.NoError(t, err)
	page := pageOf(t, files, "reptile-5w1s", "run")
	require.Equal(t, len(syn.Labels)-1, kinds(page, "point"))
	require.Equal(t, 2, kinds(page, "band"))
	require.Equal(t, 2, kinds(page, "line"))
	require.Contains(t, page, "cannot check: no baseline record of this unit and step")
	require.Zero(t, kinds(page, "break"), "the break's night is missing")

	var one string
	for name := range files {
		if strings.HasPrefix(name, "nightly__maml_5w_1s__eval_5shot-") {
			one = string(files[name])
		}
	}
	require.NotEmpty(t, one, "the cleaned, hashed page name")
	require.Equal(t, len(syn.Labels), kinds(one, "point"))
	require.Equal(t, len(syn.Labels), kinds(one, "seed"))
	require.Zero(t, kinds(one, "band"), "one seed: no interval over training runs")
	require.Contains(t, one, "(1 seed; episodes [")
	require.Regexp(t, `accuracy \(%\) [0-9.]+ \(1 seed; episodes \[`, one)
}
