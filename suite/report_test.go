package suite

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search"
	"github.com/stretchr/testify/require"
)

// row builds a table row of one unit over seeds, each seed's record with
// the given protocol and per-episode accuracies.
func row(unit, step string, proto reports.Protocol, eps ...[]float64) *Row {
	r := &Row{Unit: unit, Step: step}
	for i, e := range eps {
		rec := &reports.Record{Proto: proto, Episodes: e}
		rec.Dataset.SHA256, rec.Dataset.Split = "abc", "groups:seed=0"
		r.Seeds = append(r.Seeds, int64(i))
		r.Records = append(r.Records, rec)
	}
	return r
}

// Against pairs each row with the reference's row on the same episodes
// (different inner steps allowed), over the seeds both ran, and says why
// when there is none; the table shows the paired difference.
func TestAgainstReference(t *testing.T) {
	oneShot := reports.Protocol{Ways: 5, Shots: 1, Queries: 15, StepsTest: 3, InnerLR: 0.4, EvalEpisode: 4, EvalSeed: 2024}
	fiveShot := oneShot
	fiveShot.Shots = 5
	other := oneShot // another method: its own inner steps and rate, the same episodes
	other.StepsTest, other.InnerLR = 10, 0.1
	ref1 := row("maml", "run", oneShot, []float64{0.8, 0.6, 0.8, 1.0}, []float64{0.6, 0.6, 0.8, 0.8})
	ref5 := row("maml", "5shot", fiveShot, []float64{1, 1, 0.8, 1})
	cand := row("darts", "final", other, []float64{1.0, 0.8, 0.8, 1.0}, []float64{0.8, 0.6, 1.0, 1.0})
	cand5 := row("darts", "5shot", fiveShot, []float64{1, 1, 1, 1})
	odd := oneShot
	odd.Ways = 20
	lonely := row("big", "run", odd, []float64{0.5, 0.5, 0.5, 0.5})
	search := row("darts", "run", reports.Protocol{Ways: 5, Shots: 1, Queries: 5}, nil) // scores no episodes
	rows := []*Row{ref1, ref5, cand, cand5, lonely, search}

	for _, r := range rows {
		r.Accuracy = reports.SummarizeSeeds(r.Runs())
	}
	vs := Against(rows, "maml")
	require.NotContains(t, vs, ref1)
	p := vs[cand]
	require.NotNil(t, p.Contrast, "%+v", p)
	require.Equal(t, 2, p.Contrast.K())
	require.Equal(t, 4, p.Contrast.Episodes)
	// per seed: seed 0 (+0.2 +0.2 0 0)/4 = 0.1, seed 1 (+0.2 0 +0.2 +0.2)/4 = 0.15
	require.InDeltaSlice(t, []float64{0.1, 0.15}, p.Contrast.D, 1e-12)
	require.InDelta(t, 0.125, p.Contrast.Mean, 1e-12)
	require.Nil(t, p.Conditional, "two seeds: a test over seeds")
	require.InDelta(t, 0.5, p.Contrast.PFlip, 1e-12, "the floor at 2 seeds")
	require.NotNil(t, vs[cand5].Contrast)
	require.Equal(t, 1, vs[cand5].Contrast.K(), "only seed 0 of the 5-shot rows")
	require.InDelta(t, 0.05, vs[cand5].Contrast.Mean, 1e-12)
	require.NotNil(t, vs[cand5].Conditional, "one seed: the episode-level test of those two networks")
	require.Nil(t, vs[lonely].Contrast)
	require.Contains(t, vs[lonely].Missing, "no row of maml")
	require.NotContains(t, vs, search, "a search has nothing to pair")

	var buf bytes.Buffer
	require.NoError(t, Table("s", 1, "l", rows, "maml", vs).Render(&buf, reports.FormatText))
	out := buf.String()
	for _, want := range []string{"vs maml", "(reference)", "+12.50 [", "min 0.5 at 2 seeds", "1 seed; these networks on these episodes",
		"no row of maml on these episodes", "per seed %", "80.0, 70.0", "Holm"} {
		require.True(t, strings.Contains(out, want), "%q not in\n%s", want, out)
	}
	require.False(t, math.IsNaN(p.Contrast.P))

	ps := Powers(rows, vs, 0.01)
	require.NotEmpty(t, ps)
	require.True(t, ps[0].Row == ref1 && !ps[0].Paired, "the reference: two groups")
	buf.Reset()
	require.NoError(t, PowerTable("s", 1, "maml", ps).Render(&buf, reports.FormatText))
	require.Contains(t, buf.String(), "paired with maml")
}

