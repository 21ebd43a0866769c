package reports

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// EpochCurve is one line of the adaptation figure (the paper's Figure 4):
// the test accuracy (a fraction) of one target after each adaptation
// epoch, with the architecture trained as Arch says.
type EpochCurve struct {
	Target string
	Arch   string // ArchAdapted, ArchFrozen or ArchScratch
	Epochs []int
	Acc    []float64
	// Lo and Hi bound each point's 95% interval (fractions), drawn as error
	// bars; nil for none. Intervals need not be symmetric.
	Lo, Hi []float64
}

// legend is the curve's name in a legend; scratch names the super-network
// trained from scratch.
func (c *EpochCurve) legend(scratch string) string {
	switch c.Arch {
	case ArchFrozen:
		return c.Target + " (architecture frozen)"
	case ArchScratch:
		return c.Target + " (" + scratch + ")"
	}
	return c.Target
}

// targetColors numbers the targets of curves in order of first appearance:
// one colour per target.
func targetColors(curves []EpochCurve) map[string]int {
	color := map[string]int{}
	for _, c := range curves {
		if _, ok := color[c.Target]; !ok {
			color[c.Target] = len(color)
		}
	}
	return color
}

// EpochCurvesPlot is the paper's Figure 4: test accuracy (percent) against
// adaptation epochs, one colour per target, solid with the architecture
// adapted, dashed with it frozen and dotted for the super-network trained
// from scratch (named scratch in the legend), with error bars where a curve
// has intervals.
func EpochCurvesPlot(title, scratch string, curves []EpochCurve) (*plot.Plot, error) {
	if len(curves) == 0 {
		return nil, fmt.Errorf("adaptation figure: no curves")
	}
	p := newPlot(title, "adaptation epochs", "test accuracy (%)")
	// bottom right: the curves rise from the prior's accuracy at epoch 0
	p.Legend.Top = false
	p.Legend.Left = false
	color := targetColors(curves)
	for i := range curves {
		if err := addEpochCurve(p, &curves[i], color[curves[i].Target], curves[i].legend(scratch)); err != nil {
			return nil, err
		}
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// addEpochCurve draws c in colour i: line, points and, when it has them,
// its intervals as error bars.
func addEpochCurve(p *plot.Plot, c *EpochCurve, i int, name string) error {
	xys := make(plotter.XYs, len(c.Epochs))
	for j := range c.Epochs {
		xys[j].X, xys[j].Y = float64(c.Epochs[j]), 100*c.Acc[j]
	}
	var dashes []vg.Length
	switch c.Arch {
	case ArchFrozen:
		dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	case ArchScratch:
		dashes = []vg.Length{vg.Points(1.5), vg.Points(2.5)}
	}
	if err := addLine(p, i, name, xys, dashes); err != nil {
		return err
	}
	if len(c.Lo) != len(c.Epochs) || len(c.Hi) != len(c.Epochs) {
		return nil
	}
	below, above := make([]float64, len(xys)), make([]float64, len(xys))
	for j := range xys {
		below[j], above[j] = xys[j].Y-100*c.Lo[j], 100*c.Hi[j]-xys[j].Y
	}
	return addErrorBars(p, i, name, xys, below, above)
}

// Trajectory is the points of one dataset in a principal-component plane.
type Trajectory struct {
	Name   string
	Color  int
	Hollow bool // open markers and a dashed line (e.g. architecture frozen)
	X, Y   []float64
}

// PCAPlot is one panel of the paper's Figure 3: adapted parameters of
// several datasets projected on two principal components (explained: their
// shares of the variance), joined in epoch order (the adaptation
// trajectories, all starting at the prior).
func PCAPlot(title string, explained [2]float64, trajectories []Trajectory) (*plot.Plot, error) {
	if len(trajectories) == 0 {
		return nil, fmt.Errorf("PCA figure: no points")
	}
	p := newPlot(title, fmt.Sprintf("PC1 (%.0f%% of variance)", 100*explained[0]), fmt.Sprintf("PC2 (%.0f%% of variance)", 100*explained[1]))
	for _, g := range trajectories {
		xys := make(plotter.XYs, len(g.X))
		for i := range g.X {
			xys[i].X, xys[i].Y = g.X[i], g.Y[i]
		}
		line, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("PCA figure: %s: %w", g.Name, err)
		}
		line.Color = plotutil.Color(g.Color)
		pts.Color = plotutil.Color(g.Color)
		pts.Shape = draw.CircleGlyph{}
		pts.Radius = vg.Points(3)
		if g.Hollow {
			line.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
			pts.Shape = draw.RingGlyph{}
		}
		p.Add(line, pts)
		p.Legend.Add(g.Name, pts)
	}
	p.Add(plotter.NewGrid())
	return p, nil
}
