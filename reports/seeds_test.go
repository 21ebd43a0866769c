package reports

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// constRun is a run whose every episode scores acc.
func constRun(seed int64, acc float64, n int) Run {
	eps := make([]float64, n)
	for i := range eps {
		eps[i] = acc
	}
	return Run{Seed: seed, Episodes: eps}
}

// The exact sign-flip p-value, counted by hand over the 2^k patterns.
func TestSignFlipPExact(t *testing.T) {
	// ±1±2±3: sums 6, 4, 2, 0, 0, -2, -4, -6; |s| >= 6 twice of 8
	require.InDelta(t, 0.25, SignFlipP([]float64{1, 2, 3}), 1e-15)
	// ±1±2±3±4 with observed 1-2+3+4 = 6: |s| in {10, 8, 6} on each side, 6 of 16
	require.InDelta(t, 6.0/16, SignFlipP([]float64{1, -2, 3, 4}), 1e-15)
	require.InDelta(t, 2.0/16, SignFlipP([]float64{0.01, 0.02, 0.03, 0.04}), 1e-15)
	// k = 5 all of one sign: the floor 2^(1-k)
	require.InDelta(t, 1.0/16, SignFlipP([]float64{0.1, 0.2, 0.1, 0.3, 0.2}), 1e-15)
	require.Equal(t, 1.0, SignFlipP([]float64{0, 0, 0}))
	require.True(t, math.IsNaN(SignFlipP(nil)))
}

// Holm's step-down adjustment on known p-values.
func TestHolmKnownValues(t *testing.T) {
	// sorted 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1, raised to 0.06)
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		require.InDelta(t, want[i], got[i], 1e-15, "p %d", i)
	}
	got = Holm([]float64{math.NaN(), 0.02, 0.04})
	require.True(t, math.IsNaN(got[0]), "not a test")
	require.InDelta(t, 0.04, got[1], 1e-15)
	require.InDelta(t, 0.04, got[2], 1e-15)
	require.Equal(t, []float64{1, 1}, Holm([]float64{0.7, 0.8}), "capped at 1, never below an earlier step")
}

// ContrastSeeds: D_s per seed, the paired t over seeds (df = k-1) by hand
// (Student t with 2 df: F(t) = 1/2 + t / (2 sqrt(2 + t^2))), the sign-flip
// p and P(B > A) over seed pairs.
func TestContrastSeedsKnownValues(t *testing.T) {
	a := []Run{constRun(0, 0.5, 4), constRun(1, 0.6, 4), constRun(2, 0.7, 4), constRun(9, 0.2, 4)}
	b := []Run{constRun(0, 0.6, 4), constRun(1, 0.8, 4), constRun(2, 1.0, 4)}
	// one episode of seed 2 moves: D_2 stays 0.3 on average
	b[2].Episodes = []float64{1, 1, 1, 1}
	a[2].Episodes = []float64{0.7, 0.7, 0.6, 0.8}
	c, err := ContrastSeeds(a, b)
	require.NoError(t, err)
	require.Equal(t, []int64{0, 1, 2}, c.Seeds, "seed 9 has no partner")
	require.InDeltaSlice(t, []float64{0.1, 0.2, 0.3}, c.D, 1e-12)
	require.InDelta(t, 0.2, c.Mean, 1e-12)
	require.Equal(t, 2, c.DF)
	require.InDelta(t, 3.4641016151377544, c.T, 1e-9)
	require.InDelta(t, 0.07417990022744858, c.P, 1e-9)
	require.InDelta(t, -0.048413771189497856, c.Interval.Lo, 1e-8)
	require.InDelta(t, 0.4484137711894979, c.Interval.Hi, 1e-8)
	require.InDelta(t, 0.25, c.PFlip, 1e-15)
	require.InDelta(t, 0.25, c.MinPFlip, 1e-15)
	// B's means 0.6, 0.8, 1.0 against A's 0.5, 0.6, 0.7, 0.2: 0.6 beats 2
	// and ties 1 (2.5), 0.8 and 1.0 beat all 4: (2.5 + 8) / 12
	require.InDelta(t, 10.5/12, c.PBetter, 1e-12)
	require.Equal(t, c.P, c.PHolm)

	one, err := ContrastSeeds(a[:1], b[:1])
	require.NoError(t, err)
	require.Equal(t, 1, one.K())
	require.True(t, math.IsNaN(one.P) && math.IsNaN(one.PFlip), "no test on one seed")
	require.Equal(t, []string{"+10.00 (1 seed: no test)", "-", "-", "1.00"}, ContrastCells(one))

	_, err = ContrastSeeds(a[3:], b)
	require.ErrorIs(t, err, ErrNoCommonSeed)
	_, err = ContrastSeeds([]Run{constRun(0, 0.5, 3)}, []Run{constRun(0, 0.5, 4)})
	require.ErrorContains(t, err, "episodes")

	cs := []*SeedContrast{c, {P: 0.01}, {P: math.NaN()}}
	AdjustHolm(cs)
	// m = 2 tests: 0.01 x 2 = 0.02, then 0.0742 x 1
	require.InDelta(t, 0.07417990022744858, c.PHolm, 1e-9)
	require.InDelta(t, 0.02, cs[1].PHolm, 1e-15)
}

