package experiment

import (
	"context"
	"fmt"
	"github.com/metabench/metabench/internal/gemm"
	"math/rand/v2"
	"time"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/internal/checkpoint"
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
// episodes of held-out classes. It writes checkpoint.gob (every
// cfg.Checkpoint, after each validation, on cancellation and at the end)
// and record.json, and returns the record.
func Train(ctx context.Context, cfg *config.Config, opt Options) (*reports.Record, error) {
	return guard(func() (*reports.Record, error) { return train(ctx, cfg, &opt, nil) })
}

// train is Train; data, when set, is used instead of opening cfg's data
// (tests share one opened dataset between runs).
func train(ctx context.Context, cfg *config.Config, opt *Options, data *expData) (*reports.Record, error) {
	started := time.Now()
	cpu0 := cpuSeconds()
	ckPath, err := opt.prepareOut(maml.CheckpointFile, "training")
	if err != nil {
		return nil, err
	}
	if data == nil {
		if data, err = openExperimentData(cfg); err != nil {
			return nil, err
		}
	}
	trainS, valS, testS, err := data.samplers(cfg)
	if err != nil {
		return nil, err
	}
	meth, err := CheckMethod(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Data.Shift >= data.H {
		return nil, fmt.Errorf("data.shift: %d pixels on %dx%d images: must be below the image size", cfg.Data.Shift, data.H, data.H)
	}
	if cfg.Model.Name == "conv4" && data.H < 16 {
		return nil, fmt.Errorf("model.name: conv4's four poolings need images of at least 16 pixels, have %d (set data.image_size)", data.H)
	}
	if cfg, err = matchedConfig(cfg, data.C, data.H); err != nil {
		return nil, err
	}
	model, err := Model(cfg.Model.Name, cfg.Model.Filters, data.C, data.H, cfg.Ways)
	if err != nil {
		return nil, err
	}
	cfgYAML, err := cfg.YAML()
	if err != nil {
		return nil, err
	}
	ck := &maml.Checkpoint{Version: maml.CheckpointVersion, Method: cfg.Method, Model: model.Name(), ConfigYAML: cfgYAML, Seed: cfg.Seed,
		ImageC: data.C, ImageSize: data.H, Ways: cfg.Ways}
	params := model.Init(initRand(cfg.Seed)).Tensors
	s := Settings(cfg)
	tr := maml.NewTrainer(model, meth, s, params, cfg.Seed, cfg.MetaBatch, cfg.Workers, maml.ShiftedSamplerTasks(trainS, cfg.MetaBatch, cfg.Data.Shift, uint64(cfg.Seed)))
	if cfg.ZeroHead {
		h, ok := model.(nn.Headed)
		if !ok {
			return nil, fmt.Errorf("zero_head: model %s has no known classifier head (conv4 has)", model.Name())
		}
		tr.ZeroParams = h.HeadParams()
		for _, i := range tr.ZeroParams {
			clear(params[i].Data) // also before the first step (a resumed run loads its own, already zero)
		}
	}
	if opt.Resume {
		old, err := maml.LoadCheckpoint(ckPath)
		if err != nil {
			return nil, err
		}
		if old.Method != cfg.Method || old.Model != model.Name() || old.Seed != cfg.Seed {
			return nil, fmt.Errorf("--resume: %s holds a %s %s run with seed %d, the experiment file asks for %s %s with seed %d",
				ckPath, old.Method, old.Model, old.Seed, cfg.Method, model.Name(), cfg.Seed)
		}
		restored := old.Tensors()
		if err := nn.CheckShapes[float32](model, restored); err != nil {
			return nil, fmt.Errorf("--resume: %s: %w", ckPath, err)
		}
		for i := range params {
			copy(params[i].Data, restored[i].Data)
		}
		if err := tr.Outer.SetState(old.Outer); err != nil {
			return nil, fmt.Errorf("--resume: %w", err)
		}
		ck.Iter, ck.TrainSec, ck.Curve = old.Iter, old.TrainSec, old.Curve
	}
	save := func(done bool) error {
		ck.SetTensors(model.ParamNames(), params)
		ck.Outer = tr.Outer.State()
		ck.Done = done
		return maml.SaveCheckpoint(ckPath, ck)
	}
	var lossSum float64
	var nSince int
	validate := func() error {
		loss := 0.0
		if nSince > 0 {
			loss = lossSum / float64(nSince)
		}
		lossSum, nSince = 0, 0
		accs, err := maml.Evaluate(meth, model, params, &s, cfg.Eval.ValEpisodes, cfg.Workers, maml.SamplerEpisodes(valS))
		if err != nil {
			return fmt.Errorf("validation: %w", err)
		}
		sum := reports.Summarize(accs)
		ck.Curve = append(ck.Curve, checkpoint.Point{Iter: ck.Iter, TrainSec: ck.TrainSec, Acc: sum.Mean, CI95: sum.CI95, Loss: loss})
		return nil
	}
	lastVal := ck.TrainSec
	if n := len(ck.Curve); n > 0 {
		lastVal = ck.Curve[n-1].TrainSec
	}
	name := fmt.Sprintf("%s %dw%ds", cfg.Method, cfg.Ways, cfg.Shots)
	var stepFLOPs, stepsRun int64 // matrix-product operations of this process's iterations
	l := &loop{Iter: &ck.Iter, TrainSec: &ck.TrainSec, Limit: cfg.Iterations, Budget: cfg.Budget.Duration,
		CheckpointEvery: cfg.Checkpoint.Duration, Name: name, Unit: "iteration", Save: save,
		Step: func(iter int) (string, error) {
			f0 := gemm.FLOPs()
			st, err := tr.Step(iter)
			if err != nil {
				return "", fmt.Errorf("training: %w", err)
			}
			stepFLOPs += gemm.FLOPs() - f0
			stepsRun++
			lossSum += st.Loss
			nSince++
			return fmt.Sprintf("%s loss %.3f acc %5.1f%%", name, st.Loss, 100*st.Acc), nil
		},
		After: func() (bool, error) {
			if valS == nil || cfg.Eval.Every.Seconds() <= 0 || ck.TrainSec-lastVal < cfg.Eval.Every.Seconds() {
				return false, nil
			}
			if err := validate(); err != nil {
				return false, err
			}
			lastVal = ck.TrainSec
			return true, save(false)
		},
		Last: func() error {
			if valS != nil && (len(ck.Curve) == 0 || ck.Curve[len(ck.Curve)-1].Iter != ck.Iter) {
				return validate()
			}
			return nil
		},
	}
	if err := l.run(ctx, opt); err != nil {
		return nil, err
	}

	// Test: the fixed evaluation set on classes never seen in training.
	progressOf(opt).Log(fmt.Sprintf("%s: testing on %d episodes", name, cfg.Eval.Episodes))
	t0 := time.Now()
	accs, err := maml.Evaluate(meth, model, params, &s, cfg.Eval.Episodes, cfg.Workers, maml.SamplerEpisodes(testS))
	if err != nil {
		return nil, fmt.Errorf("test evaluation: %w", err)
	}
	evalSec := time.Since(t0).Seconds()
	rec := newRecord("train", cfg, model, data, accs, started)
	rec.Iters = ck.Iter
	rec.WallSec = time.Since(started).Seconds()
	rec.CPUSec = cpuSeconds() - cpu0
	rec.TrainSec = ck.TrainSec
	for _, p := range ck.Curve {
		rec.Curve = append(rec.Curve, reports.Point{Iter: p.Iter, WallSec: p.TrainSec, Accuracy: p.Acc, CI95: p.CI95, Loss: p.Loss})
	}
	rec.Extra = map[string]any{
		"test_eval_sec": evalSec, "meta_batch": cfg.MetaBatch, "meta_lr": cfg.MetaLR,
		"resumed": opt.Resume, "curve_wall": "training wall clock (validation and checkpoints excluded)",
		"train_classes": len(data.trainClasses), "val_classes": len(data.valClasses), "split": data.split,
	}
	if stepsRun > 0 {
		// throughput: iterations x this per-iteration count over train_sec
		rec.Extra["mat_gflop_per_iter"] = float64(stepFLOPs) / float64(stepsRun) / 1e9
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
	for k, v := range maml.Describe(meth, &s) {
		rec.Extra[k] = v
	}
	recordMACs(rec, model)
	if err := opt.finish(rec, RecordFile(opt.Out)); err != nil {
		return nil, err
	}
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
