package reports

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// An adapt run's Markdown: one row per adaptation (the prior's genotype for a
// frozen one), then per target with a table its final networks with the
// Wilson interval of their error.
func TestAdaptTablesMarkdown(t *testing.T) {
	tr := &AdaptTables{Rule: "base", PriorGenotype: "p",
		Adaptations: []Adaptation{
			{EpochCurve: EpochCurve{Target: "a", Arch: ArchAdapted, Epochs: []int{0, 1}, Acc: []float64{0.1, 0.5}}, TrainSec: 2, Genotype: "g"},
			{EpochCurve: EpochCurve{Target: "a", Arch: ArchFrozen, Epochs: []int{0, 1}, Acc: []float64{0.1, 0.4}}, TrainSec: 2, Genotype: "p"},
		}}
	md := tr.Markdown()
	require.Contains(t, md, "| a | adapted | 10.0 | 50.0 | 2.0s | `g` |")
	require.Contains(t, md, "| a | frozen | 10.0 | 40.0 | 2.0s | (the prior's) |")
	require.NotContains(t, md, "Final networks", "no rows, no table")

	tr.Final = FinalSetup{Cells: 2, Channels: 4, StemStride: 2, Epochs: 1, Batch: 20, LR: 0.05}
	tr.Targets = []FinalTarget{{Name: "a", TrainImages: 40, TrainOf: 50, Tests: 10, Size: 16}}
	row := FinalRow{Target: "a", Row: "tuned on the target", Genotype: "g", Params: 5700, Cost: "adaptation 2.0s"}
	row.SetScore(5, 10)
	tr.Rows = []FinalRow{row}
	md = tr.Markdown()
	require.Contains(t, md, "### a (40 training images of 50, 10 test images, 16x16)")
	require.Contains(t, md, "| tuned on the target | 50.0 [23.7, 76.3] | 5.7 k | adaptation 2.0s | `g` |")
}

// The adaptation figures: Figure 4 and both PCA panels; a panel whose
// points do not move is left out.
func TestWriteAdaptFigures(t *testing.T) {
	run := func(arch string, w ...[]float64) Adaptation {
		return Adaptation{EpochCurve: EpochCurve{Target: "a", Arch: arch, Epochs: []int{0, 1, 2}, Acc: []float64{0.1, 0.5, 0.6}}, Weights: w, Logits: w}
	}
	dir := t.TempDir()
	moved := [][]float64{{0, 0}, {1, 2}, {2, 3.5}}
	paths, err := WriteAdaptFigures(dir, []Adaptation{run(ArchAdapted, moved...), run(ArchScratch, moved...)})
	require.NoError(t, err)
	require.Len(t, paths, 6)
	for _, p := range paths {
		_, err := os.Stat(p)
		require.NoError(t, err)
	}
	still := [][]float64{{1, 1}, {1, 1}, {1, 1}}
	paths, err = WriteAdaptFigures(filepath.Join(dir, "still"), []Adaptation{run(ArchAdapted, still...)})
	require.NoError(t, err)
	require.Len(t, paths, 2, "Figure 4 only")
}