// The interval over seeds by hand: seed means 0.5, 0.5, 0.65 (var 0.0075),
// episode means over seeds 2/3, 0.533, 0.533, 0.467 (var 0.0070370), so
// se^2 = 0.0075/3 + 0.0070370/4 and the interval is 0.55 ± t(0.975, 2) se.
func TestSummarizeSeedsKnownCases(t *testing.T) {
	s := SummarizeSeeds([]Run{
		{Seed: 0, Episodes: []float64{0.6, 0.4, 0.6, 0.4}},
		{Seed: 1, Episodes: []float64{0.6, 0.6, 0.4, 0.4}},
		{Seed: 2, Episodes: []float64{0.8, 0.6, 0.6, 0.6}}})
	require.InDeltaSlice(t, []float64{0.5, 0.5, 0.65}, s.PerSeed, 1e-12)
	require.InDelta(t, 0.55, s.Mean, 1e-12)
	require.InDelta(t, 0.26919597192305883, s.Interval.Lo, 1e-9)
	require.InDelta(t, 0.8308040280769411, s.Interval.Hi, 1e-9)
	require.False(t, s.Interval.Clipped)
	require.Equal(t, MethodHierT, s.Interval.Method)
	require.False(t, s.Conditional.Ok())
	require.Equal(t, "55.00 [26.92, 83.08]", AccuracyCell(s))

	// two seeds 0.6 and 0.8 on constant episodes: 0.7 ± 12.706 * 0.1
	// leaves [0, 1], so it is clipped and says so
	two := SummarizeSeeds([]Run{constRun(0, 0.6, 50), constRun(1, 0.8, 50)})
	require.Equal(t, 0.0, two.Interval.Lo)
	require.Equal(t, 1.0, two.Interval.Hi)
	require.True(t, two.Interval.Clipped)
	require.Equal(t, "70.00 [0.00, 100.00] (clipped)", AccuracyCell(two))

	same := SummarizeSeeds([]Run{constRun(0, 0.9, 10), constRun(1, 0.9, 10), constRun(2, 0.9, 10)})
	require.InDelta(t, 0.9, same.Interval.Lo, 1e-12)
	require.InDelta(t, 0.9, same.Interval.Hi, 1e-12)

	// one seed: no interval over training runs; over its episodes the
	// bootstrap is close to the normal interval mean ± 1.96 s/sqrt(n)
	eps := make([]float64, 400)
	for i := range eps {
		eps[i] = 1
		if i%4 == 0 {
			eps[i] = 0.8
		}
	}
	one := SummarizeSeeds([]Run{{Seed: 3, Episodes: eps}})
	require.False(t, one.Interval.Ok())
	require.True(t, one.Conditional.Ok())
	require.Equal(t, MethodEpisodes, one.Conditional.Method)
	m, sd := meanStd(eps)
	half := 1.96 * sd / math.Sqrt(400)
	require.InDelta(t, m-half, one.Conditional.Lo, 0.002)
	require.InDelta(t, m+half, one.Conditional.Hi, 0.002)
	// per-image 0/1 outcomes of one seed: Wilson's interval
	wil := SummarizeSeeds([]Run{{Seed: 3, Episodes: []float64{1, 1, 0, 1, 1, 1, 1, 1, 1, 1}}})
	require.Equal(t, Wilson(9, 10, 0.95), wil.Conditional)
	require.Contains(t, AccuracyCell(one), "1 seed; episodes [")

	// a pure function of its input: the same bits twice
	runs := randomRuns(rand.New(rand.NewPCG(1, 2)), 4, 75)
	require.Equal(t, SummarizeSeeds(runs), SummarizeSeeds(runs))
	require.Equal(t, 0, SummarizeSeeds(nil).K())
	require.Equal(t, "-", AccuracyCell(SummarizeSeeds(nil)))
}

