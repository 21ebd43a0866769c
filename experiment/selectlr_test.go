package experiment

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/reports"
)

// TestTrainSelect: each rate of train_select's grid trains a trial run
// (the run cut to train_select.iterations, scored on validation episodes);
// the run trains and tests with the best rate and its record holds the
// grid; each trial's score is what a run of that rate, cut the same way,
// scores on its own; a trial whose record is in the run folder already is
// read, not run again; bad grids are refused by the file's checks.
func TestTrainSelect(t *testing.T) {
	sets := []string{"train_select.inner_lr=[0.4, 0.02]", "train_select.iterations=2", "train_select.episodes=3"}
	cfg := tinyConfig(t, "maml", sets...)
	data, err := openExperimentData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	rec, err := train(context.Background(), cfg, &Options{Out: out}, data)
	if err != nil {
		t.Fatal(err)
	}
	ch, ok := rec.Extra[ExtraInnerLR].(*InnerLRChoice)
	if !ok {
		t.Fatalf("record extra %v: no %s", rec.Extra, ExtraInnerLR)
	}
	if len(ch.Grid) != 2 || ch.Grid[0].LR != 0.02 || ch.Grid[1].LR != 0.4 || ch.Iterations != 2 || ch.Episodes != 3 {
		t.Fatalf("choice %+v: want rates 0.02, 0.4 in order, 2 iterations, 3 episodes", ch)
	}
	want := ch.Grid[0]
	if ch.Grid[1].Accuracy > want.Accuracy {
		want = ch.Grid[1]
	}
	if ch.LR != want.LR || rec.Proto.InnerLR != ch.LR || cfg.InnerLR != 0.4 {
		t.Fatalf("chose %g, tested at %g (file's rate now %g); the grid's best is %+v", ch.LR, rec.Proto.InnerLR, cfg.InnerLR, want)
	}
	// the oracle: a run of each rate with the trial's settings, on its own
	for _, g := range ch.Grid {
		alone := tinyConfig(t, "maml", "inner_lr="+strconv.FormatFloat(g.LR, 'g', -1, 64), "iterations=2", "eval.episodes=0", "eval.val_episodes=3", "eval.every_iterations=2")
		r, err := train(context.Background(), alone, &Options{Out: filepath.Join(t.TempDir(), "alone")}, data)
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary.Mean != g.Accuracy {
			t.Fatalf("rate %g: trial scored %v, the same run alone %v", g.LR, g.Accuracy, r.Summary.Mean)
		}
		if _, err := os.Stat(filepath.Join(out, g.Folder, "record.json")); err != nil {
			t.Fatalf("trial folder: %v", err)
		}
	}

	// a trial's record already in the folder decides without running it
	out2 := filepath.Join(t.TempDir(), "run2")
	low := ch.Grid[0]
	if ch.LR == low.LR {
		low = ch.Grid[1]
	}
	fake := &reports.Record{Kind: "train", Summary: reports.Summary{Mean: 0.999}}
	if err := os.MkdirAll(filepath.Join(out2, low.Folder), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := reports.WriteJSON(filepath.Join(out2, low.Folder, "record.json"), fake); err != nil {
		t.Fatal(err)
	}
	rec2, err := train(context.Background(), tinyConfig(t, "maml", sets...), &Options{Out: out2}, data)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec2.Extra[ExtraInnerLR].(*InnerLRChoice).LR; got != low.LR {
		t.Fatalf("chose %g, the stored trial of %g scored 0.999", got, low.LR)
	}
	if HasCheckpoint(filepath.Join(out2, low.Folder)) {
		t.Fatal("the stored trial was run again")
	}

	for _, bad := range []struct {
		sets []string
		key  string
	}{
		{[]string{"train_select.inner_lr=[0.1, 0]", "train_select.iterations=2", "train_select.episodes=3"}, "train_select.inner_lr"},
		{[]string{"train_select.inner_lr=[0.1]", "train_select.episodes=3"}, "train_select.iterations"},
		{[]string{"train_select.inner_lr=[0.1]", "train_select.iterations=2"}, "train_select.episodes"},
		{[]string{"train_select.iterations=2"}, "train_select.inner_lr"},
	} {
		c := config.Default()
		for _, kv := range append([]string{"model.filters=8"}, bad.sets...) {
			if err := c.Set(kv); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), bad.key) {
			t.Fatalf("%v: %v, want an error naming %s", bad.sets, err, bad.key)
		}
	}
	c := config.Default()
	for _, kv := range []string{"method=protonets", "inner_steps=0", "test_steps=0", "train_select.inner_lr=[0.1]", "train_select.iterations=2", "train_select.episodes=3"} {
		if err := c.Set(kv); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "no inner loop") {
		t.Fatalf("protonets: %v", err)
	}
}
