package suite

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/metabench/metabench/reports"
	"gonum.org/v1/plot"
)

// Curve is one line of the paper's Figure 4 from a suite's adapt records:
// the test accuracy of one target and one way of training (the prior with
// its architecture adapted, with it frozen, or the super-network from
// scratch) after each epoch, as the mean over seeds with the Student-t 95%
// interval over the seeds' accuracies, clipped to [0, 1] (no interval for
// one seed; the records keep per-image outcomes of the last epoch only, so
// the epochs' intervals have no episode term).
type Curve struct {
	Row          *Row
	Unit, Target string
	Arch         string // reports.ArchAdapted, ArchFrozen or ArchScratch
	Epochs       []int
	Acc          []reports.SeedSummary
}

// archOf says how an adapt record trained the architecture ("" for records
// that are not adaptations: final networks, other kinds).
func archOf(rec *reports.Record) string {
	if rec.Kind != "adapt" || rec.Target == nil || len(rec.Adapt) == 0 {
		return ""
	}
	return rec.Target.Arch
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
		c := Curve{Row: r, Unit: r.Unit, Target: r.Records[0].Target.Name, Arch: arch}
		n := len(r.Records[0].Adapt)
		for _, rec := range r.Records {
			n = min(n, len(rec.Adapt))
		}
		for e := range n {
			var runs []reports.Run
			for i, rec := range r.Records {
				runs = append(runs, reports.Run{Seed: r.Seeds[i], Episodes: []float64{rec.Adapt[e].Accuracy}})
			}
			c.Epochs = append(c.Epochs, r.Records[0].Adapt[e].Step)
			c.Acc = append(c.Acc, reports.SummarizeSeeds(runs))
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
	rank := map[string]int{reports.ArchAdapted: 0, reports.ArchFrozen: 1, reports.ArchScratch: 2}
	slices.SortStableFunc(out, func(a, b Curve) int {
		return cmp.Or(cmp.Compare(unitAt[a.Unit], unitAt[b.Unit]), strings.Compare(a.Target, b.Target), cmp.Compare(rank[a.Arch], rank[b.Arch]))
	})
	return out
}

// Contrast is the seed-level test of adapting the architecture against
// another way of training on one target after the last epoch: per seed,
// the difference of accuracy on the same test images, over the seeds both
// ran (Pair), with per seed the exact McNemar test on those images as a
// diagnostic within that seed's pair of trained models.
type Contrast struct {
	Unit, Target string
	Baseline     string // frozen or scratch; the candidate is adapted
	Pair         Pair
	McNemar      []SeedMcNemar
}

// SeedMcNemar is one seed's McNemar test: N01 images only the adapted
// network gets right, N10 only the other.
type SeedMcNemar struct {
	Seed     int64
	N01, N10 int
	P        float64
}

// Contrasts pairs every target's adapted curve with its frozen and its
// scratch curve (when the suite ran them); the contrasts of one figure are
// one family for Holm's adjustment.
func Contrasts(curves []Curve) []Contrast {
	var out []Contrast
	var family []*reports.SeedContrast
	for _, c := range curves {
		if c.Arch != reports.ArchAdapted {
			continue
		}
		for _, base := range []string{reports.ArchFrozen, reports.ArchScratch} {
			i := slices.IndexFunc(curves, func(b Curve) bool { return b.Unit == c.Unit && b.Target == c.Target && b.Arch == base })
			if i < 0 {
				continue
			}
			ct := Contrast{Unit: c.Unit, Target: c.Target, Baseline: base, Pair: contrastRows(curves[i].Row, c.Row)}
			if ct.Pair.Contrast != nil && ct.Pair.Contrast.K() >= 2 {
				family = append(family, ct.Pair.Contrast)
			}
			b := curves[i].Row
			for k, sd := range c.Row.Seeds {
				j := slices.Index(b.Seeds, sd)
				if j < 0 {
					continue
				}
				n01, n10, p, err := reports.McNemar(b.Records[j].Episodes, c.Row.Records[k].Episodes)
				if err == nil {
					ct.McNemar = append(ct.McNemar, SeedMcNemar{Seed: sd, N01: n01, N10: n10, P: p})
				}
			}
			out = append(out, ct)
		}
	}
	reports.AdjustHolm(family)
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
				cell = reports.PointCell(c.Acc[e])
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	t.Notes = append(t.Notes, "epoch 0 is the starting point (the prior, or the initialised super-network); mean over seeds with the Student-t 95% interval over the seeds' accuracies (the records keep one accuracy per seed and epoch), clipped to [0, 100] where marked *")
	for _, ct := range contrasts {
		p := ct.Pair
		s := p.Missing
		if p.Contrast != nil {
			s = reports.ContrastSentence(p.Contrast)
		}
		var mc []string
		for _, m := range ct.McNemar {
			mc = append(mc, fmt.Sprintf("seed %d: %d vs %d images, p=%s", m.Seed, m.N01, m.N10, reports.FormatP(m.P)))
		}
		note := fmt.Sprintf("%s, %s: adapted - %s after the last epoch, per seed on the same test images, training runs as the unit: %s", ct.Unit, ct.Target, ct.Baseline, s)
		if len(mc) > 0 {
			note += "; within each seed's pair of trained networks (McNemar, images only adapted / only " + ct.Baseline + " gets right): " + strings.Join(mc, "; ")
		}
		t.Notes = append(t.Notes, note)
	}
	if len(contrasts) > 0 {
		t.Notes = append(t.Notes, "the contrasts of this figure are one family for Holm's adjustment; McNemar's test says whether two trained networks differ on these images, not whether the ways of training differ")
	}
	return t
}

// CurvesFigure draws the curves as the paper's Figure 4
// (reports.EpochCurvesPlot) with the intervals over seeds as error bars
// where every epoch of a curve has one.
func CurvesFigure(title string, curves []Curve) (*plot.Plot, error) {
	lines := make([]reports.EpochCurve, len(curves))
	for i, c := range curves {
		lines[i] = c.line()
	}
	return reports.EpochCurvesPlot(title, "super-network from scratch", lines)
}

// line is the curve's line of Figure 4: the means over seeds, with their
// intervals when every epoch has one.
func (c *Curve) line() reports.EpochCurve {
	l := reports.EpochCurve{Target: c.Target, Arch: c.Arch, Epochs: c.Epochs}
	bars := true
	for _, a := range c.Acc {
		l.Acc = append(l.Acc, a.Mean)
		l.Lo, l.Hi = append(l.Lo, a.Interval.Lo), append(l.Hi, a.Interval.Hi)
		bars = bars && a.Interval.Ok()
	}
	if !bars {
		l.Lo, l.Hi = nil, nil
	}
	return l
}