// GenotypeStability reads each seed's derived genotype from the search
// records and counts, per node, how many of the seeds' edges agree; the
// order of a node's two edges does not count.
func TestGenotypeStability(t *testing.T) {
	a := "normal=[sep_conv_3x3:0 sep_conv_3x3:1 sep_conv_3x3:0 sep_conv_3x3:1 sep_conv_3x3:1 skip_connect:0 skip_connect:0 dil_conv_3x3:2] reduce=[max_pool_3x3:0 max_pool_3x3:1 skip_connect:2 max_pool_3x3:1 max_pool_3x3:0 skip_connect:2 skip_connect:2 max_pool_3x3:1]"
	b := strings.Replace(a, "normal=[sep_conv_3x3:0", "normal=[sep_conv_5x5:0", 1) // node 2: another op on one edge
	c := strings.Replace(a, "normal=[sep_conv_3x3:0", "normal=[sep_conv_3x3:1", 1) // node 2: same op, other input
	r := &Row{Unit: "base", Step: "search", Seeds: []int64{0, 1, 2}}
	for _, g := range []string{a, b, c} {
		r.Records = append(r.Records, &reports.Record{Kind: "search", Extra: map[string]any{"genotype": g}})
	}
	train := row("maml", "run", reports.Protocol{}, []float64{1})
	sts, err := GenotypeStability([]*Row{train, r})
	require.NoError(t, err)
	require.Len(t, sts, 1)
	st := sts[0]
	require.False(t, st.Identical)
	require.Len(t, st.Slots, 8)
	// Node 2: {3x3:0, 3x3:1}, {5x5:0, 3x3:1}, {3x3:1, 3x3:1}: every pair of
	// seeds shares one edge of two; of the ops, a and c share both, a and b
	// and b and c one.
	require.Equal(t, []string{"sep_conv_3x3:0 + sep_conv_3x3:1", "sep_conv_5x5:0 + sep_conv_3x3:1", "sep_conv_3x3:1 + sep_conv_3x3:1"}, st.Slots[0].Choices)
	require.InDelta(t, 0.5, st.Slots[0].Share, 1e-12)
	require.InDelta(t, 2.0/3, st.Slots[0].OpShare, 1e-12)
	require.InDelta(t, 1.0, st.Slots[1].Share, 1e-12)
	require.InDelta(t, (7+0.5)/8, st.Share, 1e-12)
	require.InDelta(t, (7+2.0/3)/8, st.OpShare, 1e-12)
	var buf bytes.Buffer
	require.NoError(t, StabilityTable(st).Render(&buf, reports.FormatText))
	require.Contains(t, buf.String(), "sep_conv_5x5:0 + sep_conv_3x3:1")

	// The decoding rule lists a node's edges by strength: a seed that chose
	// the same pair in the other order derived the same network.
	swapped := strings.Replace(a, "normal=[sep_conv_3x3:0 sep_conv_3x3:1", "normal=[sep_conv_3x3:1 sep_conv_3x3:0", 1)
	swapped = strings.Replace(swapped, "skip_connect:2 max_pool_3x3:1]", "max_pool_3x3:1 skip_connect:2]", 1)
	r2 := &Row{Unit: "base", Step: "search", Seeds: []int64{0, 1}, Records: []*reports.Record{
		{Kind: "search", Extra: map[string]any{"genotype": a}}, {Kind: "search", Extra: map[string]any{"genotype": swapped}}}}
	sts, err = GenotypeStability([]*Row{r2})
	require.NoError(t, err)
	require.True(t, sts[0].Identical)
	require.InDelta(t, 1.0, sts[0].Share, 1e-12)
	require.InDelta(t, 1.0, sts[0].OpShare, 1e-12)

	r.Records[1].Extra["genotype"] = "normal=[nonsense"
	_, err = GenotypeStability([]*Row{r})
	require.ErrorContains(t, err, "unit base seed 1")
}

