package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/metabench/metabench/datasets"
	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/maml"
	"github.com/metabench/metabench/nn"
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

flags:
`

// evalResult is what eval prints.
type evalResult struct {
	Accuracy   float64 `json:"accuracy"`
	CI95       float64 `json:"ci95"`
	Episodes   int     `json:"episodes"`
	Ways       int     `json:"ways"`
	Shots      int     `json:"shots"`
	Queries    int     `json:"queries"`
	Steps      int     `json:"steps"`
	InnerLR    float64 `json:"inner_lr"`
	Seed       int64   `json:"seed"`
	BNMode     string  `json:"bn_mode"`
	Method     string  `json:"method"`
	Model      string  `json:"model"`
	Data       string  `json:"data"`
	Split      string  `json:"split"`
	Classes    int     `json:"classes"`
	Iterations int     `json:"checkpoint_iterations"`
	Seconds    float64 `json:"seconds"`
}

func cmdEval(args []string, stdout, stderr io.Writer) int {
	fs := mamlFlagSet("eval")
	ckArg := fs.String("checkpoint", "", "run `DIR` written by train (or its checkpoint.gob) (required)")
	dataArg := fs.String("data", "", "evaluate on every class of `PATH` (default: the run's held-out test classes)")
	subset := fs.String("subset", "", "subset `NAME` of --data where the format has several (mini-ImageNet test, IDX test)")
	ways := fs.Int("ways", 0, "classes per episode `N` (default: the run's)")
	shots := fs.Int("shots", 0, "support images per class `K` (default: the run's test shots, eval.shots)")
	queries := fs.Int("queries", 0, "query images per class `Q` (default: the run's eval.queries)")
	nEp := fs.Int("episodes", 0, "number of test episodes `E` (default: the run's eval.episodes)")
	steps := fs.Int("steps", -1, "test-time inner steps `T` (default: the run's test_steps)")
	lr := fs.Float64("lr", 0, "test-time inner learning rate (default: the run's inner_lr)")
	seed := fs.Int64("seed", -1, "seed `S` of the fixed episode set (default: the run's eval.seed)")
	format := fs.String("format", "text", "output `FORMAT`: json or text")
	workers := fs.Int("workers", 0, "episodes adapted in parallel (0 = GOMAXPROCS)")
	sf := AddStoreFlags(fs)
	usage := flagUsage(evalUsage, fs)
	pos, err := mamlParseArgs(fs, args)
	if err != nil {
		return mamlUsageError(stderr, "eval", usage, err)
	}
	if len(pos) > 0 {
		return mamlUsageError(stderr, "eval", usage, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	if *ckArg == "" {
		return mamlUsageError(stderr, "eval", usage, errors.New("--checkpoint DIR is required"))
	}
	if *format != "json" && *format != "text" {
		return mamlUsageError(stderr, "eval", usage, fmt.Errorf("--format %q: want json or text", *format))
	}
	started := time.Now()
	ck, cfg, err := loadRun(*ckArg)
	if err != nil {
		return fail(stderr, "eval", err)
	}
	// Flags override the run's protocol.
	for _, o := range []struct {
		set   bool
		apply func()
	}{
		{*ways > 0, func() { cfg.Ways = *ways }},
		{*shots > 0, func() { cfg.Eval.Shots = *shots }},
		{*queries > 0, func() { cfg.Eval.Queries = *queries }},
		{*nEp > 0, func() { cfg.Eval.Episodes = *nEp }},
		{*steps >= 0, func() { cfg.TestSteps = *steps }},
		{*lr > 0, func() { cfg.InnerLR = *lr }},
		{*seed >= 0, func() { cfg.Eval.Seed = *seed }},
	} {
		if o.set {
			o.apply()
		}
	}
	for _, c := range []struct {
		bad  bool
		flag string
		v    int
	}{{*ways < 0, "--ways", *ways}, {*shots < 0, "--shots", *shots}, {*queries < 0, "--queries", *queries}, {*nEp < 0, "--episodes", *nEp}} {
		if c.bad {
			return fail(stderr, "eval", fmt.Errorf("%s %d: must be positive", c.flag, c.v))
		}
	}
	if cfg.Ways > ck.Ways {
		return fail(stderr, "eval", fmt.Errorf("--ways %d: the checkpoint's classifier has %d outputs (trained %d-way)", cfg.Ways, ck.Ways, ck.Ways))
	}
	if cfg.Ways < 2 {
		return fail(stderr, "eval", fmt.Errorf("--ways %d: must be at least 2", cfg.Ways))
	}
	model, err := experimentModel(cfg.Model.Name, cfg.Model.Filters, ck.ImageC, ck.ImageSize, ck.Ways)
	if err != nil {
		return fail(stderr, "eval", fmt.Errorf("--checkpoint %s: %w", *ckArg, err))
	}
	params := ck.Tensors()
	if err := nn.CheckShapes[float32](model, params); err != nil {
		return fail(stderr, "eval", fmt.Errorf("--checkpoint %s: %w", *ckArg, err))
	}
	meth, err := maml.New[float32](ck.Method)
	if err != nil {
		return fail(stderr, "eval", fmt.Errorf("--checkpoint %s: %w", *ckArg, err))
	}
	var src episodes.Source
	var classes []int
	var ds *datasets.Dataset
	var split string
	if *dataArg != "" {
		ds, err = datasets.Open(*dataArg, datasets.Options{Size: ck.ImageSize, Subset: *subset})
		if err != nil {
			return fail(stderr, "eval", fmt.Errorf("--data: %w", err))
		}
		if c, h, w := ds.ImageShape(); c != ck.ImageC || h != ck.ImageSize || w != ck.ImageSize {
			return fail(stderr, "eval", fmt.Errorf("--data %s: images are %dx%dx%d, the checkpoint's model takes %dx%dx%d",
				*dataArg, c, h, w, ck.ImageC, ck.ImageSize, ck.ImageSize))
		}
		src, split = ds, "all"
	} else {
		data, err := openExperimentData(cfg)
		if err != nil {
			return fail(stderr, "eval", fmt.Errorf("the run's data: %w", err))
		}
		src, classes, ds, split = data.test, data.testClasses, data.testDS, data.split+":test"
	}
	spec := episodes.Spec{Ways: cfg.Ways, Shots: cfg.EvalShots(), Queries: cfg.Eval.Queries}
	sampler, err := episodes.EvalSet{Seed: uint64(cfg.Eval.Seed), Count: cfg.Eval.Episodes}.Sampler(src, classes, spec)
	if err != nil {
		return fail(stderr, "eval", fmt.Errorf("--ways/--shots/--queries: %w", err))
	}
	s := settingsOf(cfg)
	// the method's state saved with the outer optimiser (Reptile's carried
	// inner Adam starts every test-time adaptation); a Reptile checkpoint
	// written before carry_adam existed holds no inner state
	if ck.Outer.Kind == "sgd-decay" {
		s.ReptileCarry = false
	}
	if err := maml.NewOuterFor(meth, model, &s, params).SetState(ck.Outer); err != nil {
		return fail(stderr, "eval", fmt.Errorf("--checkpoint %s: %w", *ckArg, err))
	}
	accs, err := maml.Evaluate(meth, model, params, &s, cfg.Eval.Episodes, *workers, maml.SamplerEpisodes(sampler))
	if err != nil {
		return fail(stderr, "eval", err)
	}
	nClasses := len(classes)
	if classes == nil {
		nClasses = src.NumClasses()
	}
	data := &expData{testDS: ds, testClasses: classes, split: split}
	rec := newRecord("eval", cfg, model, data, accs, started)
	rec.Dataset = datasetOf(ds, split, nClasses)
	rec.Method = ck.Method
	rec.Iters = ck.Iter
	rec.WallSec = time.Since(started).Seconds()
	rec.Extra = map[string]any{"checkpoint": *ckArg}
	res := evalResult{
		Accuracy: rec.Summary.Mean, CI95: rec.Summary.CI95, Episodes: rec.Summary.N,
		Ways: cfg.Ways, Shots: cfg.EvalShots(), Queries: cfg.Eval.Queries, Steps: cfg.TestSteps, InnerLR: cfg.InnerLR,
		Seed: cfg.Eval.Seed, BNMode: "transductive", Method: ck.Method, Model: model.Name(), Data: ds.Path,
		Split: split, Classes: nClasses, Iterations: ck.Iter, Seconds: rec.WallSec,
	}
	if path, err := sf.Save(rec, cfg.Store); err != nil {
		return fail(stderr, "eval", fmt.Errorf("results store %s: %w", path, err))
	}
	if *format == "json" {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	fmt.Fprintf(stdout, "%s %s on %s (%s, %d classes): %.2f%% ± %.2f%% over %d episodes\n", ck.Method,
		reports.ProtocolString(rec.Proto), res.Data, split, nClasses, 100*res.Accuracy, 100*res.CI95, res.Episodes)
	return 0
}

// loadRun reads the checkpoint of a run folder (or a checkpoint file) and
// its experiment configuration.
func loadRun(path string) (*maml.Checkpoint, *config.Config, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--checkpoint: %w", err)
	}
	if st.IsDir() {
		path = filepath.Join(path, maml.CheckpointFile)
	}
	ck, err := maml.LoadCheckpoint(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--checkpoint: %w", err)
	}
	cfg, err := config.Parse(ck.ConfigYAML)
	if err != nil {
		return nil, nil, fmt.Errorf("--checkpoint %s: its configuration: %w", path, err)
	}
	if ck.ImageC < 1 || ck.ImageSize < 16 || ck.Ways < 2 {
		return nil, nil, fmt.Errorf("--checkpoint %s: bad model sizes %dx%d, %d ways", path, ck.ImageC, ck.ImageSize, ck.Ways)
	}
	return ck, cfg, nil
}
