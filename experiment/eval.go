package experiment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/datasets"
	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/maml"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/tensor"
)

// EvalConfig is an evaluation of a trained run on a fixed set of test
// episodes. Zero fields (and -1 for Steps and Seed) take the run's values.
type EvalConfig struct {
	Checkpoint string // the run folder written by Train, or its checkpoint.gob (required)
	// Data, when set, draws the episodes from every class of this source
	// (images resized to the model's input) instead of the run's held-out
	// test classes; Subset picks a subset where the format has several.
	Data, Subset                   string
	Ways, Shots, Queries, Episodes int
	Steps                          int     // test-time inner steps; -1: the run's test_steps
	LR                             float64 // test-time inner learning rate
	Seed                           int64   // seed of the episode set; -1: the run's eval.seed
	Workers                        int     // episodes adapted in parallel (0 = GOMAXPROCS)
	// StepsGrid and LRGrid, when either is set, choose the test-time
	// steps and rate on SelectEpisodes validation episodes of the run
	// (TestLoopChoice) instead of taking Steps and LR.
	StepsGrid      []int
	LRGrid         []float64
	SelectEpisodes int
}

// DefaultEval is the evaluation of a run with all of its own settings.
func DefaultEval(checkpoint string) EvalConfig {
	return EvalConfig{Checkpoint: checkpoint, Steps: -1, Seed: -1}
}

// Eval evaluates a trained run on fixed test episodes: each episode is
// adapted from the trained parameters with the method's test-time inner
// loop and scored by query accuracy. The record holds the per-episode
// accuracies, their mean with its 95% CI, and the protocol; it is written
// to opt.Out/record.json when opt.Out is set, and handed to opt.Save.
func Eval(ctx context.Context, ec EvalConfig, opt Options) (*reports.Record, error) {
	return guard(func() (*reports.Record, error) { return eval(ctx, ec, &opt) })
}

func eval(ctx context.Context, ec EvalConfig, opt *Options) (*reports.Record, error) {
	started := time.Now()
	cpu0 := cpuSeconds()
	if err := ec.check(); err != nil {
		return nil, err
	}
	ck, cfg, err := LoadRun(ec.Checkpoint)
	if err != nil {
		return nil, err
	}
	valSeed := cfg.Eval.Seed + 1 // the run's validation episodes, whatever --seed picks for test
	if cfg.Eval.Episodes == 0 && ec.Episodes == 0 {
		return nil, fmt.Errorf("eval.episodes: %s is a tuning run (eval.episodes 0): it has no test protocol to repeat; set the number of test episodes (eval.episodes) to test it deliberately", ec.Checkpoint)
	}
	if err := ec.override(cfg, ck); err != nil {
		return nil, err
	}
	e, err := newEvaluation(ec, ck, cfg)
	if err != nil {
		return nil, err
	}
	src, classes, ds, split, err := evalSource(ec, ck, cfg)
	if err != nil {
		return nil, err
	}
	spec := episodes.Spec{Ways: cfg.EvalWays(), Shots: cfg.EvalShots(), Queries: cfg.Eval.Queries}
	sampler, err := episodes.EvalSet{Seed: uint64(cfg.Eval.Seed), Count: cfg.Eval.Episodes}.Sampler(src, classes, spec)
	if err != nil {
		return nil, fmt.Errorf("eval.ways/eval.shots/eval.queries: %w", err)
	}
	var choice *TestLoopChoice
	if len(ec.StepsGrid)+len(ec.LRGrid) > 0 {
		if ec.Steps >= 0 && len(ec.StepsGrid) > 0 || ec.LR > 0 && len(ec.LRGrid) > 0 {
			return nil, errors.New("test_steps/inner_lr and steps_grid/lr_grid exclude each other: the grid chooses them")
		}
		progressOf(opt).Log(fmt.Sprintf("eval: choosing the test-time loop on %d validation episodes", ec.SelectEpisodes))
		if choice, err = chooseTestLoop(e.meth, e.model, e.params, &e.s, cfg, valSeed, ec.StepsGrid, ec.LRGrid, ec.SelectEpisodes, ec.Workers); err != nil {
			return nil, err
		}
		cfg.TestSteps, cfg.InnerLR = choice.Steps, choice.LR
		progressOf(opt).Log("eval: chose " + choice.Describe())
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%w before the evaluation started", ErrInterrupted)
	}
	progressOf(opt).Log(fmt.Sprintf("eval: %d episodes of %s", cfg.Eval.Episodes, split))
	accs, err := maml.Evaluate(e.meth, e.model, e.params, &e.s, cfg.Eval.Episodes, ec.Workers, maml.SamplerEpisodes(sampler))
	if err != nil {
		return nil, err
	}
	nClasses := len(classes)
	if classes == nil {
		nClasses = src.NumClasses()
	}
	rec := newRecord(KindEval, cfg.Method, cfg.Method, e.model.Name(), started, cfg.Map(), cfg.Seed)
	fewShot(rec, cfg, e.model, &expData{testDS: ds, testClasses: classes, split: split}, accs)
	rec.Dataset = datasetOf(ds, split, nClasses)
	rec.Method = ck.Method
	rec.Iters = ck.Iter
	rec.WallSec = time.Since(started).Seconds()
	rec.CPUSec = cpuSeconds() - cpu0
	rec.Extra = map[string]any{"checkpoint": ec.Checkpoint}
	if choice != nil {
		rec.Extra[ExtraTestLoop] = choice
	}
	recordMACs(rec, e.model)
	path := ""
	if opt.Out != "" {
		if err := os.MkdirAll(opt.Out, 0o755); err != nil {
			return nil, fmt.Errorf("run folder: %w", err)
		}
		path = RecordFile(opt.Out)
	}
	if err := opt.finish(rec, path); err != nil {
		return nil, err
	}
	return rec, nil
}