// TestRowsOfSearches: a search row over several seeds has no accuracy (its
// records score nothing), not a mean of zeros.
func TestRowsOfSearches(t *testing.T) {
	var recs []*reports.Record
	for sd := range int64(2) {
		for _, step := range []string{StepRun, StepFinal} {
			rec := &reports.Record{Kind: "search", Method: "base-gumbel", Extra: map[string]any{},
				Suite: &reports.SuiteID{Name: "s", Version: 1, Unit: "base", Step: step, Seed: sd}}
			if step == StepFinal {
				rec.Kind, rec.Method = "train", "maml"
				rec.Summary = reports.Summary{Mean: 0.8 + 0.1*float64(sd), N: 600}
			} else {
				// Seed 0's network changes at 80 of 100, seed 1's last at 50.
				// The verdicts the records were written with (the opposite)
				// do not count: the curve is judged by today's rule.
				g := "normal=[sep_conv_3x3:0 sep_conv_3x3:1 sep_conv_3x3:0 sep_conv_3x3:1 sep_conv_3x3:1 skip_connect:0 skip_connect:0 dil_conv_3x3:2] reduce=[max_pool_3x3:0 max_pool_3x3:1 skip_connect:2 max_pool_3x3:1 max_pool_3x3:0 skip_connect:2 skip_connect:2 max_pool_3x3:1]"
				h := strings.Replace(g, "dil_conv_3x3:2]", "dil_conv_5x5:2]", 1)
				var curve []any
				for it := 10; it <= 100; it += 10 {
					gt := g
					if (sd == 0 && it < 80) || (sd == 1 && it < 50) {
						gt = h
					}
					curve = append(curve, map[string]any{"iter": it, "entropy_normal": 0.9, "entropy_reduce": 0.95, "max_dalpha": 0.01, "genotype": gt})
				}
				rec.Extra["arch_curve"], rec.Extra["converged"], rec.Extra["stable_from"] = curve, sd == 0, 0
			}
			recs = append(recs, rec)
		}
	}
	rows := Rows(recs)
	require.Len(t, rows, 2)
	require.Equal(t, 0, rows[0].Accuracy.K(), "the search row")
	require.Equal(t, 2, rows[1].Accuracy.K())
	require.InDelta(t, 0.85, rows[1].Accuracy.Mean, 1e-12)
	var buf bytes.Buffer
	require.NoError(t, Table("s", 1, "", rows, "", nil).Render(&buf, reports.FormatText))
	require.NotContains(t, buf.String(), "0.00 ± 0.00")
	require.Contains(t, buf.String(), "converged: no (stable from 80 of 100; entropy 0.90 / 0.95), yes (stable from 50 of 100; entropy 0.90 / 0.95)")
	require.Contains(t, buf.String(), search.DefaultConvergence().Rule())
}

// TestRowsShowChosenTestLoops: an eval row whose seeds chose their
// test-time loop on validation episodes says which loop each seed tested
// with.
func TestRowsShowChosenTestLoops(t *testing.T) {
	var recs []*reports.Record
	for sd, loop := range []struct {
		steps int
		lr    float64
	}{{5, 0.1}, {3, 0.4}} {
		recs = append(recs, &reports.Record{Kind: "eval", Method: "maml", Summary: reports.Summary{Mean: 0.9, N: 10},
			Proto: reports.Protocol{Ways: 5, Shots: 5, StepsTest: loop.steps, InnerLR: loop.lr},
			Extra: map[string]any{experiment.ExtraTestLoop: map[string]any{"steps": loop.steps}},
			Suite: &reports.SuiteID{Name: "s", Version: 1, Unit: "maml", Step: "eval:5shot", Seed: int64(sd)}})
	}
	rows := Rows(recs)
	require.Len(t, rows, 1)
	require.Contains(t, rows[0].Protocol, "test loop chosen on validation per seed (steps@lr): 5@0.1, 3@0.4")
	plain := Rows(recs[:1:1])
	delete(plain[0].Records[0].Extra, experiment.ExtraTestLoop)
	require.NotContains(t, Rows(plain[0].Records)[0].Protocol, "chosen")
}

// TestRowsShowChosenInnerLR: a training row whose seeds chose their inner
// rate on validation before training (train_select) says which rate each
// seed trained with.
func TestRowsShowChosenInnerLR(t *testing.T) {
	var recs []*reports.Record
	for sd, lr := range []float64{0.1, 0.4} {
		recs = append(recs, &reports.Record{Kind: "train", Method: "maml", Summary: reports.Summary{Mean: 0.9, N: 10},
			Proto: reports.Protocol{Ways: 5, Shots: 1, StepsTrain: 1, StepsTest: 3, InnerLR: lr},
			Extra: map[string]any{experiment.ExtraInnerLR: map[string]any{"lr": lr}},
			Suite: &reports.SuiteID{Name: "s", Version: 1, Unit: "u", Step: StepRun, Seed: int64(sd)}})
	}
	rows := Rows(recs)
	require.Len(t, rows, 1)
	require.Contains(t, rows[0].Protocol, "inner_lr chosen on validation per seed: 0.1, 0.4")
	delete(recs[0].Extra, experiment.ExtraInnerLR)
	require.Contains(t, Rows(recs)[0].Protocol, "per seed: 0.4")
}
