package reports

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/metabench/metabench/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// CurveAxis is the x axis of a learning curve.
type CurveAxis int

// The x axes of CurvePlot.
const (
	AxisIteration CurveAxis = iota // meta-iteration (Point.Iter)
	AxisWallClock                  // wall-clock seconds (Point.WallSec)
)

// errPoints is a set of points with y errors below (Low) and above (High)
// each, for YErrorBars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

func legendName(r *Record) string {
	name := r.RunID
	if r.Label != "" {
		name = r.Label
	}
	if r.Method != "" {
		name += " (" + r.Method + ")"
	}
	return name
}

// newPlot is an empty plot with its title and axis labels.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	return p
}

// addSeries draws one line with points and, where points carry a CI, error
// bars, in the i-th colour, glyph and dashes.
func addSeries(p *plot.Plot, i int, name string, xys plotter.XYs, ci []float64) error {
	if err := addLine(p, i, name, xys, plotutil.Dashes(i)); err != nil {
		return err
	}
	hasCI := false
	for _, c := range ci {
		hasCI = hasCI || c > 0
	}
	if !hasCI {
		return nil
	}
	return addErrorBars(p, i, name, xys, ci, ci)
}

// addLine draws one line with points in the i-th colour and glyph, dashed
// as dashes says (nil: solid), named in the legend.
func addLine(p *plot.Plot, i int, name string, xys plotter.XYs, dashes []vg.Length) error {
	line, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return fmt.Errorf("reports: plotting %s: %w", name, err)
	}
	line.Color = plotutil.Color(i)
	if dashes != nil {
		line.Dashes = dashes
	}
	pts.Color = plotutil.Color(i)
	pts.Shape = plotutil.Shape(i)
	p.Add(line, pts)
	p.Legend.Add(name, line, pts)
	return nil
}

// addErrorBars draws at every point j a bar from below[j] under it to
// above[j] over it, in the i-th colour.
func addErrorBars(p *plot.Plot, i int, name string, xys plotter.XYs, below, above []float64) error {
	ep := errPoints{XYs: xys, YErrors: make(plotter.YErrors, len(xys))}
	for j := range xys {
		ep.YErrors[j].Low, ep.YErrors[j].High = below[j], above[j]
	}
	bars, err := plotter.NewYErrorBars(ep)
	if err != nil {
		return fmt.Errorf("reports: plotting %s: %w", name, err)
	}
	bars.Color = plotutil.Color(i)
	p.Add(bars)
	return nil
}

