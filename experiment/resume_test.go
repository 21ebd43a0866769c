package experiment

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/internal/testfixture"
	"github.com/metabench/metabench/multitask"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/tensor"
)

// interruptedTwice runs a kind three ways into fresh folders: uninterrupted;
// stopped after one iteration, resumed and stopped after another, resumed
// to the end. It returns the two folders.
func interruptedTwice(t *testing.T, run func(opt Options) error) (whole, parts string) {
	t.Helper()
	dir := t.TempDir()
	whole, parts = filepath.Join(dir, "whole"), filepath.Join(dir, "parts")
	require.NoError(t, run(Options{Out: whole}))
	require.ErrorIs(t, run(Options{Out: parts, StopAfter: 1}), ErrInterrupted)
	require.ErrorIs(t, run(Options{Out: parts, Resume: true, StopAfter: 1}), ErrInterrupted)
	require.NoError(t, run(Options{Out: parts, Resume: true}))
	return whole, parts
}

// TestResumeExactSearch: an interrupted and resumed search ends with exactly
// the Θ of an uninterrupted one and derives the same genotype (the train
// kind: TestResumeExact).
func TestResumeExactSearch(t *testing.T) {
	cfg, err := config.LoadSearch("testdata/tiny-search.yaml", nil)
	require.NoError(t, err)
	whole, parts := interruptedTwice(t, func(opt Options) error {
		_, err := Search(context.Background(), cfg, opt)
		return err
	})
	a, err := search.LoadCheckpoint(filepath.Join(whole, search.CheckpointFile))
	require.NoError(t, err)
	b, err := search.LoadCheckpoint(filepath.Join(parts, search.CheckpointFile))
	require.NoError(t, err)
	require.Equal(t, 3, a.Iter)
	require.Equal(t, 3, b.Iter)
	require.Equal(t, a.Theta, b.Theta, "resumed Θ differs")
	require.Equal(t, a.Curve[len(a.Curve)-1].QueryAcc, b.Curve[len(b.Curve)-1].QueryAcc)
	// the architecture curves, MaxDelta included, do not see the interruptions
	for i := range a.Curve {
		require.Equal(t, a.Curve[i].Arch, b.Curve[i].Arch, "point %d", i)
	}
	require.NotEmpty(t, a.Curve[len(a.Curve)-1].Arch.Genotype)
	ga, _ := os.ReadFile(filepath.Join(whole, "genotype.yaml"))
	gb, _ := os.ReadFile(filepath.Join(parts, "genotype.yaml"))
	require.True(t, bytes.Equal(ga, gb), "resumed search derived another genotype")
}

// TestResumeExactMetatrain: the same for multi-task meta-training.
func TestResumeExactMetatrain(t *testing.T) {
	cfg, err := config.LoadMetatrain("testdata/tiny-metatrain.yaml", []string{"sources=[{name: om8, path: embedded, size: 8}]", "network.heads=[{size: 8, stride: 2}]"})
	require.NoError(t, err)
	whole, parts := interruptedTwice(t, func(opt Options) error {
		_, err := Metatrain(context.Background(), cfg, opt)
		return err
	})
	a, err := multitask.LoadCheckpoint(filepath.Join(whole, multitask.CheckpointFile))
	require.NoError(t, err)
	b, err := multitask.LoadCheckpoint(filepath.Join(parts, multitask.CheckpointFile))
	require.NoError(t, err)
	require.Equal(t, 3, a.Iter)
	require.Equal(t, 3, b.Iter)
	net, err := multitask.NewNet(a.Net)
	require.NoError(t, err)
	ta, _ := a.Tensors(net)
	tb, _ := b.Tensors(net)
	require.True(t, tensorsEqual(ta, tb), "resumed meta-training differs from the uninterrupted run")
}

// TestCancelledRunsLeaveACheckpoint: a cancelled context (Ctrl-C, SIGTERM)
// stops Train with ErrInterrupted and a checkpoint that Resume continues;
// Adapt, which has no checkpoint, stops with ErrInterrupted and saves no
// record.
func TestCancelledRunsLeaveACheckpoint(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "run")
	_, err := Train(ctx, tinyConfig(t, "fomaml"), Options{Out: out})
	require.ErrorIs(t, err, ErrInterrupted)
	_, err = os.Stat(filepath.Join(out, "checkpoint.gob"))
	require.NoError(t, err)
	rec, err := Train(context.Background(), tinyConfig(t, "fomaml"), Options{Out: out, Resume: true})
	require.NoError(t, err)
	require.Equal(t, 4, rec.Iters)

	prior := filepath.Join(t.TempDir(), "prior")
	mt, err := config.LoadMetatrain("testdata/tiny-metatrain.yaml", []string{"sources=[{name: om8, path: embedded, size: 8}]", "network.heads=[{size: 8, stride: 2}]", "metatrain.iterations=1"})
	require.NoError(t, err)
	_, err = Metatrain(context.Background(), mt, Options{Out: prior})
	require.NoError(t, err)
	ac := config.DefaultAdapt()
	ac.Prior = prior
	idx := t.TempDir()
	testfixture.WriteIDX(t, idx, 4)
	ac.Targets = []config.AdaptTarget{{Name: "squares", Path: idx, TrainSubset: "train", TestSubset: "test", Size: 8, TrainImages: 20, TestImages: 20}}
	ac.Adapt.Epochs, ac.Adapt.Batch, ac.Final.Skip = 2, 10, true
	saved := 0
	_, err = Adapt(ctx, &ac, Options{Out: filepath.Join(t.TempDir(), "adapt"), Save: func(*reports.Record) error { saved++; return nil }})
	require.True(t, errors.Is(err, ErrInterrupted), "adapt with a cancelled context: %v", err)
	require.Zero(t, saved)
}

// tensorsEqual compares tensors bit for bit.
func tensorsEqual(a, b []*tensor.Tensor[float32]) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i].Data) != len(b[i].Data) {
			return false
		}
		for j := range a[i].Data {
			if math.Float32bits(a[i].Data[j]) != math.Float32bits(b[i].Data[j]) {
				return false
			}
		}
	}
	return true
}
