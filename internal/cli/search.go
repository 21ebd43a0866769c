package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"gopkg.in/yaml.v3"

	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/internal/gemm"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

const searchUsage = `usage: metabench search CONFIG.yaml --out DIR [--set key=value ...] [--resume] [--store PATH] [--label NAME] [--quiet]

Runs a BASE architecture search from a search experiment file (see
benchmarks/*-base-*.yaml): the search network of the file's search.network
section is meta-trained on episodes of the meta-training classes for
search.iterations meta-iterations or search.budget of wall clock, whichever
comes first, then the architecture is decoded (search.derive). DIR receives
search-checkpoint.gob (written atomically every checkpoint_every, on Ctrl-C
and at the end), genotype.yaml and genotype.json (the derived cells),
arch.json (the decoded probability tables), train.yaml (the file's
experiment keys with model.name set to the derived genotype: train the final
network with ` + "`metabench train DIR/train.yaml --out RUN`" + `) and
record.json (the run's reports.Record, also saved to the results store).
--set overrides any key, search keys included (e.g. --set search.iterations=50).

flags:
`

func cmdSearch(args []string, stdout, stderr io.Writer) int {
	ea, code, ok := parseExperimentArgs("search", searchUsage, "output `DIR` (required)", "search", args, stderr)
	if !ok {
		return code
	}
	sf := ea.Store
	cfg, err := config.LoadSearch(ea.File, ea.Sets)
	if err != nil {
		return fail(stderr, "search", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	job := searchJob{Cfg: cfg, Out: ea.Out, Resume: ea.Resume, Label: sf.Label}
	if !ea.Quiet {
		job.Progress = stderr
	}
	rec, der, err := safeSearch(ctx, job)
	if err != nil {
		return fail(stderr, "search", err)
	}
	if path, err := sf.Save(rec, cfg.Store); err != nil {
		return fail(stderr, "search", fmt.Errorf("results store %s: %w", path, err))
	}
	fmt.Fprintf(stdout, "%s: %d iterations (%s of search); genotype %s -> %s\n",
		rec.Method, rec.Iters, reports.FormatDuration(rec.Extra["search_sec"].(float64)), der.Genotype,
		filepath.Join(ea.Out, "genotype.yaml"))
	return 0
}

// safeSearch runs searchExperiment and turns a panic of the engine (a bug,
// not bad input: inputs are validated first) into an error, so the command
// ends with its one-line message rather than a stack trace.
func safeSearch(ctx context.Context, job searchJob) (rec *reports.Record, der *search.Derived, err error) {
	defer func() {
		if r := recover(); r != nil {
			rec, der, err = nil, nil, fmt.Errorf("internal error (please report): %v", r)
		}
	}()
	return searchExperiment(ctx, job)
}

// searchJob is one search invocation.
type searchJob struct {
	Cfg      *config.SearchFile
	Out      string
	Resume   bool
	Label    string
	Progress io.Writer
	// stopAfter > 0 interrupts the run after that many iterations of this
	// invocation, as Ctrl-C would (tests).
	stopAfter int
}

// searchSettings maps the search section to the search package's settings.
func searchSettings(c *config.SearchFile) search.Settings {
	s := c.Search
	return search.Settings{
		Variant: s.Variant, Relax: search.Relaxation{Kind: s.Relaxation, Hard: s.Hard},
		TauMax: s.TauMax, TauMin: s.TauMin, InnerSteps: s.InnerSteps, EtaW: s.InnerLR, EtaA: s.InnerLRArch,
		MetaBatch: s.MetaBatch, Iterations: s.Iterations,
		MetaLR: s.MetaLR, ArchLR: s.ArchLR, ArchBeta1: s.ArchBeta1, ArchWD: s.ArchWeightDecay, Clip: s.Clip,
		Beta: s.ReptileBeta, BetaFinal: s.ReptileBetaFinal, FDEps: s.FDEps, Workers: c.Workers,
	}
}

// searchMethod is the record's method name: base-gumbel, base-softmax, with
// the variant appended when it is not the exact unroll.
func searchMethod(s config.Search) string {
	m := "base-" + s.Relaxation
	if s.Variant != search.VariantExact {
		m += "-" + s.Variant
	}
	return m
}

// episodeBatch materialises episode i of a sampler as float32 batches.
func episodeBatch(s *episodes.Sampler, i int) (sup, qry search.Batch[float32]) {
	ep := s.Episode(i)
	var st, qt episodes.Task
	episodes.MaterializeEpisode(&st, &qt, s.Source(), &ep)
	conv := func(t *episodes.Task) search.Batch[float32] {
		y := make([]int, len(t.Y))
		for j, v := range t.Y {
			y[j] = int(v)
		}
		return search.Batch[float32]{X: tensor.FromSlice(t.X, t.N, t.C, t.H, t.W), Y: y}
	}
	return conv(&st), conv(&qt)
}

// searchExperiment runs (or resumes) a search in job.Out, derives the
// genotype and writes the run folder. It returns the record.
func searchExperiment(ctx context.Context, job searchJob) (*reports.Record, *search.Derived, error) {
	cfg := job.Cfg
	sc := cfg.Search
	started := time.Now()
	cpu0 := cpuSeconds()
	if err := os.MkdirAll(job.Out, 0o755); err != nil {
		return nil, nil, fmt.Errorf("--out: %w", err)
	}
	ckPath := filepath.Join(job.Out, search.CheckpointFile)
	_, statErr := os.Stat(ckPath)
	haveCk := statErr == nil
	if job.Resume && !haveCk {
		return nil, nil, fmt.Errorf("--resume: %s: no checkpoint to resume", ckPath)
	}
	if !job.Resume && haveCk {
		return nil, nil, fmt.Errorf("--out: %s already holds a search checkpoint: pass --resume to continue it, or choose another folder", job.Out)
	}
	data, err := openExperimentData(&cfg.Config)
	if err != nil {
		return nil, nil, err
	}
	spec := episodes.Spec{Ways: cfg.Ways, Shots: cfg.Shots, Queries: cfg.Queries}
	trainS, err := episodes.NewSampler(data.train, data.trainClasses, spec, uint64(cfg.Seed))
	if err != nil {
		return nil, nil, fmt.Errorf("ways/shots/queries: training classes: %w", err)
	}
	deriveS, err := episodes.NewSampler(data.train, data.trainClasses, spec, uint64(cfg.Seed)^0x64657269)
	if err != nil {
		return nil, nil, fmt.Errorf("derivation episodes: %w", err)
	}
	net, err := search.NewSearchNet(search.SearchNetConfig{
		Cells: sc.Network.Cells, Channels: sc.Network.Channels, Classes: cfg.Ways, InChannels: data.C,
		StemStride: sc.Network.StemStride, Reductions: sc.Network.Reductions, Ops: sc.Network.Ops})
	if err != nil {
		return nil, nil, fmt.Errorf("search.network: %w", err)
	}
	if err := net.CheckInput(data.H); err != nil {
		return nil, nil, fmt.Errorf("search.network: %w", err)
	}
	fc := sc.Final
	if _, err := search.NewModelFromName[float32](fmt.Sprintf("genotype:darts-v2,cells=%d,channels=%d,stem_stride=%d", fc.Cells, fc.Channels, fc.StemStride), fc.Channels, data.C, data.H, cfg.Ways); err != nil {
		return nil, nil, fmt.Errorf("search.final: %w", err)
	}
	K := sc.MetaBatch
	tasks := func(iter, k int) (search.Batch[float32], search.Batch[float32], error) {
		s, q := episodeBatch(trainS, iter*K+k)
		return s, q, nil
	}
	settings := searchSettings(cfg)
	sr, err := search.NewSearcher(net, settings, cfg.Seed, tasks)
	if err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	cfgYAML, err := yamlOf(cfg)
	if err != nil {
		return nil, nil, err
	}
	ck := &search.Checkpoint{ConfigYAML: cfgYAML}
	if job.Resume {
		old, err := search.LoadCheckpoint(ckPath)
		if err != nil {
			return nil, nil, fmt.Errorf("--resume: %w", err)
		}
		if err := old.Restore(sr); err != nil {
			return nil, nil, fmt.Errorf("--resume: %s: %w", ckPath, err)
		}
		ck.Iter, ck.TrainSec, ck.Curve = old.Iter, old.TrainSec, old.Curve
	}
	save := func(done bool) error {
		ck.Capture(sr)
		ck.Done = done
		return search.SaveCheckpoint(ckPath, ck)
	}
	limit, budget := sc.Iterations, sc.Budget.Seconds()
	more := func() bool { return (limit == 0 || ck.Iter < limit) && (budget == 0 || ck.TrainSec < budget) }
	var bar *progressbar.ProgressBar
	if job.Progress != nil && more() {
		max := -1
		if limit > 0 {
			max = limit
		}
		bar = newProgressBar(job.Progress, max, searchMethod(sc))
		_ = bar.Set(ck.Iter)
	}
	curveEvery := max(1, limit/100)
	var pt search.CurvePoint
	nPt, ran := 0, 0
	lastCk := time.Now()
	for more() {
		if err := ctx.Err(); err != nil || (job.stopAfter > 0 && ran >= job.stopAfter) {
			if err := save(false); err != nil {
				return nil, nil, err
			}
			if bar != nil {
				_ = bar.Exit()
				fmt.Fprintln(job.Progress)
			}
			return nil, nil, fmt.Errorf("%w at iteration %d; checkpoint saved in %s, continue with --resume", errInterrupted, ck.Iter, job.Out)
		}
		t0 := time.Now()
		st, err := sr.Step(ck.Iter)
		if err != nil {
			return nil, nil, fmt.Errorf("search: %w", err)
		}
		dt := time.Since(t0).Seconds()
		ck.Iter++
		ck.TrainSec += dt
		ran++
		pt.QueryLoss += st.QueryLoss
		pt.QueryAcc += st.QueryAcc
		nPt++
		if nPt == curveEvery || !more() {
			ck.Curve = append(ck.Curve, search.CurvePoint{Iter: ck.Iter, TrainSec: ck.TrainSec,
				QueryLoss: pt.QueryLoss / float64(nPt), QueryAcc: pt.QueryAcc / float64(nPt), Tau: st.Tau})
			pt, nPt = search.CurvePoint{}, 0
		}
		if bar != nil {
			bar.Describe(fmt.Sprintf("%s loss %.3f acc %5.1f%% tau %.2f %.2f it/s", searchMethod(sc), st.QueryLoss, 100*st.QueryAcc, st.Tau, 1/dt))
			_ = bar.Set(ck.Iter)
		}
		if cfg.Checkpoint.Duration > 0 && time.Since(lastCk) >= cfg.Checkpoint.Duration {
			if err := save(false); err != nil {
				return nil, nil, err
			}
			lastCk = time.Now()
		}
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(job.Progress)
	}
	if err := save(true); err != nil {
		return nil, nil, err
	}
	rule, err := genotype.ParseRule(sc.Derive.Rule)
	if err != nil {
		return nil, nil, fmt.Errorf("search.derive.rule: %w", err)
	}
	t0 := time.Now()
	tau := sr.Tau(max(ck.Iter-1, 0))
	name := searchMethod(sc)
	if job.Label != "" {
		name = job.Label
	}
	der, err := sr.Derive(name, rule, sc.Derive.Tasks, tau, func(i int) (search.Batch[float32], error) {
		s, _ := episodeBatch(deriveS, i)
		return s, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("deriving the genotype: %w", err)
	}
	deriveSec := time.Since(t0).Seconds()
	if err := writeSearchOutputs(job.Out, cfg, sr, der); err != nil {
		return nil, nil, err
	}
	rec := searchRecord(cfg, net, data, ck, der, started)
	rec.Label = job.Label
	rec.WallSec = time.Since(started).Seconds()
	rec.CPUSec = cpuSeconds() - cpu0
	rec.Extra["derive_sec"] = deriveSec
	rec.Extra["tau_final"] = tau
	if err := reports.WriteJSON(filepath.Join(job.Out, recordFile), rec); err != nil {
		return nil, nil, err
	}
	return rec, der, nil
}

func yamlOf(c *config.SearchFile) ([]byte, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("config: encoding: %w", err)
	}
	return b, nil
}

// writeSearchOutputs writes genotype.yaml/json, arch.json and train.yaml.
func writeSearchOutputs(dir string, cfg *config.SearchFile, sr *search.Searcher, der *search.Derived) error {
	y, err := der.Genotype.YAML()
	if err != nil {
		return err
	}
	gPath := filepath.Join(dir, "genotype.yaml")
	if err := search.WriteFileAtomic(gPath, y); err != nil {
		return err
	}
	j, err := der.Genotype.JSON()
	if err != nil {
		return err
	}
	if err := search.WriteFileAtomic(filepath.Join(dir, "genotype.json"), append(j, '\n')); err != nil {
		return err
	}
	pn, pr := search.ArchTables(sr.Net, sr.Theta)
	arch := map[string]any{
		"ops": sr.Net.Config().Ops, "rule": cfg.Search.Derive.Rule, "tasks_averaged": der.Tasks,
		"decoded_normal": der.Normal, "decoded_reduce": der.Reduce,
		"prior_logits_normal": pn, "prior_logits_reduce": pr,
	}
	a, err := json.MarshalIndent(arch, "", "  ")
	if err != nil {
		return fmt.Errorf("arch.json: %w", err)
	}
	if err := search.WriteFileAtomic(filepath.Join(dir, "arch.json"), append(a, '\n')); err != nil {
		return err
	}
	abs, err := filepath.Abs(gPath)
	if err != nil {
		abs = gPath
	}
	train := cfg.Config
	f := cfg.Search.Final
	train.Model = config.Model{Name: fmt.Sprintf("genotype:%s,cells=%d,stem_stride=%d", abs, f.Cells, f.StemStride), Filters: f.Channels}
	ty, err := train.YAML()
	if err != nil {
		return err
	}
	head := fmt.Sprintf("# Meta-training of the final network of the genotype derived by `metabench search`\n# (%s). Run: metabench train %s --out RUN\n",
		der.Genotype, filepath.Join(dir, "train.yaml"))
	return search.WriteFileAtomic(filepath.Join(dir, "train.yaml"), append([]byte(head), ty...))
}

// searchRecord is the reports.Record of a search.
func searchRecord(cfg *config.SearchFile, net *search.SearchNet, data *expData, ck *search.Checkpoint, der *search.Derived, started time.Time) *reports.Record {
	env := reports.NewEnv()
	env.GemmPath = gemm.Path()
	sc := cfg.Search
	method := searchMethod(sc)
	nc := net.Config()
	rec := &reports.Record{
		Schema:  reports.SchemaVersion,
		RunID:   reports.NewRunID("search", method, started, cfg.Seed),
		Kind:    "search",
		Method:  method,
		Model:   fmt.Sprintf("search-net-L%d-C%d", nc.Cells, nc.Channels),
		Started: started.UTC(),
		Config:  cfg.Map(),
		Seed:    cfg.Seed,
		Dataset: datasetOf(data.ds, data.split+":train", len(data.trainClasses)),
		Proto: reports.Protocol{
			Ways: cfg.Ways, Shots: cfg.Shots, Queries: cfg.Queries, StepsTrain: sc.InnerSteps,
			InnerLR: sc.InnerLR, BNMode: "transductive", Rotations: cfg.Data.Rotations,
		},
		Params: net.Layout().Count() + 2*14*net.NumOps(),
		Iters:  ck.Iter,
		Env:    env,
	}
	for _, p := range ck.Curve {
		rec.Curve = append(rec.Curve, reports.Point{Iter: p.Iter, WallSec: p.TrainSec, Accuracy: p.QueryAcc, Loss: p.QueryLoss})
	}
	rec.Extra = map[string]any{
		"genotype": der.Genotype.String(), "genotype_file": "genotype.yaml", "search_sec": ck.TrainSec,
		"variant": sc.Variant, "relaxation": sc.Relaxation, "hard": sc.Hard, "derive_rule": sc.Derive.Rule,
		"derive_tasks": sc.Derive.Tasks, "meta_batch": sc.MetaBatch, "inner_lr_arch": sc.InnerLRArch,
		"train_classes": len(data.trainClasses), "split": data.split,
		"choices": searchChoices(sc),
	}
	return rec
}

// searchChoices lists the settings SPEC leaves open and what this run used.
func searchChoices(s config.Search) []string {
	return []string{
		"A15: inner loop on the support set, outer loss on the query set with fresh Gumbel noise",
		"A4: lambda_KL = 0, deterministic weights (sigma = 0)",
		"A8: one Gumbel sample per cell type per forward pass, shared by every cell and image; tau linear over search.iterations",
		"A9: alpha adapted in the inner loop with inner_lr_arch",
		"A5: outer Adam on weights (meta_lr) and on alpha (arch_lr, betas (arch_beta1, 0.999), L2 arch_weight_decay); element-wise clip",
		"A16: genotype from softmax(alpha^T) averaged over derive.tasks adapted meta-train tasks (0 = the prior)",
		"search network BN affine=false everywhere (stem included); PyTorch default init",
		fmt.Sprintf("fd radius numerator %g (0 = DARTS 0.01)", s.FDEps),
	}
}

// experimentModel builds the network an experiment file names: "conv4"
// (Finn et al.) or a genotype network
// "genotype:NAME|FILE[,cells=L][,channels=C][,stem_stride=S]" whose
// channels default to model.filters (search.NewModelFromName). It is the
// hook through which train and eval meta-train and evaluate the final
// networks of searched genotypes.
func experimentModel(name string, filters, channels, size, ways int) (nn.Model[float32], error) {
	if search.IsGenotypeModel(name) {
		m, err := search.NewModelFromName[float32](name, filters, channels, size, ways)
		if err != nil {
			return nil, fmt.Errorf("model.name: %w", err)
		}
		return m, nil
	}
	return nn.NewConv4[float32](channels, size, filters, ways), nil
}