// randomRuns draws k seeds of n episodes in steps of 1/15, with a seed
// effect and extreme rows (every episode right, or wrong) among them.
func randomRuns(rng *rand.Rand, k, n int) []Run {
	runs := make([]Run, k)
	for s := range runs {
		base := rng.Float64()
		if rng.IntN(4) == 0 {
			base = float64(rng.IntN(2)) // 0 or 1: at the bounds
		}
		eps := make([]float64, n)
		for i := range eps {
			x := base + 0.3*rng.NormFloat64()
			eps[i] = math.Round(15*min(max(x, 0), 1)) / 15
		}
		runs[s] = Run{Seed: int64(s), Episodes: eps}
	}
	return runs
}

// Every interval metabench prints stays within [0, 100] (differences within
// [-100, 100]), whatever the seeds' results.
func TestIntervalsStayInRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 300 {
		k := 1 + rng.IntN(6)
		runs := randomRuns(rng, k, 2+rng.IntN(40))
		s := SummarizeSeeds(runs)
		for _, iv := range []Interval{s.Interval, s.Conditional} {
			if iv.Ok() {
				require.GreaterOrEqual(t, iv.Lo, 0.0, "trial %d", trial)
				require.LessOrEqual(t, iv.Hi, 1.0, "trial %d", trial)
				require.LessOrEqual(t, iv.Lo, iv.Hi)
			}
		}
		other := randomRuns(rng, k, len(runs[0].Episodes))
		c, err := ContrastSeeds(runs, other)
		require.NoError(t, err)
		if c.Interval.Ok() {
			require.GreaterOrEqual(t, c.Interval.Lo, -1.0)
			require.LessOrEqual(t, c.Interval.Hi, 1.0)
		}
		kk, nn := rng.IntN(30), 1+rng.IntN(30)
		w := Wilson(min(kk, nn), nn, 0.95)
		require.True(t, w.Lo >= 0 && w.Hi <= 1 && w.Lo < w.Hi, "%+v", w)
	}
	// the extreme row of the old tables ("66.18 ± 67.88"): three bimodal seeds
	s := SummarizeSeeds([]Run{constRun(0, 0.822, 600), constRun(1, 0.817, 600), constRun(2, 0.346, 600)})
	require.Equal(t, 0.0, s.Interval.Lo)
	require.Equal(t, 1.0, s.Interval.Hi)
	require.True(t, s.Interval.Clipped)
}