// CurvePlot draws accuracy (percent) against meta-iteration or wall-clock
// time, one line per record with a learning curve (Record.Curve), and a
// second, named "(validation)", for the points marked Validation of a curve
// that also holds training statistics (metatrain with eval.val_tasks). It
// returns an error when no record has a curve.
func CurvePlot(recs []Record, axis CurveAxis) (*plot.Plot, error) {
	p := plot.New()
	p.Y.Label.Text = "accuracy (%)"
	p.Legend.Top = false
	p.Legend.Left = false
	switch axis {
	case AxisIteration:
		p.Title.Text = "Accuracy versus meta-iteration"
		p.X.Label.Text = "meta-iteration"
	case AxisWallClock:
		p.Title.Text = "Accuracy versus wall-clock time"
		p.X.Label.Text = "wall-clock time (s)"
	default:
		return nil, fmt.Errorf("reports: unknown curve axis %d", axis)
	}
	n := 0
	for i := range recs {
		r := &recs[i]
		var stats, val []Point
		for _, pt := range r.Curve {
			if pt.Validation {
				val = append(val, pt)
			} else {
				stats = append(stats, pt)
			}
		}
		for _, line := range []struct {
			name   string
			points []Point
		}{{legendName(r), stats}, {legendName(r) + " (validation)", val}} {
			if len(line.points) == 0 {
				continue
			}
			xys := make(plotter.XYs, len(line.points))
			ci := make([]float64, len(line.points))
			for j, pt := range line.points {
				x := float64(pt.Iter)
				if axis == AxisWallClock {
					x = pt.WallSec
				}
				xys[j] = plotter.XY{X: x, Y: 100 * pt.Accuracy}
				ci[j] = 100 * pt.CI95
			}
			if err := addSeries(p, n, line.name, xys, ci); err != nil {
				return nil, err
			}
			n++
		}
	}
	if n == 0 {
		return nil, errNoData
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// AdaptationPlot draws accuracy (percent) against the number of inner
// gradient steps at test time (Record.Adapt), the paper's Figure 4.
func AdaptationPlot(recs []Record) (*plot.Plot, error) {
	p := newPlot("Adaptation: accuracy versus inner steps", "inner gradient steps", "accuracy (%)")
	p.Legend.Top = false
	p.Legend.Left = false
	n := 0
	for i := range recs {
		r := &recs[i]
		if len(r.Adapt) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(r.Adapt))
		ci := make([]float64, len(r.Adapt))
		for j, pt := range r.Adapt {
			xys[j] = plotter.XY{X: float64(pt.Step), Y: 100 * pt.Accuracy}
			ci[j] = 100 * pt.CI95
		}
		if err := addSeries(p, n, legendName(r), xys, ci); err != nil {
			return nil, err
		}
		n++
	}
	if n == 0 {
		return nil, errNoData
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// MethodsPlot draws one bar per (method, dataset, ways, shots), the latest
// row of each, with its 95% CI as error bars, and the paper's number with its
// CI beside it where one exists.
func MethodsPlot(rows []RunRow) (*plot.Plot, error) {
	type key struct {
		method, dataset string
		ways, shots     int
	}
	latest := map[key]RunRow{}
	for _, r := range rows {
		if r.Summary.N == 0 || r.NoTest {
			continue // nothing scored, or a validation accuracy (no test)
		}
		k := key{r.Method, r.Dataset, r.Proto.Ways, r.Proto.Shots}
		if old, ok := latest[k]; !ok || r.Started.After(old.Started) {
			latest[k] = r
		}
	}
	if len(latest) == 0 {
		return nil, errNoData
	}
	keys := make([]key, 0, len(latest))
	for k := range latest {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.dataset != b.dataset {
			return a.dataset < b.dataset
		}
		if a.ways != b.ways {
			return a.ways < b.ways
		}
		if a.shots != b.shots {
			return a.shots < b.shots
		}
		return a.method < b.method
	})
	p := plot.New()
	p.Title.Text = "Methods side by side (mean accuracy, 95% CI)"
	p.Y.Label.Text = "accuracy (%)"
	const off = 0.2 // half the gap between the run's bar and the paper's
	n := len(keys)
	names := make([]string, n)
	runVals, paperVals := make(plotter.Values, n), make(plotter.Values, n)
	run := errPoints{XYs: make(plotter.XYs, n), YErrors: make(plotter.YErrors, n)}
	var paper errPoints
	for i, k := range keys {
		r := latest[k]
		names[i] = fmt.Sprintf("%s\n%s %dw%ds", k.method, k.dataset, k.ways, k.shots)
		runVals[i] = 100 * r.Summary.Mean
		run.XYs[i] = plotter.XY{X: float64(i) - off, Y: runVals[i]}
		ci := 100 * r.Summary.CI95
		run.YErrors[i].Low, run.YErrors[i].High = ci, ci
		if r.Ref != nil && r.Ref.HasAccuracy() {
			paperVals[i] = 100 * r.Ref.Accuracy
			paper.XYs = append(paper.XYs, plotter.XY{X: float64(i) + off, Y: paperVals[i]})
			c := 100 * r.Ref.CI95
			paper.YErrors = append(paper.YErrors, struct{ Low, High float64 }{c, c})
		}
	}
	width := vg.Points(22)
	runBars, err := plotter.NewBarChart(runVals, width)
	if err != nil {
		return nil, fmt.Errorf("reports: methods plot: %w", err)
	}
	runBars.XMin = -off
	runBars.Color = plotutil.Color(0)
	runBars.LineStyle.Width = 0
	eb, err := plotter.NewYErrorBars(run)
	if err != nil {
		return nil, fmt.Errorf("reports: methods plot: %w", err)
	}
	p.Add(runBars, eb)
	p.Legend.Add("this harness (latest run)", runBars)
	if len(paper.XYs) > 0 {
		paperBars, err := plotter.NewBarChart(paperVals, width)
		if err != nil {
			return nil, fmt.Errorf("reports: methods plot: %w", err)
		}
		paperBars.XMin = off
		paperBars.Color = plotutil.Color(1)
		paperBars.LineStyle.Width = 0
		peb, err := plotter.NewYErrorBars(paper)
		if err != nil {
			return nil, fmt.Errorf("reports: methods plot: %w", err)
		}
		p.Add(paperBars, peb)
		p.Legend.Add("published", paperBars)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.7, float64(n-1)+0.7
	p.Y.Min, p.Y.Max = 0, 118 // headroom for the legend above 100%
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 25, Label: "25"},
		{Value: 50, Label: "50"}, {Value: 75, Label: "75"}, {Value: 100, Label: "100"}})
	p.Legend.Top, p.Legend.Left = true, true
	return p, nil
}

