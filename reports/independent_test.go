package reports

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContrastIndependent: a worked example whose difference, interval,
// degrees of freedom and p were computed outside Go (numpy for the
// moments, mpmath's regularised incomplete beta for the t quantile and
// tail); with no episode variance and equal spreads of two seeds a side
// Welch's df is exactly 2 (quantile 4.302653); one seed on a side gives
// the difference and no interval; unequal episode counts and NaNs fail.
func TestContrastIndependent(t *testing.T) {
	a := []Run{{Seed: 0, Episodes: []float64{0.4, 0.6}}, {Seed: 1, Episodes: []float64{0.5, 0.7}}}
	b := []Run{{Seed: 0, Episodes: []float64{0.6, 0.8}}, {Seed: 1, Episodes: []float64{0.8, 0.8}}, {Seed: 2, Episodes: []float64{0.7, 0.9}}}
	c, err := ContrastIndependent(a, b)
	require.NoError(t, err)
	assert.Equal(t, 2, c.KA)
	assert.Equal(t, 3, c.KB)
	assert.InDelta(t, 0.216666666666667, c.Mean, 1e-12)
	assert.InDelta(t, 2.75238095238095, c.DF, 1e-10)
	assert.InDelta(t, 3.15296312547233, c.T, 1e-9)
	assert.InDelta(t, 0.0574964693793693, c.P, 1e-8)
	assert.InDelta(t, -0.0135889859445533, c.Interval.Lo, 1e-8)
	assert.InDelta(t, 0.446922319277886, c.Interval.Hi, 1e-8)
	assert.Equal(t, MethodWelch, c.Interval.Method)

	// pooled case: every episode of a run scores alike, so d_i is constant
	flat := func(seed int64, acc float64) Run { return Run{Seed: seed, Episodes: []float64{acc, acc, acc}} }
	c, err = ContrastIndependent([]Run{flat(0, 0.5), flat(1, 0.6)}, []Run{flat(7, 0.55), flat(9, 0.65)})
	require.NoError(t, err)
	assert.InDelta(t, 2, c.DF, 1e-9)
	se := math.Sqrt(0.005/2 + 0.005/2)
	assert.InDelta(t, 0.05-4.302652729749462*se, c.Interval.Lo, 1e-9)
	assert.InDelta(t, 0.05+4.302652729749462*se, c.Interval.Hi, 1e-9)

	// one seed of A: the difference, no interval
	c, err = ContrastIndependent(a[:1], b)
	require.NoError(t, err)
	assert.False(t, c.Interval.Ok())
	assert.True(t, math.IsNaN(c.P))
	assert.InDelta(t, 0.766666666666667-0.5, c.Mean, 1e-12)

	_, err = ContrastIndependent(a, []Run{{Seed: 0, Episodes: []float64{0.5}}})
	assert.ErrorContains(t, err, "1 episodes")
	_, err = ContrastIndependent(a, []Run{{Seed: 3, Episodes: []float64{0.5, math.NaN()}}})
	assert.ErrorContains(t, err, "seed 3: episode 1 has a NaN")
	_, err = ContrastIndependent(nil, b)
	assert.Error(t, err)
}
