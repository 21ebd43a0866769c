package experiment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/internal/atomicfile"
	"github.com/metabench/metabench/internal/parallel"
	"github.com/metabench/metabench/multitask"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// adaptRun is one adaptation of the prior to a target.
type adaptRun struct {
	target  string
	frozen  bool // α frozen at the prior's
	scratch bool // the DARTS super-network from scratch instead of the prior
	tau     float64
	res     *multitask.AdaptResult
	geno    *genotype.Genotype
}

// name is the run's name in logs and seeds: target, target/frozen or
// target/scratch.
func (r *adaptRun) name() string {
	switch {
	case r.frozen:
		return r.target + "/frozen"
	case r.scratch:
		return r.target + "/scratch"
	}
	return r.target
}

// arch says what the run did with the architecture (reports.Target.Arch).
func (r *adaptRun) arch() string {
	switch {
	case r.frozen:
		return reports.ArchFrozen
	case r.scratch:
		return reports.ArchScratch
	}
	return reports.ArchAdapted
}

// finalRow is one row of a final-network table with the genotype it trains
// (adapt.json keeps the table row).
type finalRow struct {
	reports.FinalRow
	g *genotype.Genotype
}

// newFinalRow is a row of target's table, the final network of g at the
// cost written.
func newFinalRow(target, row string, g *genotype.Genotype, cost string, costSec float64) *finalRow {
	return &finalRow{FinalRow: reports.FinalRow{Target: target, Row: row, Cost: cost, CostSec: costSec}, g: g}
}

func logf(p Progress, format string, args ...any) {
	p.Log("adapt: " + fmt.Sprintf(format, args...))
}

// AdaptFile is the name of the summary Adapt writes in its run folder
// (table.md holds the tables).
const AdaptFile = "adapt.json"

// Adapt adapts a multi-task prior (the folder of Metatrain, cfg.Prior) to
// unseen 10-class datasets (SPEC 3.6): the weights and the architecture
// logits of the head for each target's image size, the shared cells and the
// classifier are trained together for adapt.epochs passes over a seeded
// subset of the training images (with adapt.frozen also with the logits
// frozen) and scored on the test images after every pass. Unless
// final.skip, the final network of each derived genotype is trained on the
// target. It writes table.md, the figures, genotypes/, adapt.json and
// records/*.json (one record per adaptation and per final network; each
// goes to opt.Save) and returns the first adaptation's record. There is no
// checkpoint: a cancelled context ends the run between epochs with
// ErrInterrupted and nothing of it is saved.
func Adapt(ctx context.Context, cfg *config.AdaptFile, opt Options) (*reports.Record, error) {
	return guard(func() (*reports.Record, error) { return adapt(ctx, cfg, &opt) })
}

func adapt(ctx context.Context, cfg *config.AdaptFile, opt *Options) (*reports.Record, error) {
	a, err := newAdaptation(ctx, cfg, opt)
	if err != nil {
		return nil, err
	}
	if err := a.adaptAll(); err != nil {
		return nil, err
	}
	if err := a.writeGenotypes(); err != nil {
		return nil, err
	}
	views := make([]reports.Adaptation, len(a.runs))
	for i, r := range a.runs {
		views[i] = r.view()
	}
	figs, err := reports.WriteAdaptFigures(opt.Out, views)
	if err != nil {
		return nil, err
	}
	if !cfg.Final.Skip {
		if err := a.trainFinals(); err != nil {
			return nil, err
		}
	}
	table := adaptTablesOf(cfg, a.data, views, a.rows, a.priorG).Markdown()
	if err := atomicfile.Write(filepath.Join(opt.Out, "table.md"), []byte(table)); err != nil {
		return nil, err
	}
	return a.finish(figs)
}

// adaptation is one run of Adapt: the prior, the targets' data, the
// adaptations and the final networks' rows.
type adaptation struct {
	cfg       *config.AdaptFile
	opt       *Options
	prog      Progress
	stop      func() error // ErrInterrupted once the context is cancelled
	started   time.Time
	cpu0      float64
	ck        *multitask.Checkpoint // the prior
	net       *multitask.Net
	theta     []*tensor.Tensor[float32]
	rule      genotype.Rule
	data      []*targetData
	byName    map[string]*targetData
	runs      []*adaptRun
	adaptWall float64 // wall clock of all adaptations
	priorG    *genotype.Genotype
	tuned     map[string]*adaptRun // the adaptation with the architecture, by target
	rows      []*finalRow
}

