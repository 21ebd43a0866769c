package publish

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"html/template"
	"slices"
	"strings"

	"github.com/metabench/metabench/reports"
)

// Speed over nights: the perf runs saved by `metabench perf --save`,
// grouped by machine kind (reports.PerfRun.Machine: CPU model and cores in
// use), one series per workload. Each run's median is checked against the
// earlier runs of its series by reports.CheckSpeed: a slowdown is flagged
// only beyond the run-to-run noise measured on that machine.

// machineData is one machine kind's perf runs and series.
type machineData struct {
	Machine string
	Runs    []*reports.PerfRun // oldest first: the x axis' slots
	Series  []*speedSeries
}

// speedSeries is one workload on one machine kind: one page.
type speedSeries struct {
	Machine, Workload, File string
	Points                  []speedPoint
}

// speedPoint is one run of a speed series.
type speedPoint struct {
	Slot  int
	Run   *reports.PerfRun
	W     reports.PerfWorkload
	Check reports.SpeedCheck
}

// groupSpeed sorts the runs (start time, then run id: the same runs in any
// order give the same site), groups them by machine kind (sorted by name)
// and checks every run of every workload against its series' earlier runs.
func groupSpeed(runs []reports.PerfRun, rule reports.SpeedRule) []*machineData {
	sorted := make([]*reports.PerfRun, len(runs))
	for i := range runs {
		sorted[i] = &runs[i]
	}
	slices.SortStableFunc(sorted, func(a, b *reports.PerfRun) int {
		if c := a.Started.Compare(b.Started); c != 0 {
			return c
		}
		return strings.Compare(a.RunID, b.RunID)
	})
	byMachine := map[string]*machineData{}
	var out []*machineData
	for _, r := range sorted {
		m := byMachine[r.Machine()]
		if m == nil {
			m = &machineData{Machine: r.Machine()}
			byMachine[m.Machine] = m
			out = append(out, m)
		}
		m.Runs = append(m.Runs, r)
	}
	slices.SortFunc(out, func(a, b *machineData) int { return strings.Compare(a.Machine, b.Machine) })
	for _, m := range out {
		series := map[string]*speedSeries{}
		for slot, r := range m.Runs {
			for _, w := range r.Workloads {
				s := series[w.Name]
				if s == nil {
					s = &speedSeries{Machine: m.Machine, Workload: w.Name, File: speedFile(m.Machine, w.Name)}
					series[w.Name] = s
					m.Series = append(m.Series, s)
				}
				earlier := make([]reports.PerfWorkload, len(s.Points))
				for i, p := range s.Points {
					earlier[i] = p.W
				}
				c := reports.CheckSpeed(earlier, w, rule)
				if n := len(s.Points); n > 0 {
					c = c.Continue(s.Points[n-1].Check, s.Points[n-1].W.MedianMS, w.MedianMS)
				}
				s.Points = append(s.Points, speedPoint{Slot: slot, Run: r, W: w, Check: c})
			}
		}
		slices.SortFunc(m.Series, func(a, b *speedSeries) int { return strings.Compare(a.Workload, b.Workload) })
	}
	return out
}

// speedFile is a series' page name: the workload and a hash of the
// machine kind (CPU model names hold spaces, parentheses and @).
func speedFile(machine, workload string) string {
	h := fnv.New32a()
	h.Write([]byte(machine))
	return fmt.Sprintf("speed-%08x-%s.html", h.Sum32(), cleanName(workload))
}

// cleanName keeps letters, digits, '-' and '_' of s.
func cleanName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

// speedKind is the class of a speed verdict (shares the accuracy colours).
func speedKind(c reports.SpeedCheck) string {
	switch {
	case c.Problem != "":
		return kindFirst
	case c.Slowdown:
		return kindRegression
	case c.Speedup:
		return kindChanged
	case c.Persists:
		return kindProblem
	}
	return kindOK
}

// speedChart is a series as chart data: the median (ms) per run, the
// repetitions' range as the band and each repetition as a dot; a slowdown
// is drawn with the regression mark, a speedup with the change mark.
func speedChart(s *speedSeries) []chartPoint {
	var out []chartPoint
	for i, p := range s.Points {
		cp := chartPoint{Slot: p.Slot, Value: p.W.MedianMS, Lo: p.W.MinMS, Hi: p.W.MaxMS, HasBand: p.W.MaxMS > p.W.MinMS,
			Link: fmt.Sprintf("#run-%d", i), Label: p.Run.Label,
			Title: fmt.Sprintf("%s · %s · commit %s · median %.2f ms (min %.2f, max %.2f, %d reps) · path %s · %s",
				p.Run.Started.UTC().Format("2006-01-02"), displayLabel(p.Run.Label), orUnknown(p.Run.Env.Revision()),
				p.W.MedianMS, p.W.MinMS, p.W.MaxMS, p.W.Reps, orUnknown(p.Run.Env.GemmPath), p.Check)}
		for j, t := range p.W.TimesMS {
			cp.Seeds = append(cp.Seeds, chartSeed{Value: t, Run: p.Run.RunID, Title: fmt.Sprintf("repetition %d: %.2f ms", j+1, t)})
		}
		switch {
		case p.Check.Slowdown:
			cp.Regression = "slowdown: " + p.Check.String()
		case p.Check.Speedup:
			cp.Changed = "faster: " + p.Check.String()
		}
		out = append(out, cp)
	}
	return out
}

