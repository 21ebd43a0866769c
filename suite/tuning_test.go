package suite

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
)

// tuningSet makes exp.yaml (writeSuite) a tuning run: no test evaluation,
// scored on validation episodes (R36).
const tuningSet = "[eval.episodes=0, eval.val_episodes=2]"

// TestTuningUnitRefusals: a unit whose run tests nothing (eval.episodes 0)
// takes no extra evaluation protocol (a train unit, or a search unit whose
// final network is a tuning run), no place in a reproduction suite and not
// the reference's role; each error names the key.
func TestTuningUnitRefusals(t *testing.T) {
	search := strings.Replace(strings.Replace(tinySearch(t), "eval.episodes=4", "eval.episodes=0", 1), "eval.val_episodes=0", "eval.val_episodes=2", 1)
	for _, c := range []struct{ name, body, want string }{
		{"evals", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: tune, file: exp.yaml, set: " + tuningSet + ", evals: [{id: e, shots: 5}]}]\n", "units[0].evals (tune): the unit is a tuning run (eval.episodes 0)"},
		{"search final evals", "name: s\nversion: 1\nseeds: [0]\nunits:\n" + search + "    evals: [{id: e, shots: 2}]\n", "units[0].evals (search): the unit is a tuning run (eval.episodes 0)"},
		{"reproduction", "name: s\nversion: 1\nseeds: [0]\nreproduction: true\nunits: [{id: tune, file: exp.yaml, set: " + tuningSet + "}]\n", "units[0] (tune): the unit is a tuning run (eval.episodes 0)"},
		{"reference", "name: s\nversion: 1\nseeds: [0]\nreference: tune\nunits: [{id: a, file: exp.yaml}, {id: tune, file: exp.yaml, set: " + tuningSet + "}]\n", "reference: tune is a tuning run (eval.episodes 0)"},
		{"no validation", "name: s\nversion: 1\nseeds: [0]\nunits: [{id: tune, file: exp.yaml, set: [eval.episodes=0]}]\n", "eval.episodes: 0 runs no test evaluation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeSuite(t, c.body))
			require.ErrorContains(t, err, c.want)
			require.NotContains(t, err.Error(), "\n")
		})
	}
	// the same search unit without evals is a suite
	_, err := Load(writeSuite(t, "name: s\nversion: 1\nseeds: [0]\nunits:\n"+search))
	require.NoError(t, err)
}

// TestTuningUnitTable: a suite with a tuning unit beside a tested one runs;
// through the store its record stays marked (no test episodes, the last
// validation point as summary), and the suite's table shows the validation
// accuracy as such, never in the accuracy, paper or contrast columns;
// nightly checks leave it out.
func TestTuningUnitTable(t *testing.T) {
	p := writeSuite(t, "name: s\nversion: 1\nseeds: [0]\nunits:\n"+
		"  - {id: tested, file: exp.yaml}\n"+
		"  - {id: tune, file: exp.yaml, set: "+tuningSet+"}\n")
	s, err := Load(p)
	require.NoError(t, err)
	st, err := store.Open(filepath.Join(t.TempDir(), "r.db"))
	require.NoError(t, err)
	defer st.Close()
	_, err = Run(context.Background(), s, Options{Store: st, Out: filepath.Join(t.TempDir(), "runs")})
	require.NoError(t, err)
	recs, _, err := Records(context.Background(), st, "s", "")
	require.NoError(t, err)
	rows := Rows(recs)
	require.Len(t, rows, 2)
	tested, tune := rows[0], rows[1]
	require.Equal(t, "tune", tune.Unit)
	rec := tune.Records[0]
	require.True(t, rec.NoTest(), "the store dropped the mark")
	require.Empty(t, rec.Episodes)
	require.NotEmpty(t, rec.Curve)
	require.Equal(t, rec.Curve[len(rec.Curve)-1].Accuracy, rec.Summary.Mean)
	require.Equal(t, 2, rec.Summary.N)
	require.Equal(t, 0, tune.Accuracy.K(), "a validation accuracy counted as a test accuracy")
	require.Equal(t, 1, tested.Accuracy.K())

	var buf bytes.Buffer
	tab := Table("s", 1, "", rows, "tested", Against(rows, "tested"))
	require.NoError(t, tab.Render(&buf, reports.FormatText))
	cells := tab.Rows[1]
	require.Equal(t, fmt.Sprintf("validation %% (last point, no test): %.1f", 100*rec.Summary.Mean), cells[5])
	require.Equal(t, NoTestCell, cells[6])
	require.Equal(t, "-", cells[7], "paper")
	require.Equal(t, "-", cells[13], "contrast with the reference")
	require.Contains(t, buf.String(), NoTestNote)
	require.NotContains(t, tab.Rows[0][5], "validation")

	// the tuning unit as the reference gives the others no contrast
	vs := Against(rows, "tune")
	require.Contains(t, vs[tested].Missing, "tune ran no test (eval.episodes 0: a tuning run)")

	// nightly: no check of the tuning row
	checks := Nightly([][]*Row{rows}, rows, reports.DefaultNightlyOptions())
	require.False(t, slices.ContainsFunc(checks, func(c reports.NightlyCheck) bool { return c.Unit == "tune" }))
	require.True(t, slices.ContainsFunc(checks, func(c reports.NightlyCheck) bool { return c.Unit == "tested" }))

	// the runs table and paired comparisons say so too
	rr := reports.NewRunRows([]reports.Record{*rec})
	require.True(t, rr[0].NoTest)
	require.Nil(t, rr[0].Ref)
	require.True(t, strings.HasPrefix(reports.RunsTable(rr).Rows[0][5], "no test; validation "), reports.RunsTable(rr).Rows[0][5])
	_, err = reports.Compare(tested.Records[0], rec, reports.DefaultCompareOptions())
	require.ErrorContains(t, err, "ran no test evaluation")
}

// TestTuningSeedsBesideTestedOnes: a row whose seeds mix a tuning run and
// a tested run scores the tested seed only and shows the tuning seed's
// validation accuracy beside it, as such.
func TestTuningSeedsBesideTestedOnes(t *testing.T) {
	id := func(sd int64) *reports.SuiteID {
		return &reports.SuiteID{Name: "s", Version: 1, Unit: "u", Step: StepRun, Seed: sd}
	}
	recs := []*reports.Record{
		{Kind: "train", Method: "maml", Suite: id(0), Summary: reports.Summary{Mean: 0.5, CI95: 0.1, N: 2},
			Extra: map[string]any{reports.ExtraNoTest: reports.NoTestNote}},
		{Kind: "train", Method: "maml", Suite: id(1), Episodes: []float64{1, 0.5}},
	}
	rows := Rows(recs)
	require.Len(t, rows, 1)
	require.Equal(t, 1, rows[0].Accuracy.K())
	require.InDelta(t, 0.75, rows[0].Accuracy.Mean, 1e-12)
	tab := Table("s", 1, "", rows, "", nil)
	require.Equal(t, "75.0; validation % (last point, no test): 50.0, -", tab.Rows[0][5])
	require.Contains(t, tab.Notes, NoTestNote)
}
