package suite

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/metabench/metabench/reports"
	"github.com/stretchr/testify/require"
)

// night is a synthetic nightly run: per unit, seeds whose per-episode
// accuracies (in steps of 1/75, 600 episodes) are a unit mean, a fixed
// difficulty per episode (the same test episodes every night) and a
// training-run effect per seed of standard deviation sd.
type night struct {
	label string
	rows  []*Row
}

var nightUnits = []struct {
	unit, step string
	mean       float64
	proto      reports.Protocol
}{
	{"maml-5w1s", StepRun, 0.90, reports.Protocol{Ways: 5, Shots: 1, Queries: 15, StepsTest: 3, EvalEpisode: 600, EvalSeed: 2024}},
	{"maml-5w1s", "5shot", 0.96, reports.Protocol{Ways: 5, Shots: 5, Queries: 15, StepsTest: 5, EvalEpisode: 600, EvalSeed: 2024}},
	{"fomaml-5w1s", StepRun, 0.86, reports.Protocol{Ways: 5, Shots: 1, Queries: 15, StepsTest: 3, EvalEpisode: 600, EvalSeed: 2024}},
	{"reptile-5w1s", StepRun, 0.88, reports.Protocol{Ways: 5, Shots: 1, Queries: 15, StepsTest: 50, EvalEpisode: 600, EvalSeed: 2024}},
}

// episodeDifficulty is fixed: the test episodes are the same every night.
var episodeDifficulty = func() []float64 {
	rng := rand.New(rand.NewPCG(2024, 0))
	d := make([]float64, 600)
	for i := range d {
		d[i] = 0.08 * rng.NormFloat64()
	}
	return d
}()

// synthNight draws a night: seeds' training-run effects from rng (so two
// nights drawn from the same rng state reproduce each other bit for bit),
// shift added to every unit's mean.
func synthNight(label string, rng *rand.Rand, seeds []int64, sd, shift float64) night {
	n := night{label: label}
	for _, u := range nightUnits {
		r := &Row{Unit: u.unit, Step: u.step}
		for _, s := range seeds {
			eff := sd * rng.NormFloat64()
			eps := make([]float64, len(episodeDifficulty))
			for i, d := range episodeDifficulty {
				x := u.mean + shift + eff + d + 0.03*rng.NormFloat64()
				eps[i] = math.Round(75*min(max(x, 0), 1)) / 75
			}
			rec := &reports.Record{Kind: "train", Label: label, Method: "m", Proto: u.proto, Episodes: eps, Summary: reports.Summarize(eps)}
			rec.Dataset.SHA256, rec.Dataset.Split = "abc", "groups:seed=0:test"
			r.Seeds = append(r.Seeds, s)
			r.Records = append(r.Records, rec)
		}
		n.rows = append(n.rows, r)
	}
	return n
}

var fiveSeeds = []int64{0, 1, 2, 3, 4}

// The seed-to-seed spread of MAML Conv-4 5-way 1-shot seed means observed
// in the committed records (about 0.6 points).
const observedSD = 0.006

// (a) identical runs reproduce, bit for bit, and nothing is tested.
func TestNightlyIdenticalRunsReproduce(t *testing.T) {
	base := synthNight("a", rand.New(rand.NewPCG(1, 1)), fiveSeeds, observedSD, 0)
	cand := synthNight("b", rand.New(rand.NewPCG(1, 1)), fiveSeeds, observedSD, 0)
	opt := reports.DefaultNightlyOptions()
	checks := Nightly([][]*Row{base.rows}, cand.rows, opt)
	require.Len(t, checks, len(nightUnits))
	for _, c := range checks {
		require.Empty(t, c.Problem)
		require.True(t, c.Reproduced, c.Unit)
		require.Len(t, c.Repro, 5)
		for _, r := range c.Repro {
			require.True(t, r.Identical)
		}
	}
	require.Equal(t, reports.NightlyPass, reports.NightlyVerdict(checks, opt))
	opt.RequireIdentical = true
	require.Equal(t, reports.NightlyPass, reports.NightlyVerdict(checks, opt))
	require.Contains(t, reports.NightlyMarkdown("nightly", "b", []string{"a"}, checks, opt), "reproduced: no change")
}

// (a) a changed episode is reported with its index; informational by
// default, a failure under RequireIdentical.
func TestNightlyChangedEpisode(t *testing.T) {
	base := synthNight("a", rand.New(rand.NewPCG(1, 1)), fiveSeeds, observedSD, 0)
	cand := synthNight("b", rand.New(rand.NewPCG(1, 1)), fiveSeeds, observedSD, 0)
	eps := cand.rows[2].Records[3].Episodes
	if eps[17] >= 1.0/75 {
		eps[17] -= 1.0 / 75
	} else {
		eps[17] += 1.0 / 75
	}
	opt := reports.DefaultNightlyOptions()
	checks := Nightly([][]*Row{base.rows}, cand.rows, opt)
	c := checks[2]
	require.Equal(t, "fomaml-5w1s", c.Unit)
	require.False(t, c.Repro[3].Identical)
	require.Equal(t, 17, c.Repro[3].FirstDiff)
	require.Equal(t, 1, c.Repro[3].Differ)
	require.True(t, c.Repro[2].Identical)
	require.NotNil(t, c.Regression, "a changed run is a new training run: tested")
	require.False(t, c.Regression.Regressed)
	require.Equal(t, reports.NightlyPass, reports.NightlyVerdict(checks, opt))
	md := reports.NightlyMarkdown("nightly", "b", []string{"a"}, checks, opt)
	require.Contains(t, md, "differs from episode 17")
	opt.RequireIdentical = true
	require.Equal(t, reports.NightlyRegression, reports.NightlyVerdict(checks, opt))
}