// newAdaptation loads the prior and the targets' data and makes the run
// folder.
func newAdaptation(ctx context.Context, cfg *config.AdaptFile, opt *Options) (*adaptation, error) {
	if opt.Out == "" {
		return nil, errNoRunFolder
	}
	a := &adaptation{cfg: cfg, opt: opt, prog: progressOf(opt), started: time.Now(), cpu0: cpuSeconds(), byName: map[string]*targetData{}}
	a.stop = func() error {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: adaptation stopped; nothing saved in %s", ErrInterrupted, opt.Out)
		}
		return nil
	}
	var err error
	if a.ck, err = multitask.LoadCheckpoint(filepath.Join(cfg.Prior, multitask.CheckpointFile)); err != nil {
		return nil, fmt.Errorf("prior %s: %w", cfg.Prior, err)
	}
	if a.net, err = multitask.NewNet(a.ck.Net); err != nil {
		return nil, fmt.Errorf("prior %s: %w", cfg.Prior, err)
	}
	if a.theta, err = a.ck.Tensors(a.net); err != nil {
		return nil, fmt.Errorf("prior %s: %w", cfg.Prior, err)
	}
	if err := a.ck.Relax.Validate(); err != nil {
		return nil, fmt.Errorf("prior %s: %w", cfg.Prior, err)
	}
	for i, t := range cfg.Targets {
		if _, err := a.net.HeadFor(t.Size); err != nil {
			return nil, fmt.Errorf("targets[%d].size: %w", i, err)
		}
	}
	for _, dir := range []string{opt.Out, filepath.Join(opt.Out, "genotypes"), filepath.Join(opt.Out, "records")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("run folder: %w", err)
		}
	}
	if a.rule, err = genotype.ParseRule(cfg.Adapt.Rule); err != nil {
		return nil, fmt.Errorf("adapt.rule: %w", err)
	}
	for i, t := range cfg.Targets {
		d, err := loadTarget(t, i, cfg.Seed, cfg.Final.TrainImages)
		if err != nil {
			return nil, err
		}
		a.data, a.byName[t.Name] = append(a.data, d), d
		logf(a.prog, "%s: %d adaptation / %d test images at %dx%d", t.Name, d.adaptTrain.N, d.test.N, t.Size, t.Size)
	}
	return a, nil
}

// adaptAll runs the adaptations, in parallel: to each target with the
// architecture and, optionally, with it frozen and from scratch.
func (a *adaptation) adaptAll() error {
	for _, t := range a.cfg.Targets {
		a.runs = append(a.runs, &adaptRun{target: t.Name})
		if a.cfg.Adapt.Frozen {
			a.runs = append(a.runs, &adaptRun{target: t.Name, frozen: true})
		}
		if a.cfg.Adapt.Scratch {
			a.runs = append(a.runs, &adaptRun{target: t.Name, scratch: true})
		}
	}
	t0 := time.Now()
	if err := parallel.For(len(a.runs), a.cfg.Workers, func(i int) error { return a.adaptOne(a.runs[i]) }); err != nil {
		return err
	}
	a.adaptWall = time.Since(t0).Seconds()
	return nil
}

// adaptOne runs adaptation r.
func (a *adaptation) adaptOne(r *adaptRun) error {
	cfg, ac := a.cfg, a.cfg.Adapt
	d := a.byName[r.target]
	h, _ := a.net.HeadFor(d.cfg.Size)
	name := r.name()
	start, tau := a.theta, adaptTau(cfg, a.ck)
	if r.scratch {
		// the same super-network, PyTorch-initialised weights and
		// near-uniform α (SPEC 1.5), trained as DARTS trains it: the
		// softmax of α at temperature 1
		start, tau = a.net.Init(rand.New(rand.NewPCG(seedOf(cfg.Seed, name+"/init"), 0x696e6974))), 1
	}
	r.tau = tau
	in := multitask.Inner{Relax: a.ck.Relax, Tau: tau, EtaW: ac.InnerLR, EtaA: ac.InnerLRArch, Momentum: ac.Momentum,
		WeightDecay: ac.WeightDecay, Clip: ac.Clip, ClipArch: ac.ClipArch, Batch: ac.Batch, NoNoise: ac.Noise == "none", Cosine: ac.Schedule == "cosine"}
	if r.frozen {
		in.EtaA = 0
	}
	res, err := a.net.AdaptDataset(start, h, d.adaptTrain, d.test, multitask.AdaptOptions{Inner: in, Epochs: ac.Epochs, EvalBatch: ac.EvalBatch, EvalSamples: ac.EvalSamples, Snapshot: true, Stop: a.stop},
		rand.New(rand.NewPCG(seedOf(cfg.Seed, name), 0x61646170)))
	if err != nil {
		return fmt.Errorf("adapting to %s: %w", name, err)
	}
	r.res = res
	if r.geno, err = a.net.Genotype("tuned-"+r.target, res.Psi, a.rule); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	last := res.Curve[len(res.Curve)-1]
	logf(a.prog, "%s adapted in %.0f s: test accuracy %.1f%% -> %.1f%%", name, res.TrainSec, 100*res.Curve[0].Accuracy, 100*last.Accuracy)
	return nil
}

