package suite

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/reports"
)

// curveRecord is a train record whose validation curve has the accuracy
// acc(i) at iterations 500, 1000, ..., last.
func curveRecord(last int, acc func(int) float64) *reports.Record {
	return curveRecordEvery(500, last, acc)
}

// curveRecordEvery is curveRecord with a point every `every` iterations.
func curveRecordEvery(every, last int, acc func(int) float64) *reports.Record {
	rec := &reports.Record{Kind: "train"}
	for it := every; it <= last; it += every {
		rec.Curve = append(rec.Curve, reports.Point{Iter: it, Accuracy: acc(it)})
	}
	return rec
}

// TestPlateaus: gains are taken over exact doublings and paired by seed;
// the budget is the first point whose doubling gained less than the delta,
// and a later larger gain marks it unsettled.
func TestPlateaus(t *testing.T) {
	// accuracy rising by 3 points per doubling up to 2000 iterations, then
	// by 0.5: flat first at 4000 (the doubling 2000 -> 4000)
	logCurve := func(off float64) func(int) float64 {
		return func(it int) float64 {
			d := math.Log2(float64(it) / 500)
			if d <= 2 {
				return 0.80 + off + 0.03*d
			}
			return 0.86 + off + 0.005*(d-2)
		}
	}
	row := &Row{Unit: "maml-conv4", Step: "run", Seeds: []int64{0, 1, 2},
		Records: []*reports.Record{curveRecord(8000, logCurve(0)), curveRecord(8000, logCurve(0.01)), curveRecord(8000, logCurve(-0.01))}}
	search := &Row{Unit: "search", Step: "search", Seeds: []int64{0}, Records: []*reports.Record{{Kind: "search"}}}
	ps := Plateaus([]*Row{row, search}, DefaultPlateauGain)
	require.Len(t, ps, 1, "a row without curve points is left out")
	p := ps[0]
	require.Equal(t, 4000, p.Budget)
	require.True(t, p.Flat)
	byIter := map[int]PlateauPoint{}
	for _, pt := range p.Points {
		byIter[pt.Iter] = pt
		require.Equal(t, 3, pt.Acc.K())
	}
	require.Len(t, p.Points, 16)
	require.Nil(t, byIter[1500].Gain, "750 is not a point")
	require.InDelta(t, 0.03, byIter[1000].Gain.Mean, 1e-12)
	require.InDelta(t, 0.03, byIter[2000].Gain.Mean, 1e-12)
	require.InDelta(t, 0.005, byIter[4000].Gain.Mean, 1e-12)
	require.InDelta(t, 0.005, byIter[8000].Gain.Mean, 1e-12)
	require.InDelta(t, 0.865, byIter[4000].Acc.Mean, 1e-12)
	require.Nil(t, byIter[1000].Slope, "two points in [500, 1000]: no slope")
	require.InDelta(t, 0.03, byIter[2000].Slope.Mean, 1e-12, "log-linear: the slope is the gain")
	require.InDelta(t, 0.005, byIter[4000].Slope.Mean, 1e-12)
	require.Equal(t, 3, byIter[4000].Slope.K())

	// a curve that jumps again after its first flat doubling is not settled
	jump := func(it int) float64 {
		if it >= 8000 {
			return 0.95
		}
		return logCurve(0)(it)
	}
	row2 := &Row{Unit: "u", Step: "run", Seeds: []int64{0, 1}, Records: []*reports.Record{curveRecord(8000, jump), curveRecord(8000, jump)}}
	p2 := Plateaus([]*Row{row2}, DefaultPlateauGain)[0]
	require.Equal(t, 4000, p2.Budget)
	require.False(t, p2.Flat)

	tab := PlateauTable("s", 1, "l", append(ps, p2))
	require.Len(t, tab.Rows, 32)
	require.Contains(t, tab.Notes[0], "first flat at iteration 4000")
	require.Contains(t, tab.Notes[1], "not settled")

	// never flat
	steep := &Row{Unit: "v", Step: "run", Seeds: []int64{0}, Records: []*reports.Record{curveRecord(2000, logCurve(0))}}
	p3 := Plateaus([]*Row{steep}, DefaultPlateauGain)[0]
	require.Zero(t, p3.Budget)
	require.Contains(t, PlateauTable("s", 1, "", []Plateau{p3}).Notes[0], "not flat yet")

	// points by wall clock, none at exactly half of another: no gain
	odd := &reports.Record{Curve: []reports.Point{{Iter: 37, Accuracy: 0.8}, {Iter: 81, Accuracy: 0.85}, {Iter: 127, Accuracy: 0.87}}}
	p4 := Plateaus([]*Row{{Unit: "w", Step: "run", Seeds: []int64{0}, Records: []*reports.Record{odd}}}, DefaultPlateauGain)[0]
	require.Contains(t, PlateauTable("s", 1, "", []Plateau{p4}).Notes[0], "no two points lie exactly a doubling apart")
}

