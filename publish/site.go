package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"strings"

	"github.com/metabench/metabench/reports"
)

// MarkerFile is written into every site. Write replaces an existing folder
// only when it holds this file (a site written before), never anything else.
const MarkerFile = ".metabench-site"

// markerText is the marker file's content.
const markerText = "a static site written by `metabench publish`; the next publish into this folder replaces it whole\n"

// IndexFile is the site's entry page.
const IndexFile = "index.html"

// ErrNoSuiteRecords: the records hold no run of any suite.
var ErrNoSuiteRecords = errors.New("no suite records (metabench suite writes them): nothing to publish")

// ErrUnknownSuite: Options.Suites names a suite the records do not hold.
var ErrUnknownSuite = errors.New("is not in the records")

// Options choose what a site shows.
type Options struct {
	// Suites are the suites to publish, all of them when empty; a name
	// without records is an error.
	Suites []string
	// Nightly are the margin and level of the check of each night against
	// the previous one (the zero value: reports.DefaultNightlyOptions).
	Nightly reports.NightlyOptions
	// Perf are the saved `metabench perf` runs drawn as speed over runs
	// per machine kind; Speed judges each run against the ones before (the
	// zero value: reports.DefaultSpeedRule).
	Perf  []reports.PerfRun
	Speed reports.SpeedRule
}

// Site renders the dashboard of recs: a map from file name (flat, no
// folders) to contents, with IndexFile, one page per series (suite, unit,
// step, method) and MarkerFile. It is a pure function of recs and opt:
// the same records, in any order, give the same bytes.
func Site(recs []reports.Record, opt Options) (map[string][]byte, error) {
	nopt := opt.Nightly
	if nopt == (reports.NightlyOptions{}) {
		nopt = reports.DefaultNightlyOptions()
	}
	suites, err := group(recs, opt.Suites, nopt)
	if errors.Is(err, ErrNoSuiteRecords) && len(opt.Perf) > 0 && len(opt.Suites) == 0 {
		err = nil // a site of speed alone
	}
	if err != nil {
		return nil, err
	}
	rule := opt.Speed
	if rule == (reports.SpeedRule{}) {
		rule = reports.DefaultSpeedRule()
	}
	assignFiles(suites)
	t, err := templates()
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{MarkerFile: []byte(markerText)}
	idx := indexView{Margin: 100 * nopt.Margin, Alpha: nopt.Alpha}
	for _, sd := range suites {
		sv := suiteView{Name: sd.Name, Nights: len(sd.Nights)}
		if len(sd.Nights) > 0 {
			first, last := sd.Nights[0], sd.Nights[len(sd.Nights)-1]
			sv.First, sv.Last, sv.LastLabel = first.Date(), last.Date(), last.DisplayLabel()
			sv.LastCommits = strings.Join(last.Commits(), ", ")
			sv.Version = last.Version
		}
		for i := len(sd.Nights) - 1; i >= 0; i-- {
			sv.NightRows = append(sv.NightRows, nightSummary(sd, sd.Nights[i]))
		}
		for _, s := range sd.Series {
			pts := chartPoints(s)
			lp := s.Latest()
			sv.Rows = append(sv.Rows, indexRow{
				File: s.File, Unit: s.Unit, Step: s.Step, Method: s.Method,
				Date: lp.Night.Date(), Label: lp.Night.DisplayLabel(),
				Accuracy: reports.AccuracyCell(lp.Row.Accuracy), PerSeed: reports.PerSeedCell(lp.Row.Accuracy), Seeds: lp.Row.Accuracy.K(),
				Kind: lp.Verdict.Kind(), Verdict: lp.Verdict.Short(),
				Spark: sparkSVG(len(sd.Nights), pts, fmt.Sprintf("%s %s: accuracy %% over %d nights", s.Unit, s.Step, len(s.Points))),
			})
			page, err := renderPage(t, sd, s, pts, nopt)
			if err != nil {
				return nil, err
			}
			if _, dup := files[s.File]; dup {
				return nil, fmt.Errorf("two pages named %s", s.File)
			}
			files[s.File] = page
		}
		for _, n := range sd.Nights {
			idx.Records += len(n.Records)
		}
		idx.Suites = append(idx.Suites, sv)
	}
	if idx.Machines, err = speedViews(t, groupSpeed(opt.Perf, rule), rule, files); err != nil {
		return nil, err
	}
	for _, m := range idx.Machines {
		idx.PerfRuns += m.Runs
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "index", idx); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", IndexFile, err)
	}
	files[IndexFile] = b.Bytes()
	return files, nil
}

