package suite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metabench/metabench/store"
	"github.com/stretchr/testify/require"
)

// tinySearch is a search unit of the smoke suite's size on the shipped
// BASE Gumbel file, with the final training of its network.
func tinySearch(t *testing.T) string {
	t.Helper()
	f, err := filepath.Abs("../benchmarks/omniglot-5w1s-base-gumbel.yaml")
	require.NoError(t, err)
	return fmt.Sprintf(`  - id: search
    kind: search
    file: %s
    set: [ways=3, queries=1, search.variant=fd, search.iterations=3, search.budget=0, search.meta_batch=2, search.network.cells=1, search.network.channels=2, search.network.stem_stride=2, "search.network.reductions=[]", search.derive.tasks=1, search.final.cells=3, search.final.channels=4, search.final.stem_stride=1, checkpoint_every=0]
    final: {set: [iterations=2, budget=0, meta_batch=1, eval.episodes=4, eval.queries=2, eval.val_episodes=0]}
`, f)
}

func TestFromBadInput(t *testing.T) {
	search := tinySearch(t)
	head := "name: s\nversion: 1\nseeds: [0]\nunits:\n"
	for _, c := range []struct{ name, units, want string }{
		{"from on a search unit", search + "  - {id: m, kind: search, from: search, file: exp.yaml}\n", "units[1].from: only a train unit meta-trains a search unit's derived network"},
		{"from with a file", search + "  - {id: m, from: search, file: exp.yaml}\n", "units[1].file: a unit with from trains the train.yaml its search writes; remove file"},
		{"from a train unit", "  - {id: a, file: exp.yaml}\n  - {id: m, from: a}\n", `units[1].from: "a" is not a search unit listed before it`},
		{"from a later unit", "  - {id: m, from: search}\n" + search, `units[0].from: "search" is not a search unit listed before it`},
		{"seed the search lacks", search + "  - {id: m, from: search, seeds: [0, 1]}\n", `units[1].seeds: seed 1 has no run of from unit "search"`},
		{"bad override", search + "  - {id: m, from: search, set: [model.match_params=conv5]}\n", `units[1] (m): model.match_params: "conv5": want conv4`},
		{"prior on a train unit", "  - {id: a, file: exp.yaml, prior: b}\n", "units[0].prior: an adapt unit, and only an adapt unit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := writeSuite(t, head+c.units)
			_, err := Load(p)
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
			require.NotContains(t, err.Error(), "\n")
		})
	}
}

// TestFromUnitTrainsTheSearchedGenotype: a from-unit trains the genotype
// its search derived, here at Conv-4's parameter count, on its search's
// shard.
func TestFromUnitTrainsTheSearchedGenotype(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	p := writeSuite(t, "name: s\nversion: 1\nseeds: [0]\nset: [workers=2]\nunits:\n"+tinySearch(t)+
		"  - {id: matched, from: search, set: [model.match_params=conv4, iterations=2, budget=0, meta_batch=1, eval.episodes=4, eval.queries=2, eval.val_episodes=0]}\n")
	s, err := Load(p)
	require.NoError(t, err)
	jobs := s.Jobs()
	require.Len(t, jobs, 2)
	require.Equal(t, jobs[0].Group, jobs[1].Group, "a from-unit runs on its search's shard")

	st, err := store.Open(filepath.Join(t.TempDir(), "r.db"))
	require.NoError(t, err)
	defer st.Close()
	_, err = Run(context.Background(), s, Options{Store: st, Out: filepath.Join(t.TempDir(), "runs")})
	require.NoError(t, err)
	all, err := st.List(context.Background(), store.Filter{})
	require.NoError(t, err)
	recs, _ := Select(all, "s", "")
	rows := Rows(recs)
	require.Len(t, rows, 3) // search run, its final, the matched training
	final, matched := rows[1].Records[0], rows[2].Records[0]
	require.Equal(t, []string{"search", "final", "matched", "run"}, []string{rows[1].Unit, rows[1].Step, rows[2].Unit, rows[2].Step})
	fm, mm := final.Config["model"].(map[string]any), matched.Config["model"].(map[string]any)
	require.Equal(t, fm["name"], mm["name"], "the same genotype file")
	require.Equal(t, "conv4", mm["match_params"])
	const conv4 = 112131 // Conv-4 on 28x28, 3-way: 768 + 3·37056 + 64·3 + 3
	require.InEpsilon(t, conv4, matched.Params, 0.1)
	require.Less(t, final.Params, matched.Params)
	require.True(t, strings.HasSuffix(matched.Model, fmt.Sprintf("-C%v", mm["filters"])), matched.Model)
}
