package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/metabench/metabench/datasets"
	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/internal/gemm"
	"github.com/metabench/metabench/maml"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/tensor"
)

const trainUsage = `usage: metabench train CONFIG.yaml --out DIR [--set key=value ...] [--resume] [--store PATH] [--label NAME] [--quiet]

Meta-trains a model from an experiment file (see benchmarks/*.yaml). Training
stops after "iterations" meta-iterations or "budget" of training wall clock,
whichever comes first. DIR receives checkpoint.gob (written atomically every
"checkpoint_every", after each validation, on Ctrl-C and at the end) and
record.json (the run's reports.Record, also saved to the results store).
--resume continues the run in DIR and ends with exactly the parameters of an
uninterrupted run. --set overrides any key of the file (dotted path, e.g.
--set eval.episodes=100 --set budget=10m).

flags:
`

// mamlFlagSet returns a silent flag set (errors are reported by the caller).
func mamlFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// mamlParseArgs parses flags that may come before or after positional
// arguments and returns the positional arguments.
func mamlParseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// mamlUsageError prints a one-line usage error and returns exit code 2; -h
// prints the usage text and returns 0.
func mamlUsageError(stderr io.Writer, cmd, usage string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, usage)
		return 0
	}
	fmt.Fprintf(stderr, "metabench %s: %v (run `metabench %s -h`)\n", cmd, err, cmd)
	return 2
}

func cmdTrain(args []string, stdout, stderr io.Writer) int {
	ea, code, ok := parseExperimentArgs("train", trainUsage, "output `DIR` for the checkpoint and record.json (required)", "run", args, stderr)
	if !ok {
		return code
	}
	sf := ea.Store
	cfg, err := loadExperiment(ea.File, ea.Sets)
	if err != nil {
		return fail(stderr, "train", err)
	}
	stopProf, err := startProfile(ea.CPUProfile)
	if err != nil {
		return fail(stderr, "train", err)
	}
	defer stopProf()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	job := trainJob{Cfg: cfg, Out: ea.Out, Resume: ea.Resume, Label: sf.Label}
	if !ea.Quiet {
		job.Progress = stderr
	}
	rec, err := trainExperiment(ctx, job)
	if err != nil {
		return fail(stderr, "train", err)
	}
	if path, err := sf.Save(rec, cfg.Store); err != nil {
		return fail(stderr, "train", fmt.Errorf("results store %s: %w", path, err))
	}
	fmt.Fprintf(stdout, "%s %s: %.2f%% ± %.2f%% on %d test episodes after %d iterations (%s of training); %s\n",
		rec.Method, reports.ProtocolString(rec.Proto), 100*rec.Summary.Mean, 100*rec.Summary.CI95, rec.Summary.N,
		rec.Iters, reports.FormatDuration(trainSeconds(rec)), filepath.Join(ea.Out, recordFile))
	return 0
}

const recordFile = "record.json"