// assignFiles names every series' page; the method joins the name only
// where two series of a suite share unit and step, and a hash of the exact
// names where cleaning them made two names equal.
func assignFiles(suites []*suiteData) {
	used := map[string]int{}
	for _, sd := range suites {
		count := map[string]int{}
		for _, s := range sd.Series {
			count[s.Unit+"\x00"+s.Step]++
		}
		for _, s := range sd.Series {
			s.File = fileName(s, count[s.Unit+"\x00"+s.Step] > 1, false)
			used[s.File]++
		}
	}
	for _, sd := range suites {
		for _, s := range sd.Series {
			if used[s.File] > 1 {
				s.File = fileName(s, true, true)
			}
		}
	}
}

// chartPoints are a series' points as chart data, in percent.
func chartPoints(s *series) []chartPoint {
	var out []chartPoint
	for _, p := range s.Points {
		a := p.Row.Accuracy
		cp := chartPoint{Slot: p.Night.Index, Value: 100 * a.Mean, Link: fmt.Sprintf("#night-%d", p.Night.Index), Label: p.Night.Label}
		if a.Interval.Ok() {
			cp.HasBand, cp.Lo, cp.Hi = true, 100*a.Interval.Lo, 100*a.Interval.Hi
		}
		commit := strings.Join(commits(p.Row.Records), ", ")
		seeds := ""
		if a.K() > 1 {
			seeds = fmt.Sprintf(" over %d seeds", a.K())
		}
		cp.Title = fmt.Sprintf("%s · %s · commit %s · accuracy (%%) %s%s · %s",
			p.Night.Date(), p.Night.DisplayLabel(), commit, reports.AccuracyCell(a), seeds, p.Verdict.Short())
		for i, x := range a.PerSeed {
			rec := p.Row.Records[min(i, len(p.Row.Records)-1)]
			cp.Seeds = append(cp.Seeds, chartSeed{Value: 100 * x, Run: rec.RunID,
				Title: fmt.Sprintf("seed %d · run %s · commit %s · %.2f %%", a.Seeds[i], rec.RunID, orUnknown(rec.Env.Revision()), 100*x)})
		}
		v := p.Verdict
		if v.Kind() == kindRegression {
			cp.Regression = fmt.Sprintf("regression against %s: %s", displayLabel(v.Previous), v.Detail())
		}
		if len(v.Breaks) > 0 {
			cp.Break = fmt.Sprintf("determinism break against %s: %s", displayLabel(v.Previous), strings.Join(v.Breaks, " | "))
		}
		if len(v.Changed) > 0 {
			cp.Changed = fmt.Sprintf("results changed against %s: %s", displayLabel(v.Previous), strings.Join(v.Changed, " | "))
		}
		out = append(out, cp)
	}
	return out
}

// nightSummary is a night's line in the index: its rows' verdicts counted.
func nightSummary(sd *suiteData, n *night) nightRow {
	r := nightRow{Date: n.Date(), Label: n.DisplayLabel(), Commits: strings.Join(n.Commits(), ", "), Records: len(n.Records), Version: n.Version}
	for _, s := range sd.Series {
		for _, p := range s.Points {
			if p.Night != n {
				continue
			}
			switch k := p.Verdict.Kind(); {
			case k == kindFirst:
				r.First = true
			case k == kindRegression:
				r.Regressions++
			case k == kindProblem:
				r.Problems++
			}
			if len(p.Verdict.Breaks) > 0 {
				r.Breaks++
			}
		}
	}
	return r
}

