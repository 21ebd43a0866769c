package experiment

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestChooseTestLoop: a grid of test-time loops is scored on the run's
// validation episodes; the best mean wins (ties to fewer steps, then the
// lower rate), the test runs with it and the record holds the grid; the
// choice does not move with the test episodes' seed; a grid for
// protonets, a run without validation classes, and a grid beside --steps
// are refused.
func TestChooseTestLoop(t *testing.T) {
	data, err := openExperimentData(tinyConfig(t, "maml"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	if _, err := train(context.Background(), tinyConfig(t, "maml"), &Options{Out: out}, data); err != nil {
		t.Fatal(err)
	}
	run := func(mod func(*EvalConfig)) (*TestLoopChoice, error) {
		ec := DefaultEval(out)
		ec.Episodes, ec.StepsGrid, ec.LRGrid, ec.SelectEpisodes = 4, []int{3, 0, 1}, []float64{0.4, 0.1}, 6
		mod(&ec)
		rec, err := Eval(context.Background(), ec, Options{})
		if err != nil {
			return nil, err
		}
		ch := rec.Extra[ExtraTestLoop].(*TestLoopChoice)
		if rec.Proto.StepsTest != ch.Steps || rec.Proto.InnerLR != ch.LR {
			t.Fatalf("tested with %d steps at %g, chose %d at %g", rec.Proto.StepsTest, rec.Proto.InnerLR, ch.Steps, ch.LR)
		}
		return ch, nil
	}
	ch, err := run(func(*EvalConfig) {})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Grid) != 6 || ch.Grid[0].Steps != 0 || ch.Grid[0].LR != 0.1 || ch.Grid[5].Steps != 3 || ch.Grid[5].LR != 0.4 {
		t.Fatalf("grid %+v: want steps 0,1,3 x lr 0.1,0.4 in order", ch.Grid)
	}
	best := ch.Grid[0]
	for _, g := range ch.Grid[1:] {
		if g.Accuracy > best.Accuracy {
			best = g
		}
	}
	if ch.Steps != best.Steps || ch.LR != best.LR || ch.Seed != 2025 {
		t.Fatalf("chose %d at %g (seed %d), the grid's first best is %+v", ch.Steps, ch.LR, ch.Seed, best)
	}
	again, err := run(func(ec *EvalConfig) { ec.Seed = 77 })
	if err != nil {
		t.Fatal(err)
	}
	if again.Steps != ch.Steps || again.LR != ch.LR || again.Seed != ch.Seed {
		t.Fatalf("another test seed moved the choice: %s vs %s", again.Describe(), ch.Describe())
	}
	if _, err := run(func(ec *EvalConfig) { ec.Steps = 2 }); err == nil || !strings.Contains(err.Error(), "exclude each other") {
		t.Fatalf("--steps beside --steps-grid: %v", err)
	}
	noVal := filepath.Join(t.TempDir(), "noval")
	cfg := tinyConfig(t, "maml", "data.val_fraction=0", "eval.val_episodes=0")
	d2, err := openExperimentData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := train(context.Background(), cfg, &Options{Out: noVal}, d2); err != nil {
		t.Fatal(err)
	}
	ec := DefaultEval(noVal)
	ec.Episodes, ec.StepsGrid, ec.SelectEpisodes = 2, []int{1, 3}, 4
	if _, err := Eval(context.Background(), ec, Options{}); err == nil || !strings.Contains(err.Error(), "validation needs held-out classes") {
		t.Fatalf("choice without validation classes: %v", err)
	}
}
