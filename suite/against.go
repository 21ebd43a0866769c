package suite

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/metabench/metabench/reports"
	"gonum.org/v1/gonum/stat"
)

// Pair is one row's seed-level contrast with another row on the same test
// episodes (reports.ContrastSeeds), or why there is none.
type Pair struct {
	Unit, Step string
	Contrast   *reports.SeedContrast // nil when Missing is set
	// Conditional, with one seed in common only, is the episode-level paired
	// test of those two trained networks on these episodes: it says nothing
	// about the methods' variation from training run to training run.
	Conditional *reports.Comparison
	Missing     string
}

// contrastRows contrasts row c with row b over the seeds both ran; the
// records of a seed must score the same episodes (reports.EpisodeDiff: the
// methods' own inner steps and rates may differ).
func contrastRows(b, c *Row) Pair {
	p := Pair{Unit: c.Unit, Step: c.Step}
	for i, sd := range c.Seeds {
		j := slices.Index(b.Seeds, sd)
		if j < 0 {
			continue
		}
		if d := reports.EpisodeDiff(b.Records[j], c.Records[i]); len(d) > 0 {
			p.Missing = "episodes differ: " + strings.Join(d, ", ")
			return p
		}
	}
	con, err := reports.ContrastSeeds(b.Runs(), c.Runs())
	switch {
	case errors.Is(err, reports.ErrNoCommonSeed):
		p.Missing = "no seed in common with " + b.Unit
	case err != nil:
		p.Missing = err.Error()
	default:
		p.Contrast = con
		if con.K() == 1 {
			i, j := slices.Index(c.Seeds, con.Seeds[0]), slices.Index(b.Seeds, con.Seeds[0])
			p.Conditional, _ = reports.ComparePaired(b.Records[j].Episodes, c.Records[i].Episodes, reports.DefaultCompareOptions())
		}
	}
	return p
}

// Against contrasts every row of the units other than ref with ref's row on
// the same test episodes (its run or one of its extra evaluations), over the
// seeds both ran, as a paper's table compares each method with its
// baseline; the rows' contrasts are one family for Holm's adjustment. Rows
// without such a row in ref get a Pair with Missing set; ref's own rows and
// rows that score nothing (a search) get none. No ref: nil.
func Against(rows []*Row, ref string) map[*Row]Pair {
	if ref == "" {
		return nil
	}
	out := map[*Row]Pair{}
	var family []*reports.SeedContrast
	for _, c := range rows {
		if c.Unit == ref || c.Accuracy.K() == 0 || len(c.Records[0].Episodes) == 0 {
			continue // the reference itself; a search or a tuning run, which scores no test episodes
		}
		i := slices.IndexFunc(rows, func(r *Row) bool {
			return r.Unit == ref && len(r.Records) > 0 && len(reports.EpisodeDiff(r.Records[0], c.Records[0])) == 0
		})
		if i < 0 && slices.ContainsFunc(rows, func(r *Row) bool { return r.Unit == ref && r.Accuracy.K() == 0 && ValidationCell(r) != "" }) {
			out[c] = Pair{Unit: c.Unit, Step: c.Step, Missing: ref + " ran no test (eval.episodes 0: a tuning run)"}
			continue
		}
		if i < 0 {
			out[c] = Pair{Unit: c.Unit, Step: c.Step, Missing: "no row of " + ref + " on these episodes"}
			continue
		}
		p := contrastRows(rows[i], c)
		if p.Contrast != nil && p.Contrast.K() >= 2 {
			family = append(family, p.Contrast)
		}
		out[c] = p
	}
	reports.AdjustHolm(family)
	return out
}

// Power is what a row's seeds can detect (reports.Power): from the spread
// of its per-seed contrasts with the reference (paired) when it has one,
// else from the spread of its seed means (two groups of k seeds).
type Power struct {
	Row    *Row
	Paired bool
	SD     float64 // a fraction
	K      int
	// Detectable is the smallest difference k seeds detect at alpha 0.05
	// with 80% power; Needed the seeds that Delta needs (0: more than 100).
	Detectable, Delta float64
	Needed            int
}

// Powers computes Power for every row with two or more seeds; delta is the
// difference (a fraction) whose needed seeds are reported.
func Powers(rows []*Row, vs map[*Row]Pair, delta float64) []Power {
	var out []Power
	for _, r := range rows {
		k := r.Accuracy.K()
		if k < 2 {
			continue
		}
		pw := Power{Row: r, K: k, Delta: delta}
		if p, ok := vs[r]; ok && p.Contrast != nil && p.Contrast.K() >= 2 {
			pw.Paired, pw.K = true, p.Contrast.K()
			pw.SD = stat.StdDev(p.Contrast.D, nil)
		} else {
			pw.SD = stat.StdDev(r.Accuracy.PerSeed, nil)
		}
		rp := reports.DefaultPower(pw.SD)
		pw.Detectable = rp.Detectable(pw.K, pw.Paired)
		pw.Needed = rp.SeedsFor(delta, pw.Paired, 100)
		out = append(out, pw)
	}
	return out
}

// PowerTable renders Powers.
func PowerTable(name string, version int, ref string, ps []Power) *reports.Table {
	t := &reports.Table{
		Title:  fmt.Sprintf("suite %s (version %d): what its seeds can detect", name, version),
		Header: []string{"unit", "step", "method", "design", "seeds", "seed-to-seed SD (points)", "detectable difference (points)", "seeds needed"},
	}
	for _, p := range ps {
		design := "two groups of seeds"
		if p.Paired {
			design = "paired with " + ref
		}
		need := fmt.Sprint(p.Needed)
		if p.Needed == 0 {
			need = "> 100"
		}
		t.Rows = append(t.Rows, []string{p.Row.Unit, p.Row.Step, p.Row.Method, design, fmt.Sprint(p.K),
			fmt.Sprintf("%.2f", 100*p.SD), fmt.Sprintf("%.2f", 100*p.Detectable), need})
	}
	delta := 0.0
	if len(ps) > 0 {
		delta = ps[0].Delta
	}
	paired := ""
	if ref != "" {
		paired = fmt.Sprintf(", SE = SD/sqrt(k) for k seeds paired with %s (df = k-1; SD of the per-seed differences)", ref)
	}
	t.Notes = append(t.Notes, fmt.Sprintf("two-sided alpha 0.05, power 0.8: detectable = (t_{0.975,df} + t_{0.8,df}) x SE, SE = SD sqrt(2/k) for two groups of k seeds (df = 2k-2; SD of the seed means)%s; the SD is estimated from these few seeds and is itself uncertain; seeds needed: the fewest seeds per side that detect %.2f points (--power-diff)", paired, 100*delta))
	return t
}