var errNoData = errors.New("reports: no data to plot")

// SavePlot writes p as dir/base.png and dir/base.svg (each atomically; dir
// is created if missing) and returns the two paths.
func SavePlot(p *plot.Plot, w, h vg.Length, dir, base string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("reports: plot folder: %w", err)
	}
	var paths []string
	for _, ext := range []string{"png", "svg"} {
		wt, err := p.WriterTo(w, h, ext)
		if err != nil {
			return paths, fmt.Errorf("reports: rendering %s.%s: %w", base, ext, err)
		}
		var buf bytes.Buffer
		if _, err := wt.WriteTo(&buf); err != nil {
			return paths, fmt.Errorf("reports: rendering %s.%s: %w", base, ext, err)
		}
		path := filepath.Join(dir, base+"."+ext)
		if err := atomicfile.Write(path, buf.Bytes()); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// SaveFigure is SavePlot at the size of the paper-style figures (Figure 3
// and 4, a search's convergence): 7 x 5 inches.
func SaveFigure(p *plot.Plot, dir, base string) ([]string, error) {
	return SavePlot(p, 7*vg.Inch, 5*vg.Inch, dir, base)
}

// WritePlots writes every plot the records have data for into dir
// (SavePlot creates it): accuracy_vs_iteration, accuracy_vs_wallclock, adaptation and
// methods, each as PNG and SVG. It returns the paths written; a plot without
// data is skipped.
func WritePlots(dir string, recs []Record) ([]string, error) {
	type job struct {
		base string
		make func() (*plot.Plot, error)
		w    vg.Length
	}
	rows := NewRunRows(recs)
	methodsW := vg.Length(max(6, 1.2*float64(len(rows)))) * vg.Inch
	jobs := []job{
		{"accuracy_vs_iteration", func() (*plot.Plot, error) { return CurvePlot(recs, AxisIteration) }, 7 * vg.Inch},
		{"accuracy_vs_wallclock", func() (*plot.Plot, error) { return CurvePlot(recs, AxisWallClock) }, 7 * vg.Inch},
		{"adaptation", func() (*plot.Plot, error) { return AdaptationPlot(recs) }, 7 * vg.Inch},
		{"methods", func() (*plot.Plot, error) { return MethodsPlot(rows) }, min(methodsW, 20*vg.Inch)},
	}
	var paths []string
	for _, j := range jobs {
		p, err := j.make()
		if errors.Is(err, errNoData) {
			continue
		}
		if err != nil {
			return paths, err
		}
		ps, err := SavePlot(p, j.w, 4.5*vg.Inch, dir, j.base)
		paths = append(paths, ps...)
		if err != nil {
			return paths, err
		}
	}
	return paths, nil
}
