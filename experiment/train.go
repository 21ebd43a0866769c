package experiment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/internal/checkpoint"
	"github.com/metabench/metabench/internal/gemm"
	"github.com/metabench/metabench/maml"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/tensor"
)

// Settings maps an experiment file to the settings every method reads (a
// method's own options are its block: config.Config.Options).
func Settings(cfg *config.Config) maml.Settings {
	return maml.Settings{
		InnerLR: cfg.InnerLR, InnerSteps: cfg.InnerSteps, TestSteps: cfg.TestSteps,
		MetaLR: cfg.MetaLR, MetaLRFinal: cfg.MetaLRFinal, Clip: cfg.Clip, Iterations: cfg.Iterations,
		FirstOrderIterations: cfg.FirstOrderIterations,
		MetaLRSchedule:       cfg.MetaLRSchedule, MetaLRStepEvery: cfg.MetaLRStepEvery, MetaLRStepFactor: cfg.MetaLRStepFactor,
		Work: tensor.NewWorkPool(),
	}
}

// initRand is the generator of the initial parameters of a run.
func initRand(seed int64) *rand.Rand { return rand.New(rand.NewPCG(uint64(seed), 0x696e6974)) }

// Train meta-trains the model of an experiment file with its method (MAML,
// first-order MAML, Reptile, ... from the maml registry) in opt.Out, or
// resumes the run there, then evaluates the result on the fixed test
// episodes of held-out classes; a tuning run (eval.episodes 0) skips the
// test, and its record's summary is its last validation point, marked
// reports.ExtraNoTest (docs/DECISIONS.md R36). It writes checkpoint.gob (every
// cfg.Checkpoint, after each validation, on cancellation and at the end)
// and record.json, and returns the record.
func Train(ctx context.Context, cfg *config.Config, opt Options) (*reports.Record, error) {
	return guard(func() (*reports.Record, error) { return train(ctx, cfg, &opt, nil) })
}

// train is Train; data, when set, is used instead of opening cfg's data
// (tests share one opened dataset between runs).
func train(ctx context.Context, cfg *config.Config, opt *Options, data *expData) (*reports.Record, error) {
	var choice *InnerLRChoice
	if cfg.TrainSelect.On() {
		c := *cfg
		var err error
		if choice, err = chooseInnerLR(ctx, &c, opt, data); err != nil {
			return nil, err
		}
		cfg = &c
	}
	t, err := runToEnd(ctx, KindTrain, opt, func(r *resumable) (*trainRun, error) { return newTrainRun(r, cfg, data) })
	if err != nil {
		return nil, err
	}
	withChoice := func(rec *reports.Record) *reports.Record {
		if choice != nil {
			if rec.Extra == nil {
				rec.Extra = map[string]any{}
			}
			rec.Extra[ExtraInnerLR] = choice
			rec.CPUSec += choice.CPUSec() // the choice is part of the run's cost
		}
		return rec
	}
	if t.testS == nil {
		// A tuning run: no test episode is drawn or scored.
		progressOf(opt).Log(fmt.Sprintf("%s: no test evaluation (eval.episodes 0: a tuning run); the record's accuracy is the last validation point", t.name))
		rec, err := t.record(nil, 0)
		if err != nil {
			return nil, err
		}
		return t.finish(withChoice(rec))
	}
	// Test: the fixed evaluation set on classes never seen in training.
	progressOf(opt).Log(fmt.Sprintf("%s: testing on %d episodes", t.name, t.cfg.Eval.Episodes))
	t0 := time.Now()
	accs, err := maml.Evaluate(t.meth, t.model, t.params, &t.s, t.cfg.Eval.Episodes, t.cfg.Workers, maml.SamplerEpisodes(t.testS))
	if err != nil {
		return nil, fmt.Errorf("test evaluation: %w", err)
	}
	rec, err := t.record(accs, time.Since(t0).Seconds())
	if err != nil {
		return nil, err
	}
	return t.finish(withChoice(rec))
}

// trainRun is a training run's own part: its data, model, method and
// trainer, and what its loop measures (resumable does the rest).
type trainRun struct {
	*resumable
	cfg                 *config.Config
	data                *expData
	trainS, valS, testS *episodes.Sampler
	meth                maml.Method[float32]
	model               nn.Model[float32]
	params              []*tensor.Tensor[float32]
	s                   maml.Settings
	tr                  *maml.Trainer[float32]
	ck                  *maml.Checkpoint // the model's description, saved with its parameters
	name                string
	loss                stretch[string] // the training loss since the last validation
	stepFLOPs, stepsRun int64           // matrix-product operations of this process's iterations
}

