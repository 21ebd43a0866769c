package experiment

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/metabench/metabench/maml"
)

// TestStagedIterations: a run trained to 2 iterations and resumed with
// iterations raised to 4 (how scripts/maml_vs_torch.sh tests a run at
// several task counts) ends bit for bit where a run trained straight to 4
// does, at a constant meta learning rate. With a linear decay it does not:
// the decay runs over "iterations", so raising it changes the rates of the
// iterations already done; the staged script refuses such files. A stage
// stopped part way (as by the script's deadline: SIGTERM cancels the
// context, which takes the loop's StopAfter path) and resumed ends there
// too.
func TestStagedIterations(t *testing.T) {
	data, err := openExperimentData(tinyConfig(t, "maml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		sets        []string
		interrupted bool // the second stage stopped after one iteration and resumed
		equal       bool
	}{
		{"constant", nil, false, true},
		{"constant-interrupted", nil, true, true},
		{"linear-decay", []string{"meta_lr_final=0.0001"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(out string, resume bool, iters string) *maml.Checkpoint {
				cfg := tinyConfig(t, "maml", append(slices.Clone(tc.sets), "iterations="+iters, "eval.val_episodes=0")...)
				if resume && tc.interrupted && iters == "4" {
					_, err := train(context.Background(), cfg, &Options{Out: out, Resume: true, StopAfter: 1}, data)
					if !errors.Is(err, ErrInterrupted) {
						t.Fatalf("stage stopped after one iteration: %v, want ErrInterrupted", err)
					}
				}
				if _, err := train(context.Background(), cfg, &Options{Out: out, Resume: resume}, data); err != nil {
					t.Fatal(err)
				}
				ck, err := maml.LoadCheckpoint(filepath.Join(out, maml.CheckpointFile))
				if err != nil {
					t.Fatal(err)
				}
				return ck
			}
			dir := t.TempDir()
			whole := run(filepath.Join(dir, "whole"), false, "4")
			run(filepath.Join(dir, "staged"), false, "2")
			staged := run(filepath.Join(dir, "staged"), true, "4")
			if whole.Iter != 4 || staged.Iter != 4 {
				t.Fatalf("iterations %d and %d, want 4", whole.Iter, staged.Iter)
			}
			same := true
			for i := range whole.Params {
				same = same && slices.Equal(whole.Params[i], staged.Params[i])
			}
			if same != tc.equal {
				t.Fatalf("staged run equal to the straight one: %v, want %v", same, tc.equal)
			}
		})
	}
}
