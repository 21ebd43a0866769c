package reports

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// The nightly regression test by hand: seed means 0.90, 0.91, 0.92 against
// 0.88, 0.89, 0.90, margin 0.01: pooled sd 0.01, se 0.01 sqrt(2/3), df 4,
// t = (-0.02 + 0.01)/se = -1.2247, p = F_4(t) with F_4(t) = 1/2 + (3/8)
// (t/sqrt(1+t^2/4)) (1 - t^2/(12 (1+t^2/4))).
func TestRegressionKnownValues(t *testing.T) {
	r, err := TestRegression([]float64{0.90, 0.91, 0.92}, []float64{0.88, 0.89, 0.90}, 0.01, 0.05)
	require.NoError(t, err)
	require.Equal(t, 4, r.DF)
	require.InDelta(t, -0.02, r.Diff, 1e-12)
	require.InDelta(t, 0.01, r.SD, 1e-12)
	require.InDelta(t, -1.224744871391589, r.T, 1e-9)
	require.InDelta(t, 0.14393206736334535, r.P, 1e-9)
	require.InDelta(t, -0.0025935438816923825, r.Upper, 1e-8)
	require.False(t, r.Regressed, "the drop is not surely larger than the margin")

	big, err := TestRegression([]float64{0.90, 0.91, 0.92}, []float64{0.85, 0.86, 0.87}, 0.01, 0.05)
	require.NoError(t, err)
	require.True(t, big.Regressed)
	require.Less(t, big.Upper, -0.01)

	// Holm across the night: 0.03 alone would fail, with 0.04 beside it not
	a, b := &Regression{P: 0.03, Alpha: 0.05}, &Regression{P: 0.04, Alpha: 0.05}
	AdjustRegressions([]*Regression{a, b})
	require.InDelta(t, 0.06, a.PHolm, 1e-15)
	require.False(t, a.Regressed || b.Regressed)

	_, err = TestRegression([]float64{0.9}, []float64{0.8}, 0.01, 0.05)
	require.ErrorContains(t, err, "need 3 in all")
	_, err = TestRegression(nil, []float64{0.8, 0.9}, 0.01, 0.05)
	require.ErrorContains(t, err, "at least one on each side")
	// one candidate seed against a spread baseline is a test
	_, err = TestRegression([]float64{0.9, 0.91}, []float64{0.8}, 0.01, 0.05)
	require.NoError(t, err)
}

// Reproduce finds the first episode whose bits differ.
func TestReproduce(t *testing.T) {
	a := Run{Seed: 2, Episodes: []float64{0.8, 0.6, 1, 0.4}}
	r := Reproduce(a, a)
	require.True(t, r.Identical)
	require.Equal(t, -1, r.FirstDiff)
	b := Run{Seed: 2, Episodes: []float64{0.8, 0.6, 0.8, 0.2}}
	r = Reproduce(a, b)
	require.False(t, r.Identical)
	require.Equal(t, 2, r.FirstDiff)
	require.Equal(t, 2, r.Differ)
	require.Contains(t, r.String(), "differs from episode 2")
	negZero := Run{Seed: 2, Episodes: []float64{0.8, 0.6, 1, math.Copysign(0, -1)}}
	require.False(t, Reproduce(Run{Episodes: []float64{0.8, 0.6, 1, 0}}, negZero).Identical, "bit for bit")
	short := Reproduce(a, Run{Seed: 2, Episodes: a.Episodes[:3]})
	require.False(t, short.Identical)
	require.Equal(t, 3, short.FirstDiff)
}

// The detectable difference by the formula: paired, k = 5, sd 1 point:
// (t_{0.975,4} + t_{0.8,4}) * 0.01/sqrt(5) = (2.776445 + 0.940965) * 0.004472.
func TestPower(t *testing.T) {
	p := DefaultPower(0.01)
	require.InDelta(t, 0.016624762674507507, p.Detectable(5, true), 1e-8)
	require.Greater(t, p.Detectable(5, false), p.Detectable(5, true), "two groups need more")
	require.True(t, math.IsNaN(p.Detectable(1, true)))
	k := p.SeedsFor(0.01, true, 100)
	require.LessOrEqual(t, p.Detectable(k, true), 0.01)
	require.Greater(t, p.Detectable(k-1, true), 0.01)
	require.Equal(t, 0, p.SeedsFor(1e-6, true, 10), "none up to the limit")
}
