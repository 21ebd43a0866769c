package experiment

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/internal/checkpoint"
	"github.com/metabench/metabench/maml"
	"github.com/metabench/metabench/multitask"
	"github.com/metabench/metabench/search"
)

// v1Folder copies the run folder testdata/checkpoint-v1/kind (written by
// metabench before the generic checkpoint payload) to a temporary folder.
func v1Folder(t *testing.T, kind string) string {
	t.Helper()
	src := filepath.Join("testdata", "checkpoint-v1", kind)
	dst := filepath.Join(t.TempDir(), kind)
	require.NoError(t, os.MkdirAll(dst, 0o755))
	ents, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644))
	}
	return dst
}

// TestCheckpointsV1: checkpoints of layout version 1 (testdata/checkpoint-v1,
// written by an earlier metabench) load with what they hold and resume to
// the end of their runs.
func TestCheckpointsV1(t *testing.T) {
	ctx := context.Background()
	t.Run("train", func(t *testing.T) {
		dir := v1Folder(t, "train")
		ck, err := maml.LoadCheckpoint(filepath.Join(dir, maml.CheckpointFile))
		require.NoError(t, err)
		require.Equal(t, 2, ck.Iter)
		require.False(t, ck.Done)
		require.Equal(t, "maml", ck.Method)
		require.Equal(t, "conv4-8", ck.Model)
		require.Equal(t, []int{1, 28, 5}, []int{ck.ImageC, ck.ImageSize, ck.Ways})
		require.Len(t, ck.Curve, 2)
		require.Equal(t, 2, ck.Curve[1].Iter)
		require.Equal(t, "adam", ck.Outer.Kind)
		require.Equal(t, 2, ck.Outer.Steps)
		require.Len(t, ck.Outer.Slots, 2*len(ck.Params))
		require.Len(t, ck.ParamNames, len(ck.Params))
		require.Positive(t, ck.TrainSec)
		cfg, err := config.Parse(ck.ConfigYAML)
		require.NoError(t, err)
		require.Equal(t, 5, cfg.Iterations)
		rec, err := Train(ctx, tinyConfig(t, "maml", "iterations=5"), Options{Out: dir, Resume: true})
		require.NoError(t, err)
		require.Equal(t, 5, rec.Iters)
		require.Len(t, rec.Curve, 5)
	})
	t.Run("search", func(t *testing.T) {
		dir := v1Folder(t, "search")
		ck, err := search.LoadCheckpoint(filepath.Join(dir, search.CheckpointFile))
		require.NoError(t, err)
		require.Equal(t, 1, ck.Iter)
		require.False(t, ck.Done)
		require.Len(t, ck.Curve, 1)
		require.NotEmpty(t, ck.Curve[0].Arch.Genotype)
		require.NotNil(t, ck.ArchPrev[0])
		require.NotEmpty(t, ck.Theta)
		require.Equal(t, 1, ck.OptW.Steps)
		cfg, err := config.LoadSearch("testdata/tiny-search.yaml", nil)
		require.NoError(t, err)
		rec, err := Search(ctx, cfg, Options{Out: dir, Resume: true})
		require.NoError(t, err)
		require.Equal(t, 3, rec.Iters)
		require.Len(t, rec.Curve, 3)
	})
	t.Run("metatrain", func(t *testing.T) {
		dir := v1Folder(t, "metatrain")
		ck, err := multitask.LoadCheckpoint(filepath.Join(dir, multitask.CheckpointFile))
		require.NoError(t, err)
		require.Equal(t, 1, ck.Iter)
		require.False(t, ck.Done)
		require.Len(t, ck.Curve, 1)
		require.NotEmpty(t, ck.Curve[0].HeadAcc)
		net, err := multitask.NewNet(ck.Net)
		require.NoError(t, err)
		_, err = ck.Tensors(net)
		require.NoError(t, err)
		require.Equal(t, "gumbel", ck.Relax.Kind)
		require.Positive(t, ck.Tau)
		cfg, err := config.LoadMetatrain("testdata/tiny-metatrain.yaml", []string{"sources=[{name: om8, path: embedded, size: 8}]", "network.heads=[{size: 8, stride: 2}]"})
		require.NoError(t, err)
		rec, err := Metatrain(ctx, cfg, Options{Out: dir, Resume: true})
		require.NoError(t, err)
		require.Equal(t, 3, rec.Iters)
		require.Len(t, rec.Curve, 3)
	})
}