// speedViews renders the speed pages into files and returns the index's
// speed sections.
func speedViews(t *template.Template, machines []*machineData, rule reports.SpeedRule, files map[string][]byte) ([]machineView, error) {
	var out []machineView
	for _, m := range machines {
		mv := machineView{Machine: m.Machine, Runs: len(m.Runs)}
		slots := make([]chartSlot, len(m.Runs))
		for i, r := range m.Runs {
			slots[i] = chartSlot{Date: r.Started.UTC().Format("2006-01-02"), Label: displayLabel(r.Label)}
		}
		for _, s := range m.Series {
			pts := speedChart(s)
			last := s.Points[len(s.Points)-1]
			mv.Rows = append(mv.Rows, speedRow{File: s.File, Workload: s.Workload, Date: slots[last.Slot].Date, Label: slots[last.Slot].Label,
				Median: fmt.Sprintf("%.2f", last.W.MedianMS), Kind: speedKind(last.Check), Verdict: last.Check.String(),
				Spark: sparkSVG(len(m.Runs), pts, fmt.Sprintf("%s: median ms over %d runs", s.Workload, len(s.Points)))})
			page, err := renderSpeedPage(t, s, slots, pts, rule)
			if err != nil {
				return nil, err
			}
			if _, dup := files[s.File]; dup {
				return nil, fmt.Errorf("two pages named %s", s.File)
			}
			files[s.File] = page
		}
		out = append(out, mv)
	}
	return out, nil
}

// renderSpeedPage is the page of one workload on one machine kind.
func renderSpeedPage(t *template.Template, s *speedSeries, slots []chartSlot, pts []chartPoint, rule reports.SpeedRule) ([]byte, error) {
	pv := speedPageView{Machine: s.Machine, Workload: s.Workload, Runs: len(s.Points),
		Rule: fmt.Sprintf("the median of the last %d earlier runs (at least %d), noise = sqrt(between² + within²), flagged beyond %g noise SDs and at least %g%%",
			rule.Window, rule.MinHistory, rule.Sigmas, 100*rule.MinChange)}
	pv.Panels = append(pv.Panels, panel{ID: "speed", Title: "Median time over runs",
		Chart: chartSVG(chartSpec{Title: fmt.Sprintf("%s on %s: median ms over runs", s.Workload, s.Machine), Slots: slots, Points: pts, Unit: "ms"}),
		Note:  "Each point is a run's median time of one repetition; the band spans its fastest and slowest repetition and the small dots are the repetitions. A red ring marks a slowdown beyond the noise, a grey diamond a speedup beyond it. Hover a point for its date, label, commit, matrix path and check."})
	for i := len(s.Points) - 1; i >= 0; i-- {
		p := s.Points[i]
		pv.RunRows = append(pv.RunRows, speedRunRow{ID: fmt.Sprintf("run-%d", i), Date: slots[p.Slot].Date, Label: slots[p.Slot].Label,
			Commit: orUnknown(p.Run.Env.Revision()), Path: orUnknown(p.Run.Env.GemmPath), Run: p.Run.RunID,
			Median: fmt.Sprintf("%.2f", p.W.MedianMS), Range: fmt.Sprintf("%.2f – %.2f (%d reps)", p.W.MinMS, p.W.MaxMS, p.W.Reps),
			Kind: speedKind(p.Check), Verdict: p.Check.String()})
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "speedpage", pv); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", s.File, err)
	}
	return b.Bytes(), nil
}

// The views of the speed section and pages.
type (
	machineView struct {
		Machine string
		Runs    int
		Rows    []speedRow
	}
	speedRow struct {
		File, Workload, Date, Label, Median, Kind, Verdict string
		Spark                                              template.HTML
	}
	speedPageView struct {
		Machine, Workload, Rule string
		Runs                    int
		Panels                  []panel
		RunRows                 []speedRunRow
	}
	speedRunRow struct {
		ID, Date, Label, Commit, Path, Run, Median, Range, Kind, Verdict string
	}
)