// Wilson's interval against published values (z = 1.96), with width at 0
// and n successes where the Wald interval has none.
func TestWilson(t *testing.T) {
	for _, c := range []struct {
		k, n   int
		lo, hi float64
	}{{0, 10, 0, 0.2775}, {5, 10, 0.2366, 0.7634}, {10, 100, 0.0552, 0.1744}, {10, 10, 0.7225, 1}} {
		w := Wilson(c.k, c.n, 0.95)
		require.InDelta(t, c.lo, w.Lo, 1e-4, "%d/%d", c.k, c.n)
		require.InDelta(t, c.hi, w.Hi, 1e-4, "%d/%d", c.k, c.n)
	}
	r := &Record{Kind: "adapt", Episodes: []float64{1, 1, 1, 1}, Summary: Summary{Mean: 1, N: 4}}
	iv := EpisodeInterval(r)
	require.Equal(t, MethodWilson, iv.Method)
	require.Less(t, iv.Lo, 1.0, "width at 100%")
	noEps := &Record{Kind: "adapt", Summary: Summary{Mean: 0, CI95: 0, N: 2000}}
	require.Greater(t, EpisodeInterval(noEps).Hi, 0.0, "width at 0%")
	ep := &Record{Kind: "eval", Episodes: []float64{0.9, 1, 1}, Summary: Summary{Mean: 0.99, CI95: 0.05, N: 3}}
	require.Equal(t, 1.0, EpisodeInterval(ep).Hi, "clipped")
}

// McNemar's exact test by hand: 3 items only a gets right, 1 only b:
// p = 2 P(Bin(4, 1/2) <= 1) = 2 (1 + 4) / 16.
func TestMcNemar(t *testing.T) {
	n01, n10, p, err := McNemar([]float64{1, 1, 1, 0, 0, 1}, []float64{0, 0, 0, 0, 1, 1})
	require.NoError(t, err)
	require.Equal(t, 1, n01)
	require.Equal(t, 3, n10)
	require.InDelta(t, 10.0/16, p, 1e-12)
	_, _, p, err = McNemar([]float64{1, 0}, []float64{1, 0})
	require.NoError(t, err)
	require.Equal(t, 1.0, p)
	_, _, _, err = McNemar([]float64{0.5}, []float64{1})
	require.ErrorContains(t, err, "not 0/1")
}

// FormatP never prints a subnormal number.
func TestFormatP(t *testing.T) {
	require.Equal(t, "<0.0001", FormatP(6.21e-321))
	require.Equal(t, "0.0742", FormatP(0.07417990022744858))
	require.Equal(t, "-", FormatP(math.NaN()))
}

// ArchCurve reads a search record's curve whether it was built in memory or
// read back from JSON; ArchPlot draws it.
func TestArchCurve(t *testing.T) {
	r := &Record{RunID: "s", Extra: map[string]any{"arch_curve": []map[string]any{
		{"iter": 5, "entropy_normal": 0.99, "entropy_reduce": 0.98, "max_dalpha": 0.01, "genotype": "g1"},
		{"iter": 10, "entropy_normal": 0.9, "entropy_reduce": 0.95, "max_dalpha": 0.02, "genotype": "g2"}}}}
	pts, err := ArchCurve(r)
	require.NoError(t, err)
	require.Equal(t, []ArchCurvePoint{{5, 0.99, 0.98, 0.01, "g1"}, {10, 0.9, 0.95, 0.02, "g2"}}, pts)
	back := &Record{RunID: "s", Extra: map[string]any{"arch_curve": []any{map[string]any{"iter": 5.0, "entropy_normal": 0.5, "genotype": "x"}}}}
	pts, err = ArchCurve(back)
	require.NoError(t, err)
	require.Equal(t, 5, pts[0].Iter)
	none, err := ArchCurve(&Record{})
	require.NoError(t, err)
	require.Nil(t, none)
	_, err = ArchCurve(&Record{RunID: "bad", Extra: map[string]any{"arch_curve": "nonsense"}})
	require.ErrorContains(t, err, "record bad: arch_curve")
	p, err := ArchPlot("t", []ArchSeries{{Name: "a", Points: pts}})
	require.NoError(t, err)
	require.NotNil(t, p)
	_, err = ArchPlot("t", nil)
	require.Error(t, err)
}
