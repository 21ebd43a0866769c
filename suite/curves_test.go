package suite

import (
	"bytes"
	"testing"

	"github.com/metabench/metabench/reports"
	"github.com/stretchr/testify/require"
)

// adaptRow is one way of training on one target over seeds: each seed's
// accuracy per epoch and its per-image outcomes after the last.
func adaptRow(target, arch string, curves [][]float64, correct [][]float64) *Row {
	r := &Row{Unit: "adapt", Step: "run " + target}
	for i := range curves {
		rec := &reports.Record{Kind: "adapt", Proto: reports.Protocol{Ways: 10, EvalEpisode: len(correct[i])}, Episodes: correct[i],
			Target: &reports.Target{Name: target, Arch: arch}}
		rec.Dataset.SHA256, rec.Dataset.Split = "abc", target+": 4 test images"
		for e, a := range curves[i] {
			rec.Adapt = append(rec.Adapt, reports.Point{Step: e, Accuracy: a})
		}
		r.Seeds = append(r.Seeds, int64(i))
		r.Records = append(r.Records, rec)
	}
	return r
}

// The curves are means over seeds per epoch with the bootstrap interval over
// seeds; adapted is contrasted with frozen and scratch per seed on the same
// images, with McNemar per seed.
func TestCurvesAndContrasts(t *testing.T) {
	ad := adaptRow("mnist", reports.ArchAdapted, [][]float64{{0.1, 0.5, 0.75}, {0.1, 0.7, 0.75}}, [][]float64{{1, 1, 1, 0}, {1, 1, 0, 1}})
	fr := adaptRow("mnist", reports.ArchFrozen, [][]float64{{0.1, 0.4, 0.5}, {0.1, 0.6, 0.5}}, [][]float64{{1, 0, 1, 0}, {1, 0, 0, 1}})
	sc := adaptRow("mnist", reports.ArchScratch, [][]float64{{0.2, 0.3, 0.75}}, [][]float64{{1, 1, 1, 0}})
	final := &Row{Unit: "adapt", Step: "final", Seeds: []int64{0}, Records: []*reports.Record{{Kind: "adapt"}}}
	curves := Curves([]*Row{ad, fr, final, sc})
	require.Len(t, curves, 3, "the final network's row has no curve")
	require.Equal(t, []string{reports.ArchAdapted, reports.ArchFrozen, reports.ArchScratch}, []string{curves[0].Arch, curves[1].Arch, curves[2].Arch})
	require.Equal(t, []int{0, 1, 2}, curves[0].Epochs)
	require.InDelta(t, 0.6, curves[0].Acc[1].Mean, 1e-12)
	// two seeds 0.5, 0.7: 0.6 ± 12.706 * 0.1, clipped to [0, 1]
	require.Equal(t, 0.0, curves[0].Acc[1].Interval.Lo)
	require.Equal(t, 1.0, curves[0].Acc[1].Interval.Hi)
	require.True(t, curves[0].Acc[1].Interval.Clipped)
	require.InDelta(t, 0.75, curves[0].Acc[2].Interval.Hi, 1e-12, "both seeds 0.75")
	require.Equal(t, 1, curves[2].Acc[0].K())
	require.False(t, curves[2].Acc[0].Interval.Ok(), "one seed: no interval over seeds")

	cs := Contrasts(curves)
	require.Len(t, cs, 2)
	require.Equal(t, reports.ArchFrozen, cs[0].Baseline)
	c := cs[0].Pair.Contrast
	require.NotNil(t, c, "%+v", cs[0].Pair)
	require.Equal(t, 2, c.K())
	// per seed: +1 on one image of four, twice
	require.InDeltaSlice(t, []float64{0.25, 0.25}, c.D, 1e-12)
	require.Len(t, cs[0].McNemar, 2)
	require.Equal(t, SeedMcNemar{Seed: 0, N01: 1, N10: 0, P: 1}, cs[0].McNemar[0])
	require.Equal(t, 1, cs[1].Pair.Contrast.K(), "scratch ran seed 0 only")
	require.InDelta(t, 0, cs[1].Pair.Contrast.Mean, 1e-12)

	var buf bytes.Buffer
	require.NoError(t, CurvesTable("adapt", 1, "x", curves, cs).Render(&buf, reports.FormatText))
	out := buf.String()
	for _, s := range []string{"epoch 2", "60.0 [0.0, 100.0]*", "75.0", "adapt, mnist: adapted - frozen", "+25.00 points [", "over 2 seeds",
		"seed 0: 1 vs 0 images, p=1", "one family for Holm"} {
		require.Contains(t, out, s)
	}
	p, err := CurvesFigure("fig", curves)
	require.NoError(t, err)
	require.NotNil(t, p)
}