// resumedFromV1 runs a kind (run) uninterrupted into one folder and, into
// another, interrupted after stop iterations, its checkpoint file rewritten
// as the metabench before the generic payload wrote it (the kind's own
// struct, read with load and made a layout-1 one by v1, in an envelope of
// layout version 1) and resumed to the end. It returns the two final
// checkpoints.
func resumedFromV1[V checkpoint.View](t *testing.T, kind, file string, stop int, run func(Options) error, load func(string) (V, error), v1 func(V)) (whole, resumed V) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, run(Options{Out: filepath.Join(dir, "whole")}))
	require.ErrorIs(t, run(Options{Out: filepath.Join(dir, "part"), StopAfter: stop}), ErrInterrupted)
	path := filepath.Join(dir, "part", file)
	mid, err := load(path)
	require.NoError(t, err)
	h, _, err := mid.State()
	require.NoError(t, err)
	if v1 != nil {
		v1(mid)
	}
	require.NoError(t, checkpoint.Write(path, checkpoint.Header{Kind: kind, Version: 1, Iter: h.Iter, TrainSec: h.TrainSec}, mid))
	require.NoError(t, run(Options{Out: filepath.Join(dir, "part"), Resume: true}))
	whole, err = load(filepath.Join(dir, "whole", file))
	require.NoError(t, err)
	resumed, err = load(path)
	require.NoError(t, err)
	return whole, resumed
}

// TestResumeExactFromV1: a run interrupted, its checkpoint rewritten in
// layout version 1, and resumed ends exactly where an uninterrupted run
// does, for each kind with a checkpoint.
func TestResumeExactFromV1(t *testing.T) {
	ctx := context.Background()
	t.Run("train", func(t *testing.T) {
		cfg := tinyConfig(t, "maml", "iterations=5")
		a, b := resumedFromV1(t, "train", maml.CheckpointFile, 2, func(opt Options) error { _, err := Train(ctx, cfg, opt); return err }, maml.LoadCheckpoint, nil)
		require.Equal(t, a.Params, b.Params)
		require.Equal(t, a.Outer, b.Outer)
		require.Len(t, b.Curve, 5)
	})
	t.Run("search", func(t *testing.T) {
		cfg, err := config.LoadSearch("testdata/tiny-search.yaml", nil)
		require.NoError(t, err)
		a, b := resumedFromV1(t, "search", search.CheckpointFile, 1, func(opt Options) error { _, err := Search(ctx, cfg, opt); return err },
			search.LoadCheckpoint, func(c *search.Checkpoint) { c.Names = nil }) // version 1 named no tensors
		require.Equal(t, a.Theta, b.Theta)
		require.Equal(t, a.OptW, b.OptW)
		require.Equal(t, a.OptA, b.OptA)
		for i := range a.Curve {
			require.Equal(t, a.Curve[i].Arch, b.Curve[i].Arch, "point %d", i)
		}
	})
	t.Run("metatrain", func(t *testing.T) {
		cfg, err := config.LoadMetatrain("testdata/tiny-metatrain.yaml", []string{"sources=[{name: om8, path: embedded, size: 8}]", "network.heads=[{size: 8, stride: 2}]"})
		require.NoError(t, err)
		a, b := resumedFromV1(t, "metatrain", multitask.CheckpointFile, 1, func(opt Options) error { _, err := Metatrain(ctx, cfg, opt); return err },
			multitask.LoadCheckpoint, func(c *multitask.Checkpoint) { c.Names = nil })
		require.Equal(t, a.Theta, b.Theta)
		require.Equal(t, a.Tau, b.Tau)
		require.Equal(t, a.Curve[len(a.Curve)-1].HeadAcc, b.Curve[len(b.Curve)-1].HeadAcc)
	})
}