// writeGenotypes writes the genotypes of the prior and of the adaptations
// with the architecture (genotypes/).
func (a *adaptation) writeGenotypes() error {
	var err error
	if a.priorG, err = a.net.Genotype("multitask-prior", a.theta, a.rule); err != nil {
		return fmt.Errorf("the prior's genotype: %w", err)
	}
	dir := filepath.Join(a.opt.Out, "genotypes")
	if err := writeGenotypeFiles(dir, "multitask-prior", a.priorG); err != nil {
		return err
	}
	a.tuned = map[string]*adaptRun{}
	for _, r := range a.runs {
		if !r.frozen && !r.scratch {
			a.tuned[r.target] = r
			if err := writeGenotypeFiles(dir, "tuned-"+r.target, r.geno); err != nil {
				return err
			}
		}
	}
	return nil
}

// trainFinals trains the final network of each row of the targets with a
// table, in parallel: the prior's genotype, the one tuned on the related
// target, the one tuned on the target, and the published baselines.
func (a *adaptation) trainFinals() error {
	ck := a.ck
	for _, t := range a.cfg.Targets {
		if !t.Table {
			continue
		}
		a.rows = append(a.rows, newFinalRow(t.Name, "multi-task prior", a.priorG,
			fmt.Sprintf("meta-training %s (amortised)", reports.FormatDuration(ck.TrainSec)), ck.TrainSec))
		if t.Related != "" {
			r := a.tuned[t.Related]
			a.rows = append(a.rows, newFinalRow(t.Name, "tuned on a related source ("+t.Related+")", r.geno,
				"adaptation "+reports.FormatDuration(r.res.TrainSec), r.res.TrainSec))
		}
		r := a.tuned[t.Name]
		a.rows = append(a.rows, newFinalRow(t.Name, "tuned on the target", r.geno,
			"adaptation "+reports.FormatDuration(r.res.TrainSec), r.res.TrainSec))
		for _, b := range a.cfg.Final.Baselines {
			g, err := genotype.Load(b)
			if err != nil {
				return fmt.Errorf("final.baselines: %w", err)
			}
			a.rows = append(a.rows, newFinalRow(t.Name, g.Name, g, "published search (not run here)", 0))
		}
	}
	return parallel.For(len(a.rows), a.cfg.Workers, func(i int) error { return a.trainFinal(a.rows[i]) })
}

// trainFinal trains the final network of row on its target.
func (a *adaptation) trainFinal(row *finalRow) error {
	f := a.cfg.Final
	d := a.byName[row.Target]
	opt := multitask.FinalOptions{Net: search.FinalConfig{Cells: f.Cells, Channels: f.Channels, Classes: 10, InChannels: 3,
		StemStride: f.StemStride, Reductions: f.Reductions, Auxiliary: f.Auxiliary, DropPath: f.DropPath},
		Epochs: f.Epochs, Batch: f.Batch, LR: f.LR, Momentum: f.Momentum, WeightDecay: f.WeightDecay, Clip: f.Clip, EvalBatch: f.EvalBatch, Stop: a.stop}
	res, err := multitask.TrainFinal(row.g, d.finalTrain, d.test, opt, rand.New(rand.NewPCG(seedOf(a.cfg.Seed, row.Target+"/final"), 0x66696e)))
	if err != nil {
		return fmt.Errorf("%s, %s: %w", row.Target, row.Row, err)
	}
	row.Genotype, row.Params, row.TrainSec = row.g.String(), res.Params, res.TrainSec
	row.SetScore(res.N-res.Correct, res.N)
	logf(a.prog, "%s, %s: test error %.1f%% [%.1f, %.1f] (%d params, %.0f s)", row.Target, row.Row, 100*row.Error, 100*row.Lo, 100*row.Hi, res.Params, res.TrainSec)
	return nil
}

// finish writes adapt.json and a record per adaptation and per final
// network (records/, each handed to Options.Save) and returns the first.
func (a *adaptation) finish(figs []string) (*reports.Record, error) {
	cfg, ck := a.cfg, a.ck
	var recs []*reports.Record
	for _, r := range a.runs {
		recs = append(recs, adaptRecord(cfg, ck, a.net, a.byName[r.target], r, a.started))
	}
	for _, row := range a.rows {
		recs = append(recs, finalRecord(cfg, a.byName[row.Target], row, a.started))
	}
	all := map[string]any{
		"prior": cfg.Prior, "prior_genotype": a.priorG.String(), "prior_meta_train_sec": ck.TrainSec, "tau": adaptTau(cfg, ck), "prior_tau": ck.Tau,
		"relaxation": ck.Relax.Kind, "adapt_wall_sec": a.adaptWall, "wall_sec": time.Since(a.started).Seconds(),
		"cpu_sec": cpuSeconds() - a.cpu0, "figures": figs, "rows": a.rows, "config": cfg.Map(), "adaptations": adaptSummaries(a.runs),
	}
	if err := atomicfile.WriteJSON(filepath.Join(a.opt.Out, AdaptFile), all); err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if err := a.opt.finish(rec, filepath.Join(a.opt.Out, "records", rec.RunID+".json")); err != nil {
			return nil, err
		}
	}
	return recs[0], nil
}
