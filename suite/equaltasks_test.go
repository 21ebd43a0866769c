package suite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/reports"
)

// TestPageSectionEqualTasks: a folder of docs/records holding
// scripts/maml_vs_torch.sh's output in a subfolder gets a section with the
// comparison at every task count both sides reached (the Welch interval
// over the independent seeds, or "untested" where a side has one seed),
// linking the plots that make results drew beside it; a folder with only
// one side gets none.
func TestPageSectionEqualTasks(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "maml-vs-torch", "state")
	eps := func(base float64) []float64 { return []float64{base, base + 0.05, base - 0.05, base} }
	for _, seed := range []int64{0, 1} {
		d := filepath.Join(out, "metabench", fmt.Sprintf("seed%d", seed))
		require.NoError(t, os.MkdirAll(d, 0o755))
		for _, it := range []int{100, 400} {
			rec := &reports.Record{Schema: reports.SchemaVersion, RunID: "r", Kind: "train", Method: "maml", Seed: seed, Iters: it,
				TrainSec: float64(it), Episodes: eps(0.8 + float64(it)/4000 + 0.01*float64(seed)), Extra: map[string]any{"meta_batch": 8}}
			require.NoError(t, reports.WriteJSON(filepath.Join(d, fmt.Sprintf("record-%d.json", it*8)), rec))
		}
	}
	require.NoError(t, os.MkdirAll(filepath.Join(out, "torch"), 0o755))
	ref := func(seed int64, points ...reports.ReferencePoint) {
		b, err := json.Marshal(reports.ReferenceResults{Seed: seed, Points: points})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(out, "torch", fmt.Sprintf("seed%d.json", seed)), b, 0o644))
	}
	ref(0, reports.ReferencePoint{Tasks: 800, TrainSeconds: 150, Episodes: eps(0.83)}, reports.ReferencePoint{Tasks: 3200, TrainSeconds: 600, Episodes: eps(0.9)})
	ref(1, reports.ReferencePoint{Tasks: 800, TrainSeconds: 160, Episodes: eps(0.82)})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "maml-vs-torch", "maml_vs_torch_tasks.svg"), []byte("<svg/>"), 0o644))
	// one side only: no section
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "half", "torch"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "half", "torch", "seed0.json"), []byte(`{"seed": 0, "points": []}`), 0o644))

	var b bytes.Buffer
	require.NoError(t, WritePageSections(&b, dir))
	page := b.String()
	base := filepath.Base(dir)
	require.Equal(t, 1, strings.Count(page, "## metabench against pytorch at equal tasks"), page)
	require.Contains(t, page, "Runs: `"+base+"/maml-vs-torch/state/`")
	lines := strings.Split(page, "\n")
	row := func(tasks string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, "| "+tasks+" ") {
				return l
			}
		}
		t.Fatalf("no row of %s tasks:\n%s", tasks, page)
		return ""
	}
	require.Contains(t, row("800"), "| yes ")
	require.Contains(t, row("3200"), "untested (1 seed of pytorch)")
	require.Contains(t, page, "]("+base+"/maml-vs-torch/maml_vs_torch_tasks.svg)")
	require.NotContains(t, page, "maml_vs_torch_wallclock.svg", "a plot that is not there is not linked")
}