// loadExperiment reads an experiment file with overrides and checks the
// method name against the registry.
func loadExperiment(path string, sets []string) (*config.Config, error) {
	cfg, err := config.Load(path, sets)
	if err != nil {
		return nil, err
	}
	if _, err := loadExperimentMethod(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// loadExperimentMethod checks the method name against the registry.
func loadExperimentMethod(cfg *config.Config) (maml.Method[float32], error) {
	m, err := maml.New[float32](cfg.Method)
	if err != nil {
		return nil, fmt.Errorf("method: %w", err)
	}
	return m, nil
}

// trainJob is one train invocation.
type trainJob struct {
	Cfg      *config.Config
	Out      string
	Resume   bool
	Label    string
	Progress io.Writer // nil: no progress bar
	// stopAfter, when > 0, interrupts the run after that many iterations of
	// this invocation, as Ctrl-C would (tests).
	stopAfter int
	// data, when set, is used instead of opening cfg's data (tests share
	// one opened dataset between runs).
	data *expData
}

// errInterrupted is returned when training stops on a signal (or stopAfter)
// after saving a checkpoint.
var errInterrupted = errors.New("interrupted")

// expData is the data of an experiment: the training source and classes,
// and the validation and test sources and classes.
type expData struct {
	train                   episodes.Source
	trainClasses            []int
	val, test               episodes.Source
	valClasses, testClasses []int
	// curveOnTest: the validation curve runs on test classes
	// (data.train_on_val), recorded as such.
	curveOnTest bool
	ds          *datasets.Dataset // the training dataset
	testDS      *datasets.Dataset
	split       string // description of the class split
	C, H        int
}

func openData(path, subset string, size int, field string) (*datasets.Dataset, error) {
	ds, err := datasets.Open(path, datasets.Options{Size: size, Subset: subset})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return ds, nil
}

// openExperimentData opens the sources of cfg and splits the classes.
func openExperimentData(cfg *config.Config) (*expData, error) {
	d := cfg.Data
	ds, err := openData(d.Path, d.Subset, d.ImageSize, "data.path")
	if err != nil {
		return nil, err
	}
	c, h, w := ds.ImageShape()
	if h != w {
		return nil, fmt.Errorf("data.path: %s has %dx%d images; conv4 needs square images (set data.image_size)", d.Path, h, w)
	}
	e := &expData{ds: ds, C: c, H: h}
	valFrac, testFrac := d.ValFraction, d.TestFraction
	if d.ValPath != "" {
		valFrac = 0
	}
	if d.TestPath != "" {
		testFrac = 0
	}
	var sp episodes.Split
	groups := ds.ClassGroups
	if groups != nil && len(episodes.Groups(groups)) > 1 {
		sp, err = episodes.SplitByGroupFractionFold(groups, valFrac, testFrac, uint64(d.SplitSeed), d.Fold)
		e.split = fmt.Sprintf("groups:val=%g,test=%g,seed=%d", valFrac, testFrac, d.SplitSeed)
	} else {
		sp, err = episodes.SplitByFractionFold(ds.NumClasses(), valFrac, testFrac, uint64(d.SplitSeed), d.Fold)
		e.split = fmt.Sprintf("classes:val=%g,test=%g,seed=%d", valFrac, testFrac, d.SplitSeed)
	}
	if d.Fold > 0 {
		e.split += fmt.Sprintf(",fold=%d", d.Fold)
	}
	if err != nil {
		field := "data"
		if d.Fold > 0 {
			field = "data.fold"
		}
		return nil, fmt.Errorf("%s: splitting %s: %w", field, d.Path, err)
	}
	if d.TrainOnVal {
		sp.Train = append(slices.Clone(sp.Train), sp.Val...)
		slices.Sort(sp.Train)
		e.split += ",train+val"
	}
	e.train, e.trainClasses = ds, sp.Train
	if d.Rotations {
		rot, err := episodes.NewRotated(ds)
		if err != nil {
			return nil, fmt.Errorf("data.rotations: %w", err)
		}
		e.train, e.trainClasses = rot, episodes.RotatedClasses(sp.Train)
	}
	e.test, e.testClasses, e.testDS = ds, sp.Test, ds
	if d.TestPath != "" {
		tds, err := openData(d.TestPath, d.TestSubset, h, "data.test_path")
		if err != nil {
			return nil, err
		}
		e.test, e.testClasses, e.testDS = tds, nil, tds
		e.split += ";test=" + d.TestPath
	}
	if cfg.Eval.ValEpisodes > 0 && d.TrainOnVal {
		// the validation groups are training groups now: the curve runs
		// on test classes (its own episode set; no selection is made on it)
		e.val, e.valClasses, e.curveOnTest = e.test, e.testClasses, true
	} else if cfg.Eval.ValEpisodes > 0 {
		e.val, e.valClasses = ds, sp.Val
		if d.ValPath != "" {
			vds, err := openData(d.ValPath, d.ValSubset, h, "data.val_path")
			if err != nil {
				return nil, err
			}
			e.val, e.valClasses = vds, nil
		}
		if e.valClasses != nil && len(e.valClasses) == 0 {
			return nil, errors.New("eval.val_episodes: validation needs held-out classes: set data.val_fraction above 0, data.val_path, or eval.val_episodes: 0")
		}
	}
	if _, tc, _ := e.testDS.ImageShape(); e.testDS != ds && tc != h {
		return nil, fmt.Errorf("data.test_path: images are %d pixels, training images %d", tc, h)
	}
	if tc, _, _ := e.testDS.ImageShape(); tc != c {
		return nil, fmt.Errorf("data.test_path: images have %d channels, training images %d", tc, c)
	}
	return e, nil
}

// samplers returns the training, validation (nil when off) and test
// samplers of an experiment.
func (e *expData) samplers(cfg *config.Config) (train, val, test *episodes.Sampler, err error) {
	train, err = episodes.NewSampler(e.train, e.trainClasses, episodes.Spec{Ways: cfg.Ways, Shots: cfg.Shots, Queries: cfg.Queries}, uint64(cfg.Seed))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ways/shots/queries: training classes: %w", err)
	}
	evalSpec := episodes.Spec{Ways: cfg.Ways, Shots: cfg.EvalShots(), Queries: cfg.Eval.Queries}
	test, err = episodes.EvalSet{Seed: uint64(cfg.Eval.Seed), Count: cfg.Eval.Episodes}.Sampler(e.test, e.testClasses, evalSpec)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ways/eval.shots (or shots)/eval.queries: test classes: %w", err)
	}
	if e.val != nil {
		val, err = episodes.EvalSet{Seed: uint64(cfg.Eval.Seed) + 1, Count: cfg.Eval.ValEpisodes}.Sampler(e.val, e.valClasses, evalSpec)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("ways/eval.shots (or shots)/eval.queries: validation classes: %w", err)
		}
	}
	return train, val, test, nil
}

