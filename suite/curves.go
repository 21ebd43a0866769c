package suite

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/metabench/metabench/multitask"
	"github.com/metabench/metabench/reports"
	"gonum.org/v1/plot"
)

// Curve is one line of the paper's Figure 4 from a suite's adapt records:
// the test accuracy of one target and one way of training (the prior with
// its architecture adapted, with it frozen, or the super-network from
// scratch) after each epoch, as the mean over seeds with its Student-t 95%
// interval (no interval for one seed).
type Curve struct {
	Row          *Row
	Unit, Target string
	Arch         string // adapted, frozen or scratch
	Epochs       []int
	Acc          []reports.Summary
}

// Arch names of Curve.Arch.
const (
	ArchAdapted = "adapted"
	ArchFrozen  = "frozen"
	ArchScratch = "scratch"
)

// archOf says how an adapt record trained the architecture ("" for records
// that are not adaptations: final networks, other kinds).
func archOf(rec *reports.Record) string {
	if rec.Kind != "adapt" || len(rec.Adapt) == 0 {
		return ""
	}
	if b, _ := rec.Extra["scratch"].(bool); b {
		return ArchScratch
	}
	if b, _ := rec.Extra["frozen_arch"].(bool); b {
		return ArchFrozen
	}
	return ArchAdapted
}

// Curves returns the adaptation curves of rows: per unit (in row order), by
// target, then adapted, frozen, scratch. The epochs of a curve are those
// every seed reached.
func Curves(rows []*Row) []Curve {
	var out []Curve
	for _, r := range rows {
		if len(r.Records) == 0 {
			continue
		}
		arch := archOf(r.Records[0])
		if arch == "" {
			continue
		}
		target, _ := r.Records[0].Extra["target"].(string)
		c := Curve{Row: r, Unit: r.Unit, Target: target, Arch: arch}
		n := len(r.Records[0].Adapt)
		for _, rec := range r.Records {
			n = min(n, len(rec.Adapt))
		}
		for e := range n {
			var accs []float64
			for _, rec := range r.Records {
				accs = append(accs, rec.Adapt[e].Accuracy)
			}
			c.Epochs = append(c.Epochs, r.Records[0].Adapt[e].Step)
			c.Acc = append(c.Acc, reports.SummarizeT(accs))
		}
		out = append(out, c)
	}
	// per unit (in row order), by target, then adapted, frozen, scratch
	unitAt := map[string]int{}
	for _, c := range out {
		if _, ok := unitAt[c.Unit]; !ok {
			unitAt[c.Unit] = len(unitAt)
		}
	}
	rank := map[string]int{ArchAdapted: 0, ArchFrozen: 1, ArchScratch: 2}
	slices.SortStableFunc(out, func(a, b Curve) int {
		return cmp.Or(cmp.Compare(unitAt[a.Unit], unitAt[b.Unit]), strings.Compare(a.Target, b.Target), cmp.Compare(rank[a.Arch], rank[b.Arch]))
	})
	return out
}

// Contrast is the paired test of adapting the architecture against another
// way of training on one target: after the last epoch, image by image on
// the same test images, over the seeds both ran.
type Contrast struct {
	Unit, Target string
	Baseline     string // frozen or scratch; the candidate is adapted
	Pair         Pair
}

// Contrasts pairs every target's adapted curve with its frozen and its
// scratch curve (when the suite ran them).
func Contrasts(curves []Curve, opt reports.CompareOptions) []Contrast {
	var out []Contrast
	for _, c := range curves {
		if c.Arch != ArchAdapted {
			continue
		}
		for _, base := range []string{ArchFrozen, ArchScratch} {
			i := slices.IndexFunc(curves, func(b Curve) bool { return b.Unit == c.Unit && b.Target == c.Target && b.Arch == base })
			if i < 0 {
				continue
			}
			out = append(out, Contrast{Unit: c.Unit, Target: c.Target, Baseline: base,
				Pair: pairRows(curves[i].Row, c.Row, opt, reports.EpisodeDiff)})
		}
	}
	return out
}

// CurvesTable renders the curves (one row per curve, one column per epoch:
// mean ± interval in percent) and, below, the contrasts.
func CurvesTable(name string, version int, label string, curves []Curve, contrasts []Contrast) *reports.Table {
	t := &reports.Table{Title: fmt.Sprintf("suite %s (version %d): test accuracy %% after each adaptation epoch (Figure 4)", name, version)}
	if label != "" {
		t.Title += ", label " + label
	}
	epochs := 0
	for _, c := range curves {
		epochs = max(epochs, len(c.Epochs))
	}
	t.Header = []string{"unit", "target", "architecture", "seeds"}
	for e := range epochs {
		t.Header = append(t.Header, fmt.Sprintf("epoch %d", e))
	}
	for _, c := range curves {
		seeds := make([]string, len(c.Row.Seeds))
		for i, s := range c.Row.Seeds {
			seeds[i] = fmt.Sprint(s)
		}
		row := []string{c.Unit, c.Target, c.Arch, strings.Join(seeds, ",")}
		for e := range epochs {
			cell := "-"
			if e < len(c.Acc) {
				cell = fmt.Sprintf("%.1f", 100*c.Acc[e].Mean)
				if c.Acc[e].N > 1 {
					cell += fmt.Sprintf(" ± %.1f", 100*c.Acc[e].CI95)
				}
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	t.Notes = append(t.Notes, "epoch 0 is the starting point (the prior, or the initialised super-network); mean over seeds with the Student-t 95% interval over seeds")
	for _, ct := range contrasts {
		p := ct.Pair
		var s string
		switch {
		case len(p.Mismatch) > 0:
			s = "not comparable: " + strings.Join(p.Mismatch, ", ")
		case p.Comparison == nil:
			s = p.Missing
		default:
			c := p.Comparison
			s = fmt.Sprintf("%+.2f points [%+.2f, %+.2f], p=%.3g, over %d test images of %d seeds (%.2f%% vs %.2f%%)",
				100*c.Diff, 100*c.Lo, 100*c.Hi, c.P, c.N, p.Seeds, 100*c.CandidateMean, 100*c.BaselineMean)
		}
		t.Notes = append(t.Notes, fmt.Sprintf("%s, %s: adapted - %s after the last epoch, paired on the same test images: %s", ct.Unit, ct.Target, ct.Baseline, s))
	}
	return t
}

// CurvesFigure draws the curves as the paper's Figure 4 with the intervals
// over seeds as error bars: one colour per target, solid for the adapted
// architecture, dashed frozen, dotted from scratch.
func CurvesFigure(title string, curves []Curve) (*plot.Plot, error) {
	color := map[string]int{}
	var series []multitask.CurveSeries
	for _, c := range curves {
		if _, ok := color[c.Target]; !ok {
			color[c.Target] = len(color)
		}
		s := multitask.CurveSeries{Name: c.Target, Color: color[c.Target], Frozen: c.Arch == ArchFrozen, Scratch: c.Arch == ArchScratch, Epochs: c.Epochs}
		switch c.Arch {
		case ArchFrozen:
			s.Name += " (architecture frozen)"
		case ArchScratch:
			s.Name += " (super-network from scratch)"
		}
		for _, a := range c.Acc {
			s.Acc = append(s.Acc, a.Mean)
			s.CI = append(s.CI, a.CI95)
		}
		series = append(series, s)
	}
	return multitask.AdaptationFigure(title, series)
}