// newTrainRun opens cfg's data (unless given), checks the file against it
// and builds the model, the method and the trainer.
func newTrainRun(r *resumable, cfg *config.Config, data *expData) (*trainRun, error) {
	var err error
	if data == nil {
		if data, err = openExperimentData(cfg); err != nil {
			return nil, err
		}
	}
	t := &trainRun{resumable: r, data: data, name: fmt.Sprintf("%s %dw%ds", cfg.Method, cfg.Ways, cfg.Shots)}
	if t.trainS, t.valS, t.testS, err = data.samplers(cfg); err != nil {
		return nil, err
	}
	if t.meth, err = CheckMethod(cfg); err != nil {
		return nil, err
	}
	if cfg.Data.Shift >= data.H {
		return nil, fmt.Errorf("data.shift: %d pixels on %dx%d images: must be below the image size", cfg.Data.Shift, data.H, data.H)
	}
	if cfg.Model.Name == "conv4" && data.H < 16 {
		return nil, fmt.Errorf("model.name: conv4's four poolings need images of at least 16 pixels, have %d (set data.image_size)", data.H)
	}
	if t.cfg, err = matchedConfig(cfg, data.C, data.H); err != nil {
		return nil, err
	}
	cfg = t.cfg
	if t.model, err = Model(cfg.Model.Name, cfg.Model.Filters, data.C, data.H, cfg.Ways); err != nil {
		return nil, err
	}
	cfgYAML, err := cfg.YAML()
	if err != nil {
		return nil, err
	}
	t.ck = &maml.Checkpoint{Version: maml.CheckpointVersion, Method: cfg.Method, Model: t.model.Name(), ConfigYAML: cfgYAML, Seed: cfg.Seed,
		ImageC: data.C, ImageSize: data.H, Ways: cfg.Ways}
	t.params = t.model.Init(initRand(cfg.Seed)).Tensors
	t.s = Settings(cfg)
	t.tr = maml.NewTrainer(t.model, t.meth, t.s, t.params, cfg.Seed, cfg.MetaBatch, cfg.Workers, maml.ShiftedSamplerTasks(t.trainS, cfg.MetaBatch, cfg.Data.Shift, uint64(cfg.Seed)))
	if cfg.ZeroHead {
		h, ok := t.model.(nn.Headed)
		if !ok {
			return nil, fmt.Errorf("zero_head: model %s has no known classifier head (conv4 has)", t.model.Name())
		}
		t.tr.ZeroParams = h.HeadParams()
		for _, i := range t.tr.ZeroParams {
			clear(t.params[i].Data) // also before the first step (a resumed run loads its own, already zero)
		}
	}
	return t, nil
}

// restore loads a checkpoint of the same method, model and seed.
func (t *trainRun) restore(h checkpoint.Header, st *checkpoint.State) error {
	old, err := maml.CheckpointOf(h, st)
	if err != nil {
		return err
	}
	if old.Method != t.cfg.Method || old.Model != t.model.Name() || old.Seed != t.cfg.Seed {
		return fmt.Errorf("a %s %s run with seed %d, the experiment file asks for %s %s with seed %d",
			old.Method, old.Model, old.Seed, t.cfg.Method, t.model.Name(), t.cfg.Seed)
	}
	if err := nn.CheckShapes[float32](t.model, old.Tensors()); err != nil {
		return err
	}
	if err := checkpoint.CopyTensors(t.params, st.Tensors); err != nil {
		return err
	}
	return t.tr.Outer.SetState(old.Outer)
}

// capture is the run's state: the parameters and the outer optimiser's.
func (t *trainRun) capture() (*checkpoint.State, error) {
	t.ck.SetTensors(t.model.ParamNames(), t.params)
	t.ck.Outer = t.tr.Outer.State()
	_, st, err := t.ck.State()
	return st, err
}

// loop is the training loop: a validation point every eval.every of
// training wall clock, or every eval.every_iterations iterations when that is
// set (each followed by a checkpoint), and one at the end.
func (t *trainRun) loop() *loop {
	cfg := t.cfg
	lastVal := t.hdr.TrainSec
	if p, ok := t.lastPoint(); ok {
		lastVal = p.TrainSec
	}
	return &loop{Limit: cfg.Iterations, Budget: cfg.Budget.Duration, CheckpointEvery: cfg.Checkpoint.Duration,
		Name: t.name, Unit: "iteration", Step: t.step,
		After: func() (bool, error) {
			switch {
			case t.valS == nil:
				return false, nil
			case cfg.Eval.EveryIters > 0:
				if t.hdr.Iter%cfg.Eval.EveryIters != 0 {
					return false, nil
				}
			case cfg.Eval.Every.Seconds() <= 0 || t.hdr.TrainSec-lastVal < cfg.Eval.Every.Seconds():
				return false, nil
			}
			lastVal = t.hdr.TrainSec
			return true, t.validate()
		},
		Last: func() error {
			if p, ok := t.lastPoint(); t.valS != nil && (!ok || p.Iter != t.hdr.Iter) {
				return t.validate()
			}
			return nil
		},
	}
}

