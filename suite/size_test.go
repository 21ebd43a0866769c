package suite

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/search/genotype"
	"github.com/stretchr/testify/require"
)

func TestSizeCells(t *testing.T) {
	rec := func(params int, macs any) *reports.Record {
		r := &reports.Record{Params: params, Extra: map[string]any{}}
		if macs != nil {
			r.Extra[experiment.ExtraMACs] = macs
		}
		return r
	}
	for _, c := range []struct {
		recs          []*reports.Record
		params, macss string
	}{
		{[]*reports.Record{rec(112261, 9815360), rec(112261, 9815360.0)}, "112261", "9.82"},
		{[]*reports.Record{rec(110033, 3695112), rec(111358, 3712148.0), rec(117800, 3941490)}, "110033, 111358, 117800", "3.70, 3.71, 3.94"},
		{[]*reports.Record{rec(35941, nil)}, "35941", "-"},
		{[]*reports.Record{rec(55757, nil), rec(66325, 2215424)}, "55757, 66325", "-, 2.22"},
	} {
		r := &Row{Records: c.recs}
		require.Equal(t, c.params, ParamsCell(r))
		require.Equal(t, c.macss, MACsCell(r))
	}
	row := &Row{Unit: "darts-v2-maml-matched", Step: StepRun, Seeds: []int64{0}, Records: []*reports.Record{rec(113060, 4413810)}}
	var b bytes.Buffer
	require.NoError(t, Table("s", 1, "", []*Row{row}, "", nil).Render(&b, reports.FormatMarkdown))
	require.Contains(t, b.String(), "| params | MACs (M) |")
	require.Contains(t, b.String(), "| 113060 | 4.41     |")
	require.True(t, strings.Contains(b.String(), SizeNote))
}

// TestTable4Sizes sizes every network of the committed few-shot table
// (docs/records/paper-table4-omniglot, version 3): at its natural size the
// count must be the one its training recorded, and at Conv-4's parameter
// count (model.match_params: conv4) it must land within 10%. The log is the
// table of docs/DECISIONS.md R26.
func TestTable4Sizes(t *testing.T) {
	set, err := reports.ReadRecordSet("../docs/records/paper-table4-omniglot")
	require.NoError(t, err)
	recs, version := Select(set.All(), "paper-table4-omniglot", "t4v3")
	require.Equal(t, 3, version)
	const side, grey, ways = 28, 1, 5 // Omniglot 28x28, 5-way
	conv4 := nn.NewConv4[float32](grey, side, config.MAMLConv4Filters, ways)
	target := conv4.ParamCount()
	t.Logf("| row | seed | natural C | params | MACs (M) | matched C | params (vs Conv-4) | MACs (M) |")
	t.Logf("| maml-conv4 | all | 64 filters | %d | %.2f | - | - | - |", target, float64(conv4.MACs())/1e6)
	rows := Rows(recs)
	for _, r := range rows {
		trained := r
		var geno func(i int) *genotype.Genotype
		switch {
		case r.Unit == "darts-v2-maml" && r.Step == StepRun:
			geno = func(int) *genotype.Genotype { g, _ := genotype.Builtin("darts-v2"); return g }
		case r.Method == "base-softmax" || r.Method == "base-gumbel":
			trained = rows[slices.IndexFunc(rows, func(x *Row) bool { return x.Unit == r.Unit && x.Step == StepFinal })]
			geno = func(i int) *genotype.Genotype {
				g, err := genotype.ParseString(r.Records[i].Extra["genotype"].(string))
				require.NoError(t, err)
				return g
			}
		default:
			continue
		}
		for i, sd := range r.Seeds {
			rec := trained.Records[slices.Index(trained.Seeds, sd)]
			m := rec.Config["model"].(map[string]any)
			spec, err := search.ParseModelName(m["name"].(string))
			require.NoError(t, err)
			cfg := spec.FinalConfig(int(m["filters"].(float64)), grey, side, ways)
			g := geno(i)
			net, err := search.NewFinalNet(g, cfg)
			require.NoError(t, err)
			natural, naturalC := net.Cost(side), cfg.Channels
			require.Equal(t, rec.Params, natural.Params, "%s seed %d: the count its training recorded", r.Unit, sd)
			c, p, err := search.MatchChannels(g, cfg, target, search.MatchTolerance)
			require.NoError(t, err, "%s seed %d", r.Unit, sd)
			cfg.Channels = c
			net, err = search.NewFinalNet(g, cfg)
			require.NoError(t, err)
			matched := net.Cost(side)
			require.Equal(t, p, matched.Params)
			require.InEpsilon(t, target, p, search.MatchTolerance)
			t.Logf("| %s | %d | %d | %d | %.2f | %d | %d (%+.1f%%) | %.2f |", r.Unit, sd, naturalC, natural.Params, float64(natural.MACs)/1e6,
				c, p, 100*float64(p-target)/float64(target), float64(matched.MACs)/1e6)
		}
	}
}