// TestPlateausSlopeReadsEveryPoint: one noisy end point makes the gain of a
// doubling look flat; the slope fitted to every point of the doubling does
// not, and the budget follows the slope.
func TestPlateausSlopeReadsEveryPoint(t *testing.T) {
	// 2 points per doubling everywhere (steep), a point every 250 iterations
	// (as plateau-omniglot), but the point at 2000 sits 1.2 points high: the
	// gain 2000 -> 4000 reads 0.8 of a point
	steep := func(it int) float64 {
		a := 0.80 + 0.02*math.Log2(float64(it)/500)
		if it == 2000 {
			a += 0.012
		}
		return a
	}
	row := &Row{Unit: "u", Step: "run", Seeds: []int64{0, 1}, Records: []*reports.Record{curveRecordEvery(250, 8000, steep), curveRecordEvery(250, 8000, steep)}}
	p := Plateaus([]*Row{row}, DefaultPlateauGain)[0]
	pt := p.at(4000)
	require.NotNil(t, pt)
	require.InDelta(t, 0.008, pt.Gain.Mean, 1e-12, "the end points say flat")
	require.Greater(t, pt.Slope.Mean, 0.0125, "the nine points of [2000, 4000] say more than a point per doubling")
	require.Zero(t, p.Budget, "no doubling's slope is under a point")
	tab := PlateauTable("s", 1, "", []Plateau{p})
	require.Contains(t, tab.Notes[0], "not flat yet")
	require.Contains(t, tab.Notes[len(tab.Notes)-1], "least-squares slope")
	require.Equal(t, "4000", tab.Rows[15][2])
	require.Empty(t, tab.Rows[15][7], "4000 is not marked flat")

	// the budget note names the slope
	flat := func(it int) float64 { return 0.9 + 0.002*math.Log2(float64(it)) }
	p2 := Plateaus([]*Row{{Unit: "v", Step: "run", Seeds: []int64{0}, Records: []*reports.Record{curveRecord(4000, flat)}}}, DefaultPlateauGain)[0]
	require.Equal(t, 1000, p2.Budget, "1000 has only two points: its gain decides")
	p3 := Plateaus([]*Row{{Unit: "v", Step: "run", Seeds: []int64{0}, Records: []*reports.Record{curveRecord(4000, func(it int) float64 {
		if it <= 500 {
			return 0.5
		}
		return flat(it)
	})}}}, DefaultPlateauGain)[0]
	require.Equal(t, 2000, p3.Budget)
	require.Contains(t, PlateauTable("s", 1, "", []Plateau{p3}).Notes[0], "the slope over the doubling from 1000 is under 1.00 points")
}

