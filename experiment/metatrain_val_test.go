package experiment

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/multitask"
	"github.com/metabench/metabench/reports"
)

// tinyValMetatrain is the tiny metatrain file (8 px only) with the
// multi-task validation on: 3 validation tasks every 2 of 5 meta-iterations.
func tinyValMetatrain(t *testing.T, sets ...string) *config.MetatrainFile {
	t.Helper()
	cfg, err := config.LoadMetatrain("testdata/tiny-metatrain.yaml", append([]string{
		"sources=[{name: om8, path: embedded, size: 8}]", "network.heads=[{size: 8, stride: 2}]", "metatrain.iterations=5",
		"eval.val_fraction=0.1", "eval.val_tasks=3", "eval.every_iterations=2"}, sets...))
	require.NoError(t, err)
	return cfg
}

// runMetatrain runs cfg into a fresh folder and returns its record and
// checkpoint.
func runMetatrain(t *testing.T, cfg *config.MetatrainFile) (*reports.Record, *multitask.Checkpoint) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "prior")
	rec, err := Metatrain(context.Background(), cfg, Options{Out: out})
	require.NoError(t, err)
	ck, err := multitask.LoadCheckpoint(filepath.Join(out, multitask.CheckpointFile))
	require.NoError(t, err)
	return rec, ck
}

// curveIters are the iterations of points.
func curveIters(points []reports.Point) []int {
	var out []int
	for _, p := range points {
		out = append(out, p.Iter)
	}
	return out
}

// withoutWall is the curve without its wall clock (which no two runs share).
func withoutWall(points []reports.Point) []reports.Point {
	out := slices.Clone(points)
	for i := range out {
		out[i].WallSec = 0
	}
	return out
}

// TestMetatrainValidationClassesHeldOut: with eval.val_fraction every
// source's classes are split the same way whatever the run's seed, the
// validation tasks draw only held-out classes and the training tasks
// never do.
func TestMetatrainValidationClassesHeldOut(t *testing.T) {
	cfg := tinyValMetatrain(t, "sources=[{name: om8, path: embedded, size: 8}, {name: om16, path: embedded, size: 16}]",
		"network.heads=[{size: 8, stride: 2}, {size: 16, stride: 4}]")
	d, err := openMetatrainData(cfg)
	require.NoError(t, err)
	require.Len(t, d.splits, 2)
	require.Equal(t, d.splits[0], d.splits[1], "one data set at two sizes holds out the same classes")
	sp := d.splits[0]
	require.GreaterOrEqual(t, len(sp.Val), 10)
	val := map[int]bool{}
	for _, c := range sp.Val {
		val[c] = true
	}
	for _, c := range sp.Train {
		require.False(t, val[c], "class %d both sides of the split", c)
	}
	sizes := map[int]bool{}
	for i := range 40 {
		for _, c := range d.stream.Task(i).Classes {
			require.False(t, val[c], "training task %d draws validation class %d", i, c)
		}
		vt := d.val.Task(i)
		sizes[d.val.Components()[vt.Component].Size] = true
		for _, c := range vt.Classes {
			require.True(t, val[c], "validation task %d draws training class %d", i, c)
		}
	}
	require.Equal(t, map[int]bool{8: true, 16: true}, sizes, "validation tasks follow the sources' mixture")

	other := tinyValMetatrain(t, "seed=7")
	d7, err := openMetatrainData(other)
	require.NoError(t, err)
	require.Equal(t, d.splits[0], d7.splits[0], "the split does not depend on the run's seed")
	require.Equal(t, d.val.Task(0), d7.val.Task(0), "nor do the validation tasks")
	other.Eval.Seed = 3
	d3, err := openMetatrainData(other)
	require.NoError(t, err)
	require.NotEqual(t, d.splits[0], d3.splits[0], "eval.seed picks the split")
}

