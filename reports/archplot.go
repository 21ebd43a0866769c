package reports

import (
	"encoding/json"
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// ArchCurvePoint is one point of a search record's convergence curve
// (Extra["arch_curve"], written by the search): the mean normalised entropy
// of softmax(α) per cell, the largest |Δα| since the previous point and the
// genotype of softmax(α).
type ArchCurvePoint struct {
	Iter          int     `json:"iter"`
	EntropyNormal float64 `json:"entropy_normal"`
	EntropyReduce float64 `json:"entropy_reduce"`
	MaxDAlpha     float64 `json:"max_dalpha"`
	Genotype      string  `json:"genotype"`
}

// ArchCurve reads a search record's convergence curve, whether the record
// was built in this process or read back from JSON or a store; nil when it
// has none.
func ArchCurve(r *Record) ([]ArchCurvePoint, error) {
	v, ok := r.Extra["arch_curve"]
	if !ok {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("record %s: arch_curve: %w", r.RunID, err)
	}
	var pts []ArchCurvePoint
	if err := json.Unmarshal(b, &pts); err != nil {
		return nil, fmt.Errorf("record %s: arch_curve: %w", r.RunID, err)
	}
	return pts, nil
}

// ArchSeries is one search's convergence curve, named for the legend.
type ArchSeries struct {
	Name   string
	Points []ArchCurvePoint
}

// ArchPlot draws the searches' architecture entropy against the search
// iteration: one colour per search, solid for the normal cell, dashed for
// the reduction cell (1: uniform weights, 0: one op per edge).
func ArchPlot(title string, series []ArchSeries) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, fmt.Errorf("architecture plot: no search curves")
	}
	p := newPlot(title, "search iteration", "mean normalised entropy of softmax(alpha)")
	p.Y.Min, p.Y.Max = 0, 1
	for i, s := range series {
		for c, cell := range []string{"normal", "reduce"} {
			xys := make(plotter.XYs, len(s.Points))
			for j, pt := range s.Points {
				xys[j].X = float64(pt.Iter)
				xys[j].Y = pt.EntropyNormal
				if c == 1 {
					xys[j].Y = pt.EntropyReduce
				}
			}
			line, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("architecture plot: %s: %w", s.Name, err)
			}
			line.Color = plotutil.Color(i)
			if c == 1 {
				line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			}
			p.Add(line)
			p.Legend.Add(fmt.Sprintf("%s, %s cell", s.Name, cell), line)
		}
	}
	p.Add(plotter.NewGrid())
	return p, nil
}
