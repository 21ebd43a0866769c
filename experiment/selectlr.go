package experiment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/reports"
)

// InnerLRChoice is the inner-loop learning rate chosen for a training run
// on validation episodes before it trains (config.TrainSelect;
// docs/DECISIONS.md R44): every rate of the grid trains a trial run, the
// run itself cut to Iterations meta-iterations (the same seed, data, model
// and schedule), scored on the same Episodes fixed validation episodes of
// the run's validation classes (its validation curve's episode set); the
// run trains with the rate of the highest accuracy, ties going to the
// lower rate. No test class is seen by the choice.
type InnerLRChoice struct {
	Iterations int             `json:"iterations"`
	Episodes   int             `json:"episodes"`
	Grid       []InnerLRResult `json:"grid"`
	LR         float64         `json:"lr"`
}

// InnerLRResult is one rate's trial: its validation accuracy and the trial's
// run folder, relative to the run's.
type InnerLRResult struct {
	LR       float64 `json:"lr"`
	Accuracy float64 `json:"accuracy"`
	CI95     float64 `json:"ci95"`
	Folder   string  `json:"folder"`
	CPUSec   float64 `json:"cpu_sec"` // the trial's CPU time (part of the run's)
}

// CPUSec is the trials' CPU time.
func (c *InnerLRChoice) CPUSec() float64 {
	var s float64
	for _, g := range c.Grid {
		s += g.CPUSec
	}
	return s
}

// ExtraInnerLR is the record's Extra key of the choice.
const ExtraInnerLR = "inner_lr_choice"

// selectFolder is where the trial runs live inside the run folder.
const selectFolder = "select"

// Describe is the choice in one line: "inner_lr 0.1 (82.39% on 200
// validation episodes after 300 iterations; 0.1: 82.39%, 0.4: 48.30%)".
func (c *InnerLRChoice) Describe() string {
	s := fmt.Sprintf("inner_lr %g (chosen on %d validation episodes after %d iterations;", c.LR, c.Episodes, c.Iterations)
	for i, g := range c.Grid {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(" %g: %.2f%%", g.LR, 100*g.Accuracy)
	}
	return s + ")"
}

// trialConfig is the trial run of rate lr: cfg cut to the selection's
// iterations, a tuning run (no test) with one validation point at its end.
func trialConfig(cfg *config.Config, lr float64) *config.Config {
	sel := cfg.TrainSelect
	t := *cfg
	t.TrainSelect = config.TrainSelect{}
	t.InnerLR = lr
	t.Iterations, t.Budget = sel.Iterations, config.Duration{}
	t.Eval.Episodes, t.Eval.ValEpisodes, t.Eval.EveryIters = 0, sel.Episodes, sel.Iterations
	return &t
}

// chooseInnerLR runs (or, when a trial's record is in its folder already,
// reads) the trial of every rate of cfg.TrainSelect and sets cfg.InnerLR to
// the chosen one. A trial interrupted with ctx keeps its checkpoint, and
// the next call resumes it: the choice is the same whenever and wherever it
// is made.
func chooseInnerLR(ctx context.Context, cfg *config.Config, opt *Options, data *expData) (*InnerLRChoice, error) {
	sel := cfg.TrainSelect
	ch := &InnerLRChoice{Iterations: sel.Iterations, Episodes: sel.Episodes}
	best := -1.0
	for _, lr := range sortedUnique(sel.InnerLR) {
		rel := filepath.Join(selectFolder, fmt.Sprintf("inner-lr-%g", lr))
		dir := filepath.Join(opt.Out, rel)
		rec, err := reports.ReadJSON(RecordFile(dir))
		if errors.Is(err, fs.ErrNotExist) {
			progressOf(opt).Log(fmt.Sprintf("train_select: inner_lr %g, %d iterations, scored on %d validation episodes", lr, sel.Iterations, sel.Episodes))
			trial := &Options{Out: dir, Resume: HasCheckpoint(dir), Progress: opt.Progress}
			rec, err = train(ctx, trialConfig(cfg, lr), trial, data)
		}
		if err != nil {
			return nil, fmt.Errorf("train_select: inner_lr %g: %w", lr, err)
		}
		acc := rec.Summary.Mean
		ch.Grid = append(ch.Grid, InnerLRResult{LR: lr, Accuracy: acc, CI95: rec.Summary.CI95, Folder: filepath.ToSlash(rel), CPUSec: rec.CPUSec})
		if acc > best { // strictly: a tie keeps the lower rate
			best, ch.LR = acc, lr
		}
	}
	cfg.InnerLR = ch.LR
	progressOf(opt).Log("train_select: " + ch.Describe())
	return ch, nil
}
