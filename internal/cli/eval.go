package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
)

const evalUsage = `usage: metabench eval --checkpoint DIR [--data PATH] [--ways N] [--shots K] [--queries Q]
       [--episodes E] [--steps T] [--lr A] [--seed S] [--format json|text] [--store PATH] [--label NAME]

Evaluates a trained model on a fixed set of test episodes: each episode is
adapted from the trained parameters with the method's test-time inner loop
(T steps) and scored by query accuracy; the output is the mean accuracy and its
95% confidence interval with the protocol. Without --data the episodes come
from the run's own held-out test classes; with --data they come from every
class of PATH (any source the readers accept, e.g. another Omniglot npz; images
are resized to the model's input size). Unset flags take the run's values.
--steps-grid and --lr-grid choose the test-time loop on the run's validation
classes first (every pair scored on the same --select-episodes episodes; the
best mean wins, ties to fewer steps, then the lower rate), then test with it;
the record holds the grid's scores and the choice.

flags:
`

func cmdEval(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("eval")
	ckArg := fs.String("checkpoint", "", "run `DIR` written by train (or its checkpoint.gob) (required)")
	dataArg := fs.String("data", "", "evaluate on every class of `PATH` (default: the run's held-out test classes)")
	subset := fs.String("subset", "", "subset `NAME` of --data where the format has several (mini-ImageNet test, IDX test)")
	ways := fs.Int("ways", 0, "classes per episode `N` (default: the run's)")
	shots := fs.Int("shots", 0, "support images per class `K` (default: the run's test shots, eval.shots)")
	queries := fs.Int("queries", 0, "query images per class `Q` (default: the run's eval.queries)")
	nEp := fs.Int("episodes", 0, "number of test episodes `E` (default: the run's eval.episodes; required for a tuning run, eval.episodes 0)")
	steps := fs.Int("steps", -1, "test-time inner steps `T` (default: the run's test_steps)")
	lr := fs.Float64("lr", 0, "test-time inner learning rate (default: the run's inner_lr)")
	seed := fs.Int64("seed", -1, "seed `S` of the fixed episode set (default: the run's eval.seed)")
	format := fs.String("format", "text", "output `FORMAT`: json or text")
	workers := fs.Int("workers", 0, "episodes adapted in parallel (0 = GOMAXPROCS)")
	stepsGrid := fs.String("steps-grid", "", "choose the test-time steps from `T1,T2,...` on the run's validation episodes (with --lr-grid: every pair)")
	lrGrid := fs.String("lr-grid", "", "choose the test-time inner rate from `LR1,LR2,...` on the run's validation episodes")
	selectEp := fs.Int("select-episodes", 200, "validation episodes each grid pair is scored on")
	sf := AddStoreFlags(fs)
	usage := flagUsage(evalUsage, fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return misuse(stderr, "eval", usage, err)
	}
	if len(pos) > 0 {
		return misuse(stderr, "eval", usage, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	if *ckArg == "" {
		return misuse(stderr, "eval", usage, errors.New("--checkpoint DIR is required"))
	}
	if *format != "json" && *format != "text" {
		return misuse(stderr, "eval", usage, fmt.Errorf("--format %q: want json or text", *format))
	}
	ec := experiment.EvalConfig{Checkpoint: *ckArg, Data: *dataArg, Subset: *subset, Ways: *ways, Shots: *shots,
		Queries: *queries, Episodes: *nEp, Steps: *steps, LR: *lr, Seed: *seed, Workers: *workers, SelectEpisodes: *selectEp}
	if ec.StepsGrid, err = parseInts("--steps-grid", *stepsGrid); err != nil {
		return misuse(stderr, "eval", usage, err)
	}
	if ec.LRGrid, err = parseFloats("--lr-grid", *lrGrid); err != nil {
		return misuse(stderr, "eval", usage, err)
	}
	rec, err := experiment.Eval(context.Background(), ec, experiment.Options{Label: sf.Label, Save: sf.saver()})
	if err != nil {
		return fail(stderr, "eval", err)
	}
	if c, ok := rec.Extra[experiment.ExtraTestLoop].(*experiment.TestLoopChoice); ok && *format == "text" {
		fmt.Fprintf(stdout, "test-time loop chosen on validation episodes: %s\n", c.Describe())
	}
	if err := reports.WriteEval(stdout, rec, reports.Format(*format)); err != nil {
		return fail(stderr, "eval", err)
	}
	return 0
}
