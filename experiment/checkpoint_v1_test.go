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

// asV1 rewrites the checkpoint at path as the metabench before the generic
// payload wrote it: the kind's own struct, view, in an envelope of layout
// version 1.
func asV1(t *testing.T, path, kind string, view any, iter int, trainSec float64) {
	t.Helper()
	require.NoError(t, checkpoint.Write(path, checkpoint.Header{Kind: kind, Version: 1, Iter: iter, TrainSec: trainSec}, view))
	h, err := checkpoint.ReadHeader(path)
	require.NoError(t, err)
	require.Equal(t, 1, h.Version)
}

// TestResumeExactFromV1: a run interrupted, its checkpoint rewritten in
// layout version 1, and resumed ends exactly where an uninterrupted run
// does, for each kind with a checkpoint.
func TestResumeExactFromV1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Run("train", func(t *testing.T) {
		cfg := tinyConfig(t, "maml", "iterations=5")
		whole, part := filepath.Join(dir, "train-whole"), filepath.Join(dir, "train-part")
		_, err := Train(ctx, cfg, Options{Out: whole})
		require.NoError(t, err)
		_, err = Train(ctx, cfg, Options{Out: part, StopAfter: 2})
		require.ErrorIs(t, err, ErrInterrupted)
		path := filepath.Join(part, maml.CheckpointFile)
		mid, err := maml.LoadCheckpoint(path)
		require.NoError(t, err)
		asV1(t, path, "train", mid, mid.Iter, mid.TrainSec)
		_, err = Train(ctx, cfg, Options{Out: part, Resume: true})
		require.NoError(t, err)
		a, err := maml.LoadCheckpoint(filepath.Join(whole, maml.CheckpointFile))
		require.NoError(t, err)
		b, err := maml.LoadCheckpoint(path)
		require.NoError(t, err)
		require.Equal(t, a.Params, b.Params)
		require.Equal(t, a.Outer, b.Outer)
		require.Len(t, b.Curve, 5)
	})
	t.Run("search", func(t *testing.T) {
		cfg, err := config.LoadSearch("testdata/tiny-search.yaml", nil)
		require.NoError(t, err)
		whole, part := filepath.Join(dir, "search-whole"), filepath.Join(dir, "search-part")
		_, err = Search(ctx, cfg, Options{Out: whole})
		require.NoError(t, err)
		_, err = Search(ctx, cfg, Options{Out: part, StopAfter: 1})
		require.ErrorIs(t, err, ErrInterrupted)
		path := filepath.Join(part, search.CheckpointFile)
		mid, err := search.LoadCheckpoint(path)
		require.NoError(t, err)
		mid.Names = nil // version 1 named no tensors
		asV1(t, path, "search", mid, mid.Iter, mid.TrainSec)
		_, err = Search(ctx, cfg, Options{Out: part, Resume: true})
		require.NoError(t, err)
		a, err := search.LoadCheckpoint(filepath.Join(whole, search.CheckpointFile))
		require.NoError(t, err)
		b, err := search.LoadCheckpoint(path)
		require.NoError(t, err)
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
		whole, part := filepath.Join(dir, "metatrain-whole"), filepath.Join(dir, "metatrain-part")
		_, err = Metatrain(ctx, cfg, Options{Out: whole})
		require.NoError(t, err)
		_, err = Metatrain(ctx, cfg, Options{Out: part, StopAfter: 1})
		require.ErrorIs(t, err, ErrInterrupted)
		path := filepath.Join(part, multitask.CheckpointFile)
		mid, err := multitask.LoadCheckpoint(path)
		require.NoError(t, err)
		mid.Names = nil
		asV1(t, path, "metatrain", mid, mid.Iter, mid.TrainSec)
		_, err = Metatrain(ctx, cfg, Options{Out: part, Resume: true})
		require.NoError(t, err)
		a, err := multitask.LoadCheckpoint(filepath.Join(whole, multitask.CheckpointFile))
		require.NoError(t, err)
		b, err := multitask.LoadCheckpoint(path)
		require.NoError(t, err)
		require.Equal(t, a.Theta, b.Theta)
		require.Equal(t, a.Tau, b.Tau)
		require.Equal(t, a.Curve[len(a.Curve)-1].HeadAcc, b.Curve[len(b.Curve)-1].HeadAcc)
	})
}