// TestMetatrainValidationCurve: validation points fall at the multiples of
// eval.every_iterations and at the last meta-iteration, marked apart from
// the training statistics (which report --plateau does not read) and
// adapted at the temperature of the last meta-iteration done; validating
// leaves Θ and the training statistics as they are without it; the curve
// is the same at 1 and 2 workers.
func TestMetatrainValidationCurve(t *testing.T) {
	cfg := tinyValMetatrain(t)
	rec, ck := runMetatrain(t, cfg)
	val := rec.ValidationCurve()
	require.Equal(t, []int{2, 4, 5}, curveIters(val))
	require.Len(t, ck.Val, 3)
	s := metatrainSettings(cfg)
	for i, p := range val {
		require.True(t, p.Validation)
		require.Equal(t, ck.Val[i].Acc, p.Accuracy)
		require.Equal(t, ck.Val[i].Iter, p.Iter)
		require.Equal(t, s.Tau(p.Iter-1), ck.Val[i].Tau)
		require.Positive(t, p.CI95+p.Accuracy, "an accuracy or a spread over the tasks")
	}
	var train []reports.Point
	for _, p := range rec.Curve {
		if !p.Validation {
			train = append(train, p)
		}
	}
	require.Equal(t, []int{1, 2, 3, 4, 5}, curveIters(train))
	require.Equal(t, train[4].Accuracy, rec.Summary.Mean, "the summary stays the training tasks' query accuracy")
	require.Equal(t, val[2].Accuracy, rec.Extra["last_val_acc"])

	// the same classes held out, no validation: the same Θ and training curve
	quiet, qck := runMetatrain(t, tinyValMetatrain(t, "eval.val_tasks=0", "eval.every_iterations=0"))
	require.Empty(t, quiet.ValidationCurve())
	require.Equal(t, ck.Theta, qck.Theta, "validation changed training")
	require.Equal(t, withoutWall(train), withoutWall(quiet.Curve))

	// one worker
	one, ock := runMetatrain(t, tinyValMetatrain(t, "workers=1"))
	require.Equal(t, withoutWall(rec.Curve), withoutWall(one.Curve), "the curve depends on the workers")
	require.Equal(t, ck.Theta, ock.Theta)
}

// TestMetatrainValidationResumes: a run interrupted twice and resumed ends
// with the curve, validation points included, of an uninterrupted one.
func TestMetatrainValidationResumes(t *testing.T) {
	cfg := tinyValMetatrain(t)
	var recs []*reports.Record
	whole, parts := interruptedTwice(t, func(opt Options) error {
		rec, err := Metatrain(context.Background(), cfg, opt)
		if err == nil {
			recs = append(recs, rec)
		}
		return err
	})
	require.Len(t, recs, 2)
	require.Equal(t, withoutWall(recs[0].Curve), withoutWall(recs[1].Curve))
	require.Equal(t, []int{2, 4, 5}, curveIters(recs[1].ValidationCurve()))
	a, err := multitask.LoadCheckpoint(filepath.Join(whole, multitask.CheckpointFile))
	require.NoError(t, err)
	b, err := multitask.LoadCheckpoint(filepath.Join(parts, multitask.CheckpointFile))
	require.NoError(t, err)
	require.Equal(t, a.Theta, b.Theta)
	require.Len(t, b.Val, 3)
	for i := range a.Val {
		require.Equal(t, a.Val[i].Acc, b.Val[i].Acc)
		require.Equal(t, a.Val[i].CI95, b.Val[i].CI95)
	}
}

// TestMetatrainValidationOffByDefault: a file without an eval block (every
// shipped file) writes no eval key into its configuration, record or
// checkpoint, splits no classes and draws no validation point.
func TestMetatrainValidationOffByDefault(t *testing.T) {
	cfg, err := config.LoadMetatrain("testdata/tiny-metatrain.yaml", []string{"sources=[{name: om8, path: embedded, size: 8}]", "network.heads=[{size: 8, stride: 2}]"})
	require.NoError(t, err)
	require.NotContains(t, cfg.Map(), "eval")
	y, err := cfg.YAML()
	require.NoError(t, err)
	require.NotContains(t, string(y), "\neval:")
	d, err := openMetatrainData(cfg)
	require.NoError(t, err)
	require.Nil(t, d.splits)
	require.Nil(t, d.val)
	require.Len(t, d.stream.Components()[0].Classes, d.dss[0].NumClasses(), "training draws every class")
	rec, ck := runMetatrain(t, cfg)
	require.Empty(t, rec.ValidationCurve())
	require.Empty(t, ck.Val)
	require.Len(t, rec.Curve, 3)
	for _, k := range []string{"val_tasks", "split", "last_val_acc"} {
		require.NotContains(t, rec.Extra, k)
	}
	require.Equal(t, "all classes", rec.Dataset.Split)
}

// TestMetatrainValidationSplitChecked: a fraction that leaves a source
// fewer than 10 classes on either side is refused, naming the key.
func TestMetatrainValidationSplitChecked(t *testing.T) {
	for _, frac := range []string{"0.01", "0.99"} {
		_, err := openMetatrainData(tinyValMetatrain(t, "eval.val_fraction="+frac))
		require.Error(t, err, frac)
		require.True(t, strings.HasPrefix(err.Error(), "eval.val_fraction: sources[0] (om8)"), "%s: %v", frac, err)
	}
}