// step runs meta-iteration iter.
func (t *trainRun) step(iter int) (string, error) {
	f0 := gemm.FLOPs()
	st, err := t.tr.Step(iter)
	if err != nil {
		return "", fmt.Errorf("training: %w", err)
	}
	t.stepFLOPs += gemm.FLOPs() - f0
	t.stepsRun++
	t.loss.add("loss", st.Loss, 1)
	return fmt.Sprintf("%s loss %.3f acc %5.1f%%", t.name, st.Loss, 100*st.Acc), nil
}

// validate adds a curve point: the accuracy on the validation episodes and
// the mean training loss since the last point.
func (t *trainRun) validate() error {
	loss := t.loss.take()["loss"]
	accs, err := maml.Evaluate(t.meth, t.model, t.params, &t.s, t.cfg.Eval.ValEpisodes, t.cfg.Workers, maml.SamplerEpisodes(t.valS))
	if err != nil {
		return fmt.Errorf("validation: %w", err)
	}
	sum := reports.Summarize(accs)
	t.add(checkpoint.Point{Acc: sum.Mean, CI95: sum.CI95, Loss: loss})
	return nil
}

// record is the record of the run with its test accuracies accs, or, for
// a tuning run without a test sampler, with its last validation point as
// its summary (validationOnly), marked reports.ExtraNoTest.
func (t *trainRun) record(accs []float64, evalSec float64) (*reports.Record, error) {
	cfg, data := t.cfg, t.data
	rec := t.resumable.record(cfg.Method, t.model.Name(), cfg.Map(), cfg.Seed)
	rec.Extra = map[string]any{
		"meta_batch": cfg.MetaBatch, "meta_lr": cfg.MetaLR,
		"resumed": t.opt.Resume, "curve_wall": "training wall clock (validation and checkpoints excluded)",
		"train_classes": len(data.trainClasses), "val_classes": len(data.valClasses), "split": data.split,
	}
	if t.testS != nil {
		fewShot(rec, cfg, t.model, data, accs)
		rec.Extra["test_eval_sec"] = evalSec
	} else {
		p, ok := t.lastPoint()
		if !ok || p.Iter != t.hdr.Iter {
			return nil, fmt.Errorf("eval.episodes: a tuning run (0) is scored by its last validation point, and the run has none at iteration %d", t.hdr.Iter)
		}
		validationOnly(rec, cfg, t.model, data, reports.Summary{Mean: p.Acc, CI95: p.CI95, N: cfg.Eval.ValEpisodes})
		rec.Extra[reports.ExtraNoTest] = reports.NoTestNote
	}
	if t.stepsRun > 0 {
		// throughput: iterations x this per-iteration count over train_sec
		rec.Extra["mat_gflop_per_iter"] = float64(t.stepFLOPs) / float64(t.stepsRun) / 1e9
	}
	if data.curveOnTest {
		rec.Extra["val_classes"] = 0
		rec.Extra["curve_classes"] = "test classes (data.train_on_val), a separate episode set; monitoring only, nothing selected on it"
	}
	if cfg.EvalShots() != cfg.Shots {
		rec.Extra["train_shots"] = cfg.Shots
	}
	if cfg.Data.Shift > 0 {
		rec.Extra["augmentation"] = fmt.Sprintf("training images shifted by up to %d pixels per axis (data.shift); test episodes unshifted", cfg.Data.Shift)
	}
	if cfg.ZeroHead {
		rec.Extra["variant"] = "zero_head: classifier head held at zero, learned from zero by every inner loop (zeroing trick, Kao et al. 2022)"
	}
	if cfg.FirstOrderIterations > 0 {
		rec.Extra["first_order_iterations"] = cfg.FirstOrderIterations
	}
	for k, v := range maml.Describe(t.meth, &t.s) {
		rec.Extra[k] = v
	}
	recordMACs(rec, t.model)
	return rec, nil
}

// CheckMethod checks an experiment file's method against the registry and
// returns it, built with the file's block of its options.
func CheckMethod(cfg *config.Config) (maml.Method[float32], error) {
	m, err := maml.NewWith[float32](cfg.Method, cfg.Options())
	if err != nil {
		return nil, fmt.Errorf("method: %w", err)
	}
	return m, nil
}
