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
	r := &Row{Unit: "transfer", Step: "run " + target}
	for i := range curves {
		rec := &reports.Record{Kind: "adapt", Proto: reports.Protocol{Ways: 10, EvalEpisode: len(correct[i])}, Episodes: correct[i],
			Extra: map[string]any{"target": target, "frozen_arch": arch == ArchFrozen, "scratch": arch == ArchScratch}}
		rec.Dataset.SHA256, rec.Dataset.Split = "abc", target+": 4 test images"
		for e, a := range curves[i] {
			rec.Adapt = append(rec.Adapt, reports.Point{Step: e, Accuracy: a})
		}
		r.Seeds = append(r.Seeds, int64(i))
		r.Records = append(r.Records, rec)
	}
	return r
}

// The curves are means over seeds per epoch with the t interval; adapted
// is paired with frozen and scratch image by image over the seeds.
func TestCurvesAndContrasts(t *testing.T) {
	ad := adaptRow("mnist", ArchAdapted, [][]float64{{0.1, 0.5, 0.75}, {0.1, 0.7, 0.75}}, [][]float64{{1, 1, 1, 0}, {1, 1, 0, 1}})
	fr := adaptRow("mnist", ArchFrozen, [][]float64{{0.1, 0.4, 0.5}, {0.1, 0.6, 0.5}}, [][]float64{{1, 0, 1, 0}, {1, 0, 0, 1}})
	sc := adaptRow("mnist", ArchScratch, [][]float64{{0.2, 0.3, 0.75}}, [][]float64{{1, 1, 1, 0}})
	final := &Row{Unit: "transfer", Step: "final", Seeds: []int64{0}, Records: []*reports.Record{{Kind: "adapt"}}}
	curves := Curves([]*Row{ad, fr, final, sc})
	require.Len(t, curves, 3, "the final network's row has no curve")
	require.Equal(t, []string{ArchAdapted, ArchFrozen, ArchScratch}, []string{curves[0].Arch, curves[1].Arch, curves[2].Arch})
	require.Equal(t, []int{0, 1, 2}, curves[0].Epochs)
	require.InDelta(t, 0.6, curves[0].Acc[1].Mean, 1e-12)
	// two seeds 0.5, 0.7: sd 0.1414, t(1) 12.706, interval 12.706 * 0.1 = 1.2706
	require.InDelta(t, 12.7062*0.1, curves[0].Acc[1].CI95, 1e-3)
	require.Equal(t, 0.0, curves[0].Acc[2].CI95)
	require.Equal(t, 1, curves[2].Acc[0].N)

	cs := Contrasts(curves, reports.DefaultCompareOptions())
	require.Len(t, cs, 2)
	require.Equal(t, ArchFrozen, cs[0].Baseline)
	c := cs[0].Pair.Comparison
	require.NotNil(t, c, "%+v", cs[0].Pair)
	require.Equal(t, 2, cs[0].Pair.Seeds)
	require.Equal(t, 8, c.N)
	require.InDelta(t, 0.25, c.Diff, 1e-12) // images: +1 on two of eight
	require.Equal(t, 1, cs[1].Pair.Seeds, "scratch ran seed 0 only")
	require.InDelta(t, 0, cs[1].Pair.Comparison.Diff, 1e-12)

	var buf bytes.Buffer
	require.NoError(t, CurvesTable("transfer", 1, "x", curves, cs).Render(&buf, reports.FormatText))
	out := buf.String()
	for _, s := range []string{"epoch 2", "60.0 ± 127.1", "75.0", "transfer, mnist: adapted - frozen", "+25.00 points", "over 8 test images of 2 seeds"} {
		require.Contains(t, out, s)
	}
	p, err := CurvesFigure("fig", curves)
	require.NoError(t, err)
	require.NotNil(t, p)
}