// check refuses negative counts.
func (ec *EvalConfig) check() error {
	if ec.Checkpoint == "" {
		return errors.New("no run folder to evaluate (EvalConfig.Checkpoint)")
	}
	for _, c := range []struct {
		bad bool
		key string
		v   int
	}{{ec.Ways < 0, "eval.ways", ec.Ways}, {ec.Shots < 0, "eval.shots", ec.Shots}, {ec.Queries < 0, "eval.queries", ec.Queries}, {ec.Episodes < 0, "eval.episodes", ec.Episodes}} {
		if c.bad {
			return fmt.Errorf("%s %d: must be positive", c.key, c.v)
		}
	}
	return nil
}

// override sets the evaluation's settings over the run's protocol cfg and
// checks the ways against the checkpoint's classifier.
func (ec *EvalConfig) override(cfg *config.Config, ck *maml.Checkpoint) error {
	for _, o := range []struct {
		set   bool
		apply func()
	}{
		{ec.Ways > 0, func() { cfg.Eval.Ways = ec.Ways }},
		{ec.Shots > 0, func() { cfg.Eval.Shots = ec.Shots }},
		{ec.Queries > 0, func() { cfg.Eval.Queries = ec.Queries }},
		{ec.Episodes > 0, func() { cfg.Eval.Episodes = ec.Episodes }},
		{ec.Steps >= 0, func() { cfg.TestSteps = ec.Steps }},
		{ec.LR > 0, func() { cfg.InnerLR = ec.LR }},
		{ec.Seed >= 0, func() { cfg.Eval.Seed = ec.Seed }},
	} {
		if o.set {
			o.apply()
		}
	}
	if w := cfg.EvalWays(); w > ck.Ways && !cfg.Caps().AnyWays {
		return fmt.Errorf("eval.ways %d: the checkpoint's classifier has %d outputs (trained %d-way)", w, ck.Ways, ck.Ways)
	}
	if w := cfg.EvalWays(); w < 2 {
		return fmt.Errorf("eval.ways %d: must be at least 2", w)
	}
	return nil
}

// evaluation is a trained run as an evaluation adapts it: its model,
// parameters, method and settings (the outer optimiser's state restored).
type evaluation struct {
	model  nn.Model[float32]
	params []*tensor.Tensor[float32]
	meth   maml.Method[float32]
	s      maml.Settings
}

// newEvaluation rebuilds the run's model and method from its checkpoint.
func newEvaluation(ec EvalConfig, ck *maml.Checkpoint, cfg *config.Config) (*evaluation, error) {
	model, err := Model(cfg.Model.Name, cfg.Model.Filters, ck.ImageC, ck.ImageSize, ck.Ways)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", ec.Checkpoint, err)
	}
	e := &evaluation{model: model, params: ck.Tensors(), s: Settings(cfg)}
	if err := nn.CheckShapes[float32](model, e.params); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", ec.Checkpoint, err)
	}
	// the method's state saved with the outer optimiser (Reptile's carried
	// inner Adam starts every test-time adaptation); a Reptile checkpoint
	// written before carry_adam existed holds no inner state
	opts := cfg.Clone().Blocks[ck.Method]
	if ro, ok := opts.(*maml.ReptileOptions); ok && ck.Outer.Kind == "sgd-decay" {
		ro.CarryAdam = false
	}
	if e.meth, err = maml.NewWith[float32](ck.Method, opts); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", ec.Checkpoint, err)
	}
	if err := maml.NewOuterFor(e.meth, model, &e.s, e.params).SetState(ck.Outer); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", ec.Checkpoint, err)
	}
	return e, nil
}

// evalSource is where the episodes come from: every class of ec.Data, or
// the run's held-out test classes.
func evalSource(ec EvalConfig, ck *maml.Checkpoint, cfg *config.Config) (src episodes.Source, classes []int, ds *datasets.Dataset, split string, err error) {
	if ec.Data == "" {
		data, err := openExperimentData(cfg)
		if err != nil {
			return nil, nil, nil, "", fmt.Errorf("the run's data: %w", err)
		}
		return data.test, data.testClasses, data.testDS, data.split + ":test", nil
	}
	ds, err = datasets.Open(ec.Data, datasets.Options{Size: ck.ImageSize, Subset: ec.Subset})
	if err != nil {
		return nil, nil, nil, "", fmt.Errorf("evaluation data: %w", err)
	}
	if c, h, w := ds.ImageShape(); c != ck.ImageC || h != ck.ImageSize || w != ck.ImageSize {
		return nil, nil, nil, "", fmt.Errorf("evaluation data %s: images are %dx%dx%d, the checkpoint's model takes %dx%dx%d",
			ec.Data, c, h, w, ck.ImageC, ck.ImageSize, ck.ImageSize)
	}
	return ds, nil, ds, "all", nil
}

// LoadRun reads the checkpoint of a Train run folder (or a checkpoint file)
// and its experiment configuration.
func LoadRun(path string) (*maml.Checkpoint, *config.Config, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	if st.IsDir() {
		path = filepath.Join(path, maml.CheckpointFile)
	}
	ck, err := maml.LoadCheckpoint(path)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	cfg, err := config.Parse(ck.ConfigYAML)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: its configuration: %w", path, err)
	}
	if ck.ImageC < 1 || ck.ImageSize < 16 || ck.Ways < 2 {
		return nil, nil, fmt.Errorf("checkpoint %s: bad model sizes %dx%d, %d ways", path, ck.ImageC, ck.ImageSize, ck.Ways)
	}
	return ck, cfg, nil
}