// TestPlateausReadOnlyValidationPoints: a metatrain record's curve holds
// training statistics (the training tasks' own query accuracy, at every
// iteration) and, with eval.val_tasks, validation points marked as such;
// Plateaus reads the marked points only, and a search or metatrain record
// without them (every record written before the mark) is left out.
func TestPlateausReadOnlyValidationPoints(t *testing.T) {
	prior := func(off float64, val bool) *reports.Record {
		rec := &reports.Record{Kind: "metatrain"}
		for it := 1; it <= 8; it++ {
			rec.Curve = append(rec.Curve, reports.Point{Iter: it, Accuracy: 0.9, Loss: 0.3})
			if val && it%2 == 0 {
				rec.Curve = append(rec.Curve, reports.Point{Iter: it, Accuracy: 0.5 + off + 0.1*math.Log2(float64(it)), CI95: 0.02, Validation: true})
			}
		}
		return rec
	}
	row := &Row{Unit: "prior", Step: "run", Seeds: []int64{0, 1}, Records: []*reports.Record{prior(0, true), prior(0.01, true)}}
	old := &Row{Unit: "old-prior", Step: "run", Seeds: []int64{0}, Records: []*reports.Record{prior(0, false)}}
	search := &Row{Unit: "search", Step: "search", Seeds: []int64{0}, Records: []*reports.Record{{Kind: "search", Curve: []reports.Point{{Iter: 4, Accuracy: 0.7}}}}}
	ps := Plateaus([]*Row{row, old, search}, DefaultPlateauGain)
	require.Len(t, ps, 1, "rows without validation points are left out")
	var iters []int
	for _, pt := range ps[0].Points {
		iters = append(iters, pt.Iter)
	}
	require.Equal(t, []int{2, 4, 6, 8}, iters)
	require.InDelta(t, 0.1, ps[0].Points[1].Gain.Mean, 1e-12, "the gain 2 -> 4 of the validation accuracy")
	require.InDelta(t, 0.705, ps[0].Points[1].Acc.Mean, 1e-12)
}

// TestPageSectionPlateau: a results-page section shows the validation
// curves read for a plateau budget, and links plateau.svg, only when a
// curve has points a doubling apart (eval.every_iterations); curves placed
// by wall clock leave the section as it was.
func TestPageSectionPlateau(t *testing.T) {
	dir := t.TempDir()
	write := func(sub string, iter func(i int) int) {
		d := filepath.Join(dir, sub)
		require.NoError(t, os.MkdirAll(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, File), []byte("name: "+sub+"\nversion: 1\nseeds: [0, 1]\nunits: []\n"), 0o644))
		for sd := range int64(2) {
			rec := curveRecord(4000, func(it int) float64 { return 0.8 + 0.01*float64(sd) + float64(it)/1e5 })
			for i := range rec.Curve {
				rec.Curve[i].Iter = iter(i)
			}
			rec.RunID, rec.Seed, rec.Method = fmt.Sprintf("train-%s-%d", sub, sd), sd, "maml"
			rec.Suite = &reports.SuiteID{Name: sub, Version: 1, Unit: "maml-conv4", Seed: sd, Step: StepRun}
			rec.Episodes = []float64{0.8, 0.9, 0.85}
			rec.Summary = reports.Summarize(rec.Episodes)
			require.NoError(t, reports.WriteJSON(filepath.Join(d, rec.RunID+".json"), rec))
		}
	}
	write("doublings", func(i int) int { return 500 * (i + 1) }) // 500, 1000, ..., 4000
	write("wallclock", func(i int) int { return 700 + 800*i })   // 700, 1500, 2300, ...: none at half of another
	require.NoError(t, os.WriteFile(filepath.Join(dir, "doublings", "plateau.svg"), []byte("<svg/>"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wallclock", "plateau.svg"), []byte("<svg/>"), 0o644))
	var b bytes.Buffer
	require.NoError(t, WritePageSections(&b, dir))
	page := b.String()
	at := strings.Index(page, "## Suite wallclock")
	require.Positive(t, at)
	doubling, wall := page[:at], page[at:]
	require.Contains(t, doubling, "validation accuracy against iterations, and the gain over each doubling")
	require.Contains(t, doubling, "![Validation curves, doublings]("+filepath.Base(dir)+"/doublings/plateau.svg)")
	require.NotContains(t, wall, "gain over each doubling")
	require.NotContains(t, wall, "plateau.svg")
}