// settingsOf maps an experiment file to the method settings.
func settingsOf(cfg *config.Config) maml.Settings {
	return maml.Settings{
		InnerLR: cfg.InnerLR, InnerSteps: cfg.InnerSteps, TestSteps: cfg.TestSteps,
		MetaLR: cfg.MetaLR, MetaLRFinal: cfg.MetaLRFinal, Clip: cfg.Clip, Iterations: cfg.Iterations,
		FirstOrderIterations: cfg.FirstOrderIterations,
		ReptileOptimizer:     cfg.Reptile.InnerOptimizer, ReptileBatch: cfg.Reptile.InnerBatch,
		ReptileUseQuery: cfg.Reptile.UseQuery, MetaStep: cfg.Reptile.MetaStep, MetaStepFinal: cfg.Reptile.MetaStepFinal,
		MetaLRSchedule: cfg.MetaLRSchedule, MSLIterations: cfg.MAMLPP.MultiStepLossIterations, PerStepBN: cfg.MAMLPP.PerStepBN, LearnInnerLR: cfg.MAMLPP.LearnInnerLR,
		ReptileCarry: cfg.Reptile.CarryAdam,
		Work:         tensor.NewWorkPool(),
	}
}

// initRand is the generator of the initial parameters of a run.
func initRand(seed int64) *rand.Rand { return rand.New(rand.NewPCG(uint64(seed), 0x696e6974)) }

