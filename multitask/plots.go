package multitask

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// CurveSeries is one line of the adaptation figure: test accuracy (a
// fraction) after each epoch.
type CurveSeries struct {
	Name    string
	Color   int  // colour index (one per dataset)
	Frozen  bool // architecture logits frozen: dashed line
	Scratch bool // trained from scratch, not from the prior: dotted line
	Epochs  []int
	Acc     []float64
	// Lo and Hi bound each point's 95% interval (fractions), drawn as error
	// bars; nil for none. Intervals need not be symmetric.
	Lo, Hi []float64
}

// AdaptationFigure is the paper's Figure 4: test accuracy (percent) of the
// adapted meta-network against adaptation epochs, solid with the
// architecture adapted and dashed with it frozen.
func AdaptationFigure(title string, series []CurveSeries) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, fmt.Errorf("adaptation figure: no curves")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "adaptation epochs"
	p.Y.Label.Text = "test accuracy (%)"
	// bottom right: the curves rise from the prior's accuracy at epoch 0
	p.Legend.Top = false
	p.Legend.Left = false
	for _, s := range series {
		xys := make(plotter.XYs, len(s.Epochs))
		for i := range s.Epochs {
			xys[i].X, xys[i].Y = float64(s.Epochs[i]), 100*s.Acc[i]
		}
		line, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("adaptation figure: %s: %w", s.Name, err)
		}
		line.Color = plotutil.Color(s.Color)
		pts.Color = plotutil.Color(s.Color)
		pts.Shape = plotutil.Shape(s.Color)
		switch {
		case s.Frozen:
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		case s.Scratch:
			line.Dashes = []vg.Length{vg.Points(1.5), vg.Points(2.5)}
		}
		p.Add(line, pts)
		p.Legend.Add(s.Name, line, pts)
		if len(s.Lo) == len(s.Epochs) && len(s.Hi) == len(s.Epochs) {
			bars := make(errPoints, len(s.Epochs))
			for i := range bars {
				bars[i] = errPoint{x: xys[i].X, y: xys[i].Y, lo: xys[i].Y - 100*s.Lo[i], hi: 100*s.Hi[i] - xys[i].Y}
			}
			eb, err := plotter.NewYErrorBars(bars)
			if err != nil {
				return nil, fmt.Errorf("adaptation figure: %s: %w", s.Name, err)
			}
			eb.Color = plotutil.Color(s.Color)
			p.Add(eb)
		}
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// PCAGroup is the points of one dataset in a principal-component plane.
type PCAGroup struct {
	Name   string
	Color  int
	Hollow bool // open markers and a dashed line (e.g. architecture frozen)
	X, Y   []float64
}

// PCAFigure is one panel of the paper's Figure 3: adapted parameters of
// several datasets projected on two principal components, joined in epoch
// order (the adaptation trajectories, all starting at the prior).
func PCAFigure(title string, explained [2]float64, groups []PCAGroup) (*plot.Plot, error) {
	if len(groups) == 0 {
		return nil, fmt.Errorf("PCA figure: no points")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = fmt.Sprintf("PC1 (%.0f%% of variance)", 100*explained[0])
	p.Y.Label.Text = fmt.Sprintf("PC2 (%.0f%% of variance)", 100*explained[1])
	for _, g := range groups {
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

// errPoint is a point with a vertical error bar lo below and hi above it.
type errPoint struct{ x, y, lo, hi float64 }
type errPoints []errPoint

func (p errPoints) Len() int                        { return len(p) }
func (p errPoints) XY(i int) (float64, float64)     { return p[i].x, p[i].y }
func (p errPoints) YError(i int) (float64, float64) { return p[i].lo, p[i].hi }
