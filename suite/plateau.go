package suite

import (
	"fmt"
	"slices"

	"github.com/metabench/metabench/reports"
)

// DefaultPlateauGain is the gain over a doubling of the training below which
// a validation curve counts as flat: one point of accuracy (issue #33 item
// 3; docs/DECISIONS.md R34).
const DefaultPlateauGain = 0.01

// PlateauPoint is one validation point of a row's curve, over the seeds
// that have it: the validation accuracy at Iter, and the gain since Iter/2
// (the accuracy at Iter minus the accuracy at Iter/2, per seed, with a
// paired Student-t interval over seeds; nil where no seed has a point at
// exactly Iter/2).
type PlateauPoint struct {
	Iter int
	Acc  reports.SeedSummary
	Gain *reports.SeedContrast
}

// Plateau is a training row's validation curve read for a budget: Budget is
// the first iteration whose mean gain over the preceding doubling is below
// Delta (0 when no point is), so that doubling the training from Budget/2
// to Budget bought less than Delta; Flat says whether every later point
// with a gain stays below Delta too.
type Plateau struct {
	Row    *Row
	Points []PlateauPoint
	Delta  float64
	Budget int
	Flat   bool
}

// Plateaus reads the validation curves of the rows whose records have them
// (Record.ValidationCurve: train steps with eval.val_episodes, metatrain
// steps with eval.val_tasks; points placed by eval.every_iterations fall at
// the same iterations for every seed, which the gain over a doubling
// needs). Rows without validation points are left out, and so are the
// training statistics of search and metatrain curves.
func Plateaus(rows []*Row, delta float64) []Plateau {
	var out []Plateau
	for _, row := range rows {
		byIter := map[int][]reports.Run{}
		for i, rec := range row.Records {
			for _, p := range rec.ValidationCurve() {
				if p.Iter > 0 {
					byIter[p.Iter] = append(byIter[p.Iter], reports.Run{Seed: row.Seeds[i], Episodes: []float64{p.Accuracy}})
				}
			}
		}
		if len(byIter) == 0 {
			continue
		}
		iters := make([]int, 0, len(byIter))
		for it := range byIter {
			iters = append(iters, it)
		}
		slices.Sort(iters)
		pl := Plateau{Row: row, Delta: delta}
		for _, it := range iters {
			pt := PlateauPoint{Iter: it, Acc: reports.SummarizeSeeds(byIter[it])}
			if half, ok := byIter[it/2]; ok && it%2 == 0 {
				if c, err := reports.ContrastSeeds(half, byIter[it]); err == nil {
					pt.Gain = c
				}
			}
			pl.Points = append(pl.Points, pt)
		}
		for _, pt := range pl.Points {
			if pt.Gain == nil {
				continue
			}
			below := pt.Gain.Mean < delta
			switch {
			case pl.Budget == 0 && below:
				pl.Budget, pl.Flat = pt.Iter, true
			case pl.Budget > 0 && !below:
				pl.Flat = false
			}
		}
		out = append(out, pl)
	}
	return out
}

// PlateauTable renders the curves: per row and point, the validation
// accuracy over seeds and the gain since half as many iterations; the
// notes give each row's budget.
func PlateauTable(name string, version int, label string, ps []Plateau) *reports.Table {
	t := &reports.Table{
		Title:  fmt.Sprintf("suite %s (version %d): validation accuracy against iterations, and the gain over each doubling", name, version),
		Header: []string{"unit", "step", "iteration", "seeds", "validation % (95% CI over seeds)", "gain since iteration/2 (points, 95% CI)", "flat"},
	}
	if label != "" {
		t.Title += ", label " + label
	}
	for _, p := range ps {
		for _, pt := range p.Points {
			gain, flat := "-", ""
			if g := pt.Gain; g != nil {
				gain = fmt.Sprintf("%+.2f", 100*g.Mean)
				if g.Interval.Ok() {
					gain += fmt.Sprintf(" [%+.2f, %+.2f]", 100*g.Interval.Lo, 100*g.Interval.Hi)
				}
				if g.Mean < p.Delta {
					flat = "yes"
				}
			}
			acc := fmt.Sprintf("%.2f", 100*pt.Acc.Mean)
			if iv := pt.Acc.Interval; iv.Ok() {
				acc += fmt.Sprintf(" [%.2f, %.2f]", 100*iv.Lo, 100*iv.Hi)
			}
			t.Rows = append(t.Rows, []string{p.Row.Unit, p.Row.Step, fmt.Sprint(pt.Iter), fmt.Sprint(pt.Acc.K()), acc, gain, flat})
		}
		budget := fmt.Sprintf("no doubling gained less than %.2f points: not flat yet", 100*p.Delta)
		switch {
		case !hasDoubling(p):
			budget = "no two points lie exactly a doubling apart (points placed by wall clock?): no gain to read; eval.every_iterations places them"
		case p.Budget > 0:
			budget = fmt.Sprintf("first flat at iteration %d (the doubling from %d gained less than %.2f points)", p.Budget, p.Budget/2, 100*p.Delta)
			if !p.Flat {
				budget += ", but a later doubling gained more: not settled"
			}
		}
		t.Notes = append(t.Notes, fmt.Sprintf("%s %s: %s", p.Row.Unit, p.Row.Step, budget))
	}
	t.Notes = append(t.Notes, "gain: per seed, validation accuracy at the iteration minus at half of it (the same validation episodes), mean and Student-t interval over seeds; - where no point lies at exactly half (eval.every_iterations places them); validation episodes come from the validation alphabets, never the test ones; a metatrain row's from the fixed validation tasks of its held-out classes (eval.val_tasks)")
	return t
}

// hasDoubling says whether a curve has two points a doubling of the
// iterations apart (eval.every_iterations places them): only such a curve
// can be read for a plateau budget.
func hasDoubling(p Plateau) bool {
	return slices.ContainsFunc(p.Points, func(pt PlateauPoint) bool { return pt.Gain != nil })
}