// trainExperiment runs (or resumes) a training run in job.Out, evaluates the
// result on the test episodes and writes record.json. It returns the record.
func trainExperiment(ctx context.Context, job trainJob) (*reports.Record, error) {
	cfg := job.Cfg
	started := time.Now()
	cpu0 := cpuSeconds()
	if err := os.MkdirAll(job.Out, 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	ckPath := filepath.Join(job.Out, maml.CheckpointFile)
	_, statErr := os.Stat(ckPath)
	haveCk := statErr == nil
	if job.Resume && !haveCk {
		return nil, fmt.Errorf("--resume: %s: no checkpoint to resume", ckPath)
	}
	if !job.Resume && haveCk {
		return nil, fmt.Errorf("--out: %s already holds a checkpoint: pass --resume to continue it, or choose another folder", job.Out)
	}
	data := job.data
	if data == nil {
		var err error
		if data, err = openExperimentData(cfg); err != nil {
			return nil, err
		}
	}
	trainS, valS, testS, err := data.samplers(cfg)
	if err != nil {
		return nil, err
	}
	meth, err := maml.New[float32](cfg.Method)
	if err != nil {
		return nil, fmt.Errorf("method: %w", err)
	}
	if cfg.Data.Shift >= data.H {
		return nil, fmt.Errorf("data.shift: %d pixels on %dx%d images: must be below the image size", cfg.Data.Shift, data.H, data.H)
	}
	if cfg.Model.Name == "conv4" && data.H < 16 {
		return nil, fmt.Errorf("model.name: conv4's four poolings need images of at least 16 pixels, have %d (set data.image_size)", data.H)
	}
	model, err := experimentModel(cfg.Model.Name, cfg.Model.Filters, data.C, data.H, cfg.Ways)
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
	s := settingsOf(cfg)
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
	if job.Resume {
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
	validate := func(loss float64) error {
		if valS == nil {
			return nil
		}
		accs, err := maml.Evaluate(meth, model, params, &s, cfg.Eval.ValEpisodes, cfg.Workers, maml.SamplerEpisodes(valS))
		if err != nil {
			return fmt.Errorf("validation: %w", err)
		}
		sum := reports.Summarize(accs)
		ck.Curve = append(ck.Curve, maml.CurvePoint{Iter: ck.Iter, TrainSec: ck.TrainSec, Acc: sum.Mean, CI95: sum.CI95, Loss: loss})
		return nil
	}

	limitIters := cfg.Iterations
	budget := cfg.Budget.Seconds()
	more := func() bool {
		return (limitIters == 0 || ck.Iter < limitIters) && (budget == 0 || ck.TrainSec < budget)
	}
	var bar *progressbar.ProgressBar
	if job.Progress != nil && more() {
		max := -1
		if limitIters > 0 {
			max = limitIters
		}
		bar = newProgressBar(job.Progress, max, fmt.Sprintf("%s %dw%ds", cfg.Method, cfg.Ways, cfg.Shots))
		_ = bar.Set(ck.Iter)
	}
	lastCk, lastVal := time.Now(), ck.TrainSec
	if n := len(ck.Curve); n > 0 {
		lastVal = ck.Curve[n-1].TrainSec
	}
	var lossSum, accSum float64
	var nSince, ran int
	for more() {
		if err := ctx.Err(); err != nil || (job.stopAfter > 0 && ran >= job.stopAfter) {
			if err := save(false); err != nil {
				return nil, err
			}
			if bar != nil {
				_ = bar.Exit()
				fmt.Fprintln(job.Progress)
			}
			return nil, fmt.Errorf("%w at iteration %d; checkpoint saved in %s, continue with --resume", errInterrupted, ck.Iter, job.Out)
		}
		t0 := time.Now()
		st, err := tr.Step(ck.Iter)
		if err != nil {
			return nil, fmt.Errorf("training: %w", err)
		}
		dt := time.Since(t0).Seconds()
		ck.Iter++
		ck.TrainSec += dt
		ran++
		lossSum += st.Loss
		accSum += st.Acc
		nSince++
		if bar != nil {
			bar.Describe(fmt.Sprintf("%s %dw%ds loss %.3f acc %5.1f%% %.2f it/s", cfg.Method, cfg.Ways, cfg.Shots, st.Loss, 100*st.Acc, 1/dt))
			_ = bar.Set(ck.Iter)
		}
		if valS != nil && cfg.Eval.Every.Seconds() > 0 && ck.TrainSec-lastVal >= cfg.Eval.Every.Seconds() {
			if err := validate(lossSum / float64(nSince)); err != nil {
				return nil, err
			}
			lossSum, accSum, nSince = 0, 0, 0
			lastVal = ck.TrainSec
			if err := save(false); err != nil {
				return nil, err
			}
			lastCk = time.Now()
			continue
		}
		if cfg.Checkpoint.Duration > 0 && time.Since(lastCk) >= cfg.Checkpoint.Duration {
			if err := save(false); err != nil {
				return nil, err
			}
			lastCk = time.Now()
		}
	}
	if bar != nil {
		_ = bar.Exit() // leaves the bar at the iterations done (Finish would show the limit)
		fmt.Fprintln(job.Progress)
	}
	if valS != nil && (len(ck.Curve) == 0 || ck.Curve[len(ck.Curve)-1].Iter != ck.Iter) {
		loss := 0.0
		if nSince > 0 {
			loss = lossSum / float64(nSince)
		}
		if err := validate(loss); err != nil {
			return nil, err
		}
	}
	if err := save(true); err != nil {
		return nil, err
	}

	// Test: the fixed evaluation set on classes never seen in training.
	t0 := time.Now()
	accs, err := maml.Evaluate(meth, model, params, &s, cfg.Eval.Episodes, cfg.Workers, maml.SamplerEpisodes(testS))
	if err != nil {
		return nil, fmt.Errorf("test evaluation: %w", err)
	}
	evalSec := time.Since(t0).Seconds()
	rec := newRecord("train", cfg, model, data, accs, started)
	rec.Label = job.Label
	rec.Iters = ck.Iter
	rec.WallSec = time.Since(started).Seconds()
	rec.CPUSec = cpuSeconds() - cpu0
	for _, p := range ck.Curve {
		rec.Curve = append(rec.Curve, reports.Point{Iter: p.Iter, WallSec: p.TrainSec, Accuracy: p.Acc, CI95: p.CI95, Loss: p.Loss})
	}
	rec.Extra = map[string]any{
		"train_sec": ck.TrainSec, "test_eval_sec": evalSec, "meta_batch": cfg.MetaBatch, "meta_lr": cfg.MetaLR,
		"resumed": job.Resume, "curve_wall": "training wall clock (validation and checkpoints excluded)",
		"train_classes": len(data.trainClasses), "val_classes": len(data.valClasses), "split": data.split,
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
	if err := reports.WriteJSON(filepath.Join(job.Out, recordFile), rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// trainSeconds is the training wall clock of a train record.
func trainSeconds(rec *reports.Record) float64 {
	if v, ok := rec.Extra["train_sec"].(float64); ok {
		return v
	}
	return rec.WallSec
}

// newRecord fills the parts of a record common to train and eval.
func newRecord(kind string, cfg *config.Config, model nn.Model[float32], data *expData, accs []float64, started time.Time) *reports.Record {
	env := reports.NewEnv()
	env.GemmPath = gemm.Path()
	testClasses := len(data.testClasses)
	if data.testClasses == nil {
		testClasses = data.testDS.NumClasses()
	}
	rec := &reports.Record{
		Schema:  reports.SchemaVersion,
		RunID:   reports.NewRunID(kind, cfg.Method, started, cfg.Seed),
		Kind:    kind,
		Method:  cfg.Method,
		Model:   model.Name(),
		Started: started.UTC(),
		Config:  cfg.Map(),
		Seed:    cfg.Seed,
		Dataset: datasetOf(data.testDS, data.split+":test", testClasses),
		Proto: reports.Protocol{
			Ways: cfg.Ways, Shots: cfg.EvalShots(), Queries: cfg.Eval.Queries,
			StepsTrain: cfg.InnerSteps, StepsTest: cfg.TestSteps, InnerLR: cfg.InnerLR,
			BNMode: "transductive", EvalEpisode: len(accs), EvalSeed: cfg.Eval.Seed, Rotations: cfg.Data.Rotations,
		},
		Episodes: accs,
		Summary:  reports.Summarize(accs),
		Params:   model.ParamCount(),
		Env:      env,
	}
	return rec
}

// datasetOf describes a dataset for a record. Format is the dataset family
// ("omniglot", "miniimagenet", ...) so that published references match.
func datasetOf(ds *datasets.Dataset, split string, classes int) reports.Dataset {
	format := ds.Format
	for _, fam := range []string{"omniglot", "miniimagenet"} {
		if strings.HasPrefix(strings.ReplaceAll(strings.ToLower(format), "-", ""), fam) {
			format = fam
		}
	}
	if format == "" && strings.Contains(ds.Path, "embedded") {
		format = "omniglot"
	}
	c, h, w := ds.ImageShape()
	return reports.Dataset{Path: ds.Path, Format: format, SHA256: fileSHA256(ds.Path), Split: split,
		Classes: classes, ImageHxW: fmt.Sprintf("%dx%dx%d", c, h, w)}
}

// embeddedSHA256 is the checksum of the embedded Omniglot npz
// (datasets/defaultdata/PROVENANCE.md).
const embeddedSHA256 = "8bf84167413cd00beacdce3fe582f780ab538d8dbef043a6d688f2527bbce199"

// fileSHA256 returns the checksum of a regular file, of the embedded data,
// or "" for folders and unreadable paths.
func fileSHA256(path string) string {
	if path == datasets.DefaultPath || strings.HasPrefix(path, "embedded") || path == "default" {
		return embeddedSHA256
	}
	if i := strings.Index(path, ":"); i > 0 {
		if _, err := os.Stat(path); err != nil {
			path = path[i+1:]
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.IsDir() {
		return ""
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cpuSeconds is the user+system CPU time of this process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
