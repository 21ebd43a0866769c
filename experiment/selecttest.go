package experiment

import (
	"errors"
	"fmt"
	"slices"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/maml"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/tensor"
)

// TestLoopChoice is the test-time inner loop (steps and learning rate)
// chosen for a trained network on validation episodes, never on test
// ones: every pair of the grid adapts on the same fixed validation
// episodes (the run's validation classes, the episode set of the run's
// validation curve, eval.seed+1 of the run whatever seed the test uses, at
// the evaluation's ways, shots and queries), and the pair with the highest
// mean query accuracy is kept; ties go to fewer steps, then to the lower
// rate. The same rule for every network of a table makes their test-time
// loops comparable although they were meta-trained differently.
type TestLoopChoice struct {
	Episodes int              `json:"episodes"`
	Seed     int64            `json:"seed"`
	Split    string           `json:"split"`
	Grid     []TestLoopResult `json:"grid"`
	Steps    int              `json:"steps"`
	LR       float64          `json:"lr"`
}

// TestLoopResult is one pair of the grid and its validation accuracy.
type TestLoopResult struct {
	Steps    int     `json:"steps"`
	LR       float64 `json:"lr"`
	Accuracy float64 `json:"accuracy"`
	CI95     float64 `json:"ci95"`
}

// ExtraTestLoop is the record's Extra key of the choice.
const ExtraTestLoop = "test_loop_choice"

// chooseTestLoop evaluates every (steps, lr) of the grid on validation
// episodes and returns the choice; s's TestSteps and InnerLR are left at
// the chosen pair. An empty steps or rates list keeps s's value.
func chooseTestLoop(meth maml.Method[float32], model nn.Model[float32], params []*tensor.Tensor[float32], s *maml.Settings,
	cfg *config.Config, valSeed int64, stepsGrid []int, lrGrid []float64, n, workers int) (*TestLoopChoice, error) {
	if cfg.Caps().NoInnerLoop {
		return nil, fmt.Errorf("steps_grid/lr_grid: %s has no test-time inner loop to choose", cfg.Method)
	}
	if n < 1 {
		return nil, fmt.Errorf("select_episodes %d: must be at least 1", n)
	}
	if len(stepsGrid) == 0 {
		stepsGrid = []int{s.TestSteps}
	}
	if len(lrGrid) == 0 {
		lrGrid = []float64{s.InnerLR}
	}
	stepsGrid, lrGrid = sortedUnique(stepsGrid), sortedUnique(lrGrid)
	if stepsGrid[0] < 0 || !(lrGrid[0] > 0) {
		return nil, fmt.Errorf("steps_grid/lr_grid: steps must be >= 0 and rates > 0 (have %v, %v)", stepsGrid, lrGrid)
	}
	val := *cfg
	val.Eval.ValEpisodes, val.Eval.Seed = n, valSeed-1 // samplers draws validation episodes from eval.seed+1
	data, err := openExperimentData(&val)
	if err != nil {
		return nil, fmt.Errorf("the run's validation data: %w", err)
	}
	if data.val == nil || data.curveOnTest {
		return nil, errors.New("steps_grid/lr_grid: the run has no held-out validation classes (data.val_fraction 0, or data.train_on_val): the test-time loop cannot be chosen without touching test classes")
	}
	_, sampler, _, err := data.samplers(&val)
	if err != nil {
		return nil, err
	}
	ch := &TestLoopChoice{Episodes: n, Seed: valSeed, Split: data.split + ":val"}
	best := -1.0
	for _, steps := range stepsGrid {
		for _, lr := range lrGrid {
			t := *s
			t.TestSteps, t.InnerLR = steps, lr
			accs, err := maml.Evaluate(meth, model, params, &t, n, workers, maml.SamplerEpisodes(sampler))
			if err != nil {
				return nil, fmt.Errorf("validation with %d steps at lr %g: %w", steps, lr, err)
			}
			sum := reports.Summarize(accs)
			ch.Grid = append(ch.Grid, TestLoopResult{Steps: steps, LR: lr, Accuracy: sum.Mean, CI95: sum.CI95})
			if sum.Mean > best { // strictly: ties keep the earlier, fewer steps and lower rate
				best, ch.Steps, ch.LR = sum.Mean, steps, lr
			}
		}
	}
	s.TestSteps, s.InnerLR = ch.Steps, ch.LR
	return ch, nil
}

// sortedUnique returns the sorted distinct values of xs (a new slice).
func sortedUnique[T int | float64](xs []T) []T {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// Describe is the choice in one line: "5 steps at lr 0.1 (92.40% on 200
// validation episodes; grid 1,3,5 x 0.1,0.4)".
func (c *TestLoopChoice) Describe() string {
	var steps []int
	var lrs []float64
	for _, g := range c.Grid {
		steps, lrs = append(steps, g.Steps), append(lrs, g.LR)
	}
	acc := 0.0
	for _, g := range c.Grid {
		if g.Steps == c.Steps && g.LR == c.LR {
			acc = g.Accuracy
		}
	}
	return fmt.Sprintf("%d steps at lr %g (%.2f%% on %d validation episodes; grid steps %v x lr %v)",
		c.Steps, c.LR, 100*acc, c.Episodes, sortedUnique(steps), sortedUnique(lrs))
}