// (b) a planted 3-point drop over 5 seeds fails the night.
func TestNightlyPlantedDrop(t *testing.T) {
	base := synthNight("a", rand.New(rand.NewPCG(3, 1)), fiveSeeds, observedSD, 0)
	cand := synthNight("b", rand.New(rand.NewPCG(4, 1)), fiveSeeds, observedSD, 0)
	drop := synthNight("b", rand.New(rand.NewPCG(4, 1)), fiveSeeds, observedSD, -0.03)
	cand.rows[0] = drop.rows[0] // only MAML 1-shot drops
	opt := reports.DefaultNightlyOptions()
	checks := Nightly([][]*Row{base.rows}, cand.rows, opt)
	require.True(t, checks[0].Regression.Regressed, "%+v", checks[0].Regression)
	for _, c := range checks[1:] {
		require.False(t, c.Regression.Regressed, c.Unit)
	}
	require.Equal(t, reports.NightlyRegression, reports.NightlyVerdict(checks, opt))
	require.Contains(t, reports.NightlyMarkdown("nightly", "b", []string{"a"}, checks, opt), "REGRESSION")
}

// (b) pure seed noise of the observed size passes in at least 95% of 200
// simulated nights (Holm over the night's units; margin one point).
func TestNightlySeedNoisePasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	opt := reports.DefaultNightlyOptions()
	fails := 0
	for range 200 {
		base := synthNight("a", rng, fiveSeeds, observedSD, 0)
		cand := synthNight("b", rng, fiveSeeds, observedSD, 0)
		if reports.NightlyVerdict(Nightly([][]*Row{base.rows}, cand.rows, opt), opt) != reports.NightlyPass {
			fails++
		}
	}
	t.Logf("%d of 200 noise-only nights failed", fails)
	require.LessOrEqual(t, fails, 10, "%d of 200 noise-only nights failed", fails)
}

// Pooling earlier nights: a run held by two baseline labels counts once;
// a new training run adds a seed.
func TestNightlyPoolsBaselines(t *testing.T) {
	n1 := synthNight("n1", rand.New(rand.NewPCG(8, 1)), fiveSeeds, observedSD, 0)
	n1again := synthNight("n2", rand.New(rand.NewPCG(8, 1)), fiveSeeds, observedSD, 0)
	n3 := synthNight("n3", rand.New(rand.NewPCG(9, 1)), fiveSeeds, observedSD, 0)
	cand := synthNight("c", rand.New(rand.NewPCG(10, 1)), fiveSeeds, observedSD, 0)
	opt := reports.DefaultNightlyOptions()
	checks := Nightly([][]*Row{n1.rows, n1again.rows}, cand.rows, opt)
	require.Equal(t, 5, checks[0].Regression.KBase, "the same runs twice")
	checks = Nightly([][]*Row{n1.rows, n3.rows}, cand.rows, opt)
	require.Equal(t, 10, checks[0].Regression.KBase)
	require.Len(t, checks[0].Repro, 5, "reproduction against the first label")
}

// A unit without a comparable baseline, or with another protocol, exits 2;
// so does a night with nothing to check.
func TestNightlyNoComparableBaseline(t *testing.T) {
	base := synthNight("a", rand.New(rand.NewPCG(1, 1)), fiveSeeds, observedSD, 0)
	cand := synthNight("b", rand.New(rand.NewPCG(2, 1)), fiveSeeds, observedSD, 0)
	opt := reports.DefaultNightlyOptions()
	checks := Nightly([][]*Row{base.rows[1:]}, cand.rows, opt)
	require.Contains(t, checks[0].Problem, "no baseline record")
	require.Equal(t, reports.NightlyNoBaseline, reports.NightlyVerdict(checks, opt))
	require.Contains(t, reports.NightlyMarkdown("nightly", "b", []string{"a"}, checks, opt), "exit 2")

	other := synthNight("b", rand.New(rand.NewPCG(2, 1)), fiveSeeds, observedSD, 0)
	for _, rec := range other.rows[3].Records {
		rec.Proto.StepsTest = 10
	}
	checks = Nightly([][]*Row{base.rows}, other.rows, opt)
	require.Contains(t, checks[3].Problem, "protocol.steps_test (50 vs 10)")
	require.Equal(t, reports.NightlyNoBaseline, reports.NightlyVerdict(checks, opt))

	one := synthNight("b", rand.New(rand.NewPCG(2, 1)), []int64{7}, observedSD, 0)
	lone := synthNight("a", rand.New(rand.NewPCG(3, 1)), []int64{8}, observedSD, 0)
	checks = Nightly([][]*Row{lone.rows}, one.rows, opt)
	require.Contains(t, checks[0].Problem, "need 3 in all")
	require.Equal(t, reports.NightlyNoBaseline, reports.NightlyVerdict(checks, opt))
	require.Equal(t, reports.NightlyNoBaseline, reports.NightlyVerdict(nil, opt))
}
