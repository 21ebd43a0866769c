package suite

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/reports"
)

// TestReproductionTable: the shipped reproduction suite gives one row per
// unit; a run unit shows its seeds, the interval over them, the difference
// from the paper and its compute beside the paper's; a unit not run says so
// and is priced at a measured rate of its kind where one exists.
func TestReproductionTable(t *testing.T) {
	s, err := Load("../benchmarks/suites/reproduce-omniglot.yaml")
	require.NoError(t, err)
	require.True(t, s.Reproduction)
	var recs []*reports.Record
	for sd, acc := range []float64{0.985, 0.990} {
		eps := make([]float64, 50)
		for i := range eps {
			eps[i] = acc + 0.01*float64(i%3-1)
		}
		recs = append(recs, &reports.Record{Kind: "train", Method: "protonets", Iters: 6000, CPUSec: 7200,
			Config: map[string]any{"meta_batch": 1.0}, Episodes: eps, Summary: reports.Summarize(eps),
			Dataset: reports.Dataset{Format: "omniglot"}, Proto: reports.Protocol{Ways: 5, Shots: 1, TrainWays: 60},
			Suite: &reports.SuiteID{Name: s.Name, Version: s.Version, Unit: "protonets-5w1s", Step: StepRun, Seed: int64(sd)}})
	}
	maml := &reports.Record{Kind: "train", Method: "maml", Iters: 1000, CPUSec: 3600, Config: map[string]any{"meta_batch": 8.0},
		Proto: reports.Protocol{Ways: 5, Shots: 1}}
	tbl, err := ReproductionTable(s, Rows(recs), []*reports.Record{maml})
	require.NoError(t, err)
	require.Len(t, tbl.Rows, len(s.Units))
	pn := tbl.Rows[0]
	require.Equal(t, "protonets-5w1s", pn[0])
	require.Contains(t, pn[1], "98.8 (Snell et al. 2017")
	require.Equal(t, "2", pn[3])
	require.True(t, strings.HasPrefix(pn[5], "-0.07 ["), pn[5]) // seeds 98.48 and 98.98: 98.73 - 98.8
	require.Equal(t, "6000 / 6000", pn[6])
	require.Equal(t, "2.00", pn[7])
	var mamlRow []string
	for _, r := range tbl.Rows {
		if r[0] == "maml-5w1s" {
			mamlRow = r
		}
	}
	require.Equal(t, "not run", mamlRow[4])
	require.Equal(t, "- / 1.92 M", mamlRow[6])
	// 0.45 CPU-seconds a task (3600 s / 8000 tasks) x 1.92 M tasks = 240 CPU-hours
	require.Equal(t, "not run; about 240 at the maml 5w1s rate measured here", mamlRow[7])
	var b bytes.Buffer
	require.NoError(t, tbl.Render(&b, reports.FormatMarkdown))
	require.Contains(t, b.String(), "Reproduction: reproduce-omniglot")
}