// renderPage is the page of one series.
func renderPage(t *template.Template, sd *suiteData, s *series, pts []chartPoint, nopt reports.NightlyOptions) ([]byte, error) {
	slots := make([]chartSlot, len(sd.Nights))
	for i, n := range sd.Nights {
		slots[i] = chartSlot{Date: n.Date(), Label: n.DisplayLabel()}
	}
	lp := s.Latest()
	pv := pageView{Suite: sd.Name, Unit: s.Unit, Step: s.Step, Method: s.Method, Nights: len(s.Points), SuiteNights: len(sd.Nights),
		Margin: 100 * nopt.Margin, Alpha: nopt.Alpha}
	title := fmt.Sprintf("suite %s, %s %s: accuracy %% over nights", sd.Name, s.Unit, s.Step)
	pv.Panels = append(pv.Panels, panel{ID: "accuracy", Title: "Accuracy over nights",
		Chart: chartSVG(chartSpec{Title: title, Slots: slots, Points: pts, Unit: "accuracy %"}),
		Note:  "Each point is a night's mean accuracy over its seeds (each seed's mean over the same test episodes); the band is the 95% interval over training runs (Student t over seeds with the shared episodes' variance, docs/STATISTICS.md); the small dots are the seeds. Hover a point for its date, label, commit and interval; click it for its row below."})
	for i := len(s.Points) - 1; i >= 0; i-- {
		p := s.Points[i]
		nr := pageNight{ID: fmt.Sprintf("night-%d", p.Night.Index), Date: p.Night.Date(), Label: p.Night.DisplayLabel(),
			Commits: strings.Join(commits(p.Row.Records), ", "), Accuracy: reports.AccuracyCell(p.Row.Accuracy), PerSeed: reports.PerSeedCell(p.Row.Accuracy),
			Kind: p.Verdict.Kind(), Verdict: p.Verdict.Short(), Detail: p.Verdict.Detail(), Repro: p.Verdict.ReproLine(),
			Breaks: p.Verdict.Breaks, Changed: p.Verdict.Changed, Previous: displayLabel(p.Verdict.Previous)}
		nr.Records = fmt.Sprintf("%d %s", len(p.Row.Records), plural(len(p.Row.Records), "record", "records"))
		for j, rec := range p.Row.Records {
			nr.Runs = append(nr.Runs, fmt.Sprintf("seed %d: %s (commit %s)", p.Row.Seeds[j], rec.RunID, orUnknown(rec.Env.Revision())))
		}
		pv.NightRows = append(pv.NightRows, nr)
	}
	rec := lp.Row.Records[0]
	pv.Latest = latestView{
		Label: lp.Night.DisplayLabel(), Date: lp.Night.Date(), Run: rec.RunID, Seed: lp.Row.Seeds[0], Version: lp.Night.Version,
		Kind: rec.Kind, Model: rec.Model, Protocol: reports.ProtocolString(rec.Proto), EvalSeed: rec.Proto.EvalSeed,
		Dataset: fmt.Sprintf("%s (%s), split %s, %d classes, %s, sha256 %s", orUnknown(reports.DatasetName(rec.Dataset)), orUnknown(rec.Dataset.Format), orUnknown(rec.Dataset.Split), rec.Dataset.Classes, orUnknown(rec.Dataset.Image), orUnknown(rec.Dataset.SHA256)),
		Env: fmt.Sprintf("commit %s, %s %s/%s, %s (%d CPUs), matrix path %s, host %s", orUnknown(rec.Env.Revision()), orUnknown(rec.Env.GoVersion), orUnknown(rec.Env.GOOS), orUnknown(rec.Env.GOARCH),
			orUnknown(rec.Env.CPUModel), rec.Env.CPUs, orUnknown(rec.Env.GemmPath), orUnknown(rec.Env.Host)),
		Config: configText(rec.Config),
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "page", pv); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", s.File, err)
	}
	return b.Bytes(), nil
}

// configText is a configuration as indented JSON, keys sorted.
func configText(cfg map[string]any) string {
	if len(cfg) == 0 {
		return "(none recorded)"
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Sprintf("(cannot print: %v)", err)
	}
	return string(b)
}

// The views the templates render.
type (
	indexView struct {
		Suites            []suiteView
		Machines          []machineView
		Records, PerfRuns int
		Margin, Alpha     float64
	}
	suiteView struct {
		Name                                string
		Version, Nights                     int
		First, Last, LastLabel, LastCommits string
		Rows                                []indexRow
		NightRows                           []nightRow
	}
	indexRow struct {
		File, Unit, Step, Method, Date, Label string
		Accuracy, PerSeed, Kind, Verdict      string
		Seeds                                 int
		Spark                                 template.HTML
	}
	nightRow struct {
		Date, Label, Commits                            string
		Records, Version, Regressions, Breaks, Problems int
		First                                           bool
	}
	pageView struct {
		Suite, Unit, Step, Method string
		Nights, SuiteNights       int
		Margin, Alpha             float64
		// Panels are the page's charts: accuracy now; a speed panel
		// (seconds per iteration over nights) fits beside it.
		Panels    []panel
		NightRows []pageNight
		Latest    latestView
	}
	panel struct {
		ID, Title string
		Chart     template.HTML
		Note      string
	}
	pageNight struct {
		ID, Date, Label, Commits, Accuracy, PerSeed string
		Records                                     string
		Kind, Verdict, Detail, Repro, Previous      string
		Breaks, Changed, Runs                       []string
	}
	latestView struct {
		Label, Date, Run, Kind, Model, Protocol, Dataset, Env, Config string
		Seed, EvalSeed                                                int64
		Version                                                       int
	}
)
