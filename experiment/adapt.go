package experiment

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/datasets"
	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/internal/atomicfile"
	"github.com/metabench/metabench/internal/gemm"
	"github.com/metabench/metabench/internal/parallel"
	"github.com/metabench/metabench/multitask"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/search/genotype"
)

// targetData is one target's images.
type targetData struct {
	cfg                config.AdaptTarget
	ds                 *datasets.Dataset
	adaptTrain, test   *multitask.Images
	finalTrain         *multitask.Images
	trainTotal, testOf int
}

// seedOf mixes the run seed with a name.
func seedOf(seed int64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return uint64(seed) ^ h.Sum64()
}

// subsetImages loads n seeded images of ds (all when n is 0 or too large),
// resized to size and replicated to RGB, with the dataset's own labels.
func subsetImages(ds *datasets.Dataset, n, size int, seed uint64) *multitask.Images {
	return subsetRange(ds, 0, n, size, seed)
}

// subsetRange is subsetImages of the images from..from+n of the seeded
// permutation (n = 0: all after from).
func subsetRange(ds *datasets.Dataset, from, n, size int, seed uint64) *multitask.Images {
	idx := rand.New(rand.NewPCG(seed, 0x73756273)).Perm(ds.Len())[from:]
	if n > 0 && n < len(idx) {
		idx = idx[:n]
	}
	labels := make([]int, len(idx))
	for j, i := range idx {
		labels[j] = int(ds.Labels[i])
	}
	var t episodes.Task
	episodes.MaterializeResized(&t, ds, idx, labels, size)
	// the dataset's own labels (t.Y ranks them in order of appearance)
	return &multitask.Images{N: t.N, C: 3, H: t.H, W: t.W, Y: labels, X: toRGB(t.X, t.N, t.C, t.H*t.W)}
}

func loadTarget(t config.AdaptTarget, i int, seed int64, finalN int) (*targetData, error) {
	field := fmt.Sprintf("targets[%d].path", i)
	train, err := openData(t.Path, t.TrainSubset, 0, field)
	if err != nil {
		return nil, err
	}
	validation := t.TestSubset == config.ValidationSubset
	test := train
	if !validation {
		if test, err = openData(t.Path, t.TestSubset, 0, field); err != nil {
			return nil, err
		}
	}
	for _, d := range []*datasets.Dataset{train, test} {
		if d.NumClasses() != 10 {
			return nil, fmt.Errorf("%s: %s has %d classes; the meta-network adapts to 10-class datasets", field, t.Path, d.NumClasses())
		}
		if c, _, _ := d.ImageShape(); c != 1 && c != 3 {
			return nil, fmt.Errorf("%s: %s has %d channels, want 1 or 3", field, t.Path, c)
		}
	}
	td := &targetData{cfg: t, ds: train, trainTotal: train.Len(), testOf: test.Len()}
	td.adaptTrain = subsetImages(train, t.TrainImages, t.Size, seedOf(seed, t.Name+"/adapt"))
	if validation {
		// held-out images of the training split: the rest of the
		// adaptation images' permutation, never adapted on
		if t.TrainImages == 0 || t.TrainImages >= train.Len() {
			return nil, fmt.Errorf("targets[%d].test_subset: %s needs train_images below the %d images of the training split", i, config.ValidationSubset, train.Len())
		}
		td.test = subsetRange(train, t.TrainImages, t.TestImages, t.Size, seedOf(seed, t.Name+"/adapt"))
		td.testOf = train.Len() - t.TrainImages
	} else {
		td.test = subsetImages(test, t.TestImages, t.Size, seedOf(seed, t.Name+"/test"))
	}
	if t.Table {
		td.finalTrain = subsetImages(train, finalN, t.Size, seedOf(seed, t.Name+"/final"))
	}
	return td, nil
}

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

// finalRow is one row of a transfer table with the genotype it trains
// (adapt.json keeps the table row).
type finalRow struct {
	reports.TransferRow
	g *genotype.Genotype
}

// newFinalRow is a row of target's table, the final network of g at the
// cost written.
func newFinalRow(target, row string, g *genotype.Genotype, cost string, costSec float64) *finalRow {
	return &finalRow{TransferRow: reports.TransferRow{Target: target, Row: row, Cost: cost, CostSec: costSec}, g: g}
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
	if opt.Out == "" {
		return nil, errors.New("--out: a run folder is required")
	}
	prog := progressOf(opt)
	stop := func() error {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: adaptation stopped; nothing saved in %s", ErrInterrupted, opt.Out)
		}
		return nil
	}
	started := time.Now()
	cpu0 := cpuSeconds()
	ck, err := multitask.LoadCheckpoint(filepath.Join(cfg.Prior, multitask.CheckpointFile))
	if err != nil {
		return nil, fmt.Errorf("--prior: %w", err)
	}
	net, err := multitask.NewNet(ck.Net)
	if err != nil {
		return nil, fmt.Errorf("--prior: %w", err)
	}
	theta, err := ck.Tensors(net)
	if err != nil {
		return nil, fmt.Errorf("--prior: %w", err)
	}
	if err := ck.Relax.Validate(); err != nil {
		return nil, fmt.Errorf("--prior: %w", err)
	}
	for i, t := range cfg.Targets {
		if _, err := net.HeadFor(t.Size); err != nil {
			return nil, fmt.Errorf("targets[%d].size: %w", i, err)
		}
	}
	for _, dir := range []string{opt.Out, filepath.Join(opt.Out, "genotypes"), filepath.Join(opt.Out, "records")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("--out: %w", err)
		}
	}
	rule, err := genotype.ParseRule(cfg.Adapt.Rule)
	if err != nil {
		return nil, fmt.Errorf("adapt.rule: %w", err)
	}
	// Data.
	data := make([]*targetData, len(cfg.Targets))
	for i, t := range cfg.Targets {
		if data[i], err = loadTarget(t, i, cfg.Seed, cfg.Final.TrainImages); err != nil {
			return nil, err
		}
		logf(prog, "%s: %d adaptation / %d test images at %dx%d", t.Name, data[i].adaptTrain.N, data[i].test.N, t.Size, t.Size)
	}
	// Adaptations (with and, optionally, without the architecture).
	a := cfg.Adapt
	var runs []*adaptRun
	for _, t := range cfg.Targets {
		runs = append(runs, &adaptRun{target: t.Name})
		if a.Frozen {
			runs = append(runs, &adaptRun{target: t.Name, frozen: true})
		}
		if a.Scratch {
			runs = append(runs, &adaptRun{target: t.Name, scratch: true})
		}
	}
	byName := map[string]*targetData{}
	for _, d := range data {
		byName[d.cfg.Name] = d
	}
	adaptStart := time.Now()
	err = parallel.For(len(runs), cfg.Workers, func(i int) error {
		r := runs[i]
		d := byName[r.target]
		h, _ := net.HeadFor(d.cfg.Size)
		name := r.name()
		start, tau := theta, adaptTau(cfg, ck)
		if r.scratch {
			// the same super-network, PyTorch-initialised weights and
			// near-uniform α (SPEC 1.5), trained as DARTS trains it: the
			// softmax of α at temperature 1
			start, tau = net.Init(rand.New(rand.NewPCG(seedOf(cfg.Seed, name+"/init"), 0x696e6974))), 1
		}
		r.tau = tau
		in := multitask.Inner{Relax: ck.Relax, Tau: tau, EtaW: a.InnerLR, EtaA: a.InnerLRArch, Momentum: a.Momentum,
			WeightDecay: a.WeightDecay, Clip: a.Clip, ClipArch: a.ClipArch, Batch: a.Batch, NoNoise: a.Noise == "none", Cosine: a.Schedule == "cosine"}
		if r.frozen {
			in.EtaA = 0
		}
		res, err := net.AdaptDataset(start, h, d.adaptTrain, d.test, multitask.AdaptOptions{Inner: in, Epochs: a.Epochs, EvalBatch: a.EvalBatch, EvalSamples: a.EvalSamples, Snapshot: true, Stop: stop},
			rand.New(rand.NewPCG(seedOf(cfg.Seed, name), 0x61646170)))
		if err != nil {
			return fmt.Errorf("adapting to %s: %w", name, err)
		}
		r.res = res
		if r.geno, err = net.Genotype("tuned-"+r.target, res.Psi, rule); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		last := res.Curve[len(res.Curve)-1]
		logf(prog, "%s adapted in %.0f s: test accuracy %.1f%% -> %.1f%%", name, res.TrainSec, 100*res.Curve[0].Accuracy, 100*last.Accuracy)
		return nil
	})
	if err != nil {
		return nil, err
	}
	adaptWall := time.Since(adaptStart).Seconds()
	priorG, err := net.Genotype("multitask-prior", theta, rule)
	if err != nil {
		return nil, fmt.Errorf("the prior's genotype: %w", err)
	}
	if err := writeGenotypeFiles(filepath.Join(opt.Out, "genotypes"), "multitask-prior", priorG); err != nil {
		return nil, err
	}
	tuned := map[string]*adaptRun{}
	for _, r := range runs {
		if !r.frozen && !r.scratch {
			tuned[r.target] = r
			if err := writeGenotypeFiles(filepath.Join(opt.Out, "genotypes"), "tuned-"+r.target, r.geno); err != nil {
				return nil, err
			}
		}
	}
	// Figures.
	views := make([]reports.Adaptation, len(runs))
	for i, r := range runs {
		views[i] = r.view()
	}
	figs, err := reports.WriteAdaptFigures(opt.Out, views)
	if err != nil {
		return nil, err
	}
	// Final networks.
	var rows []*finalRow
	if !cfg.Final.Skip {
		for _, t := range cfg.Targets {
			if !t.Table {
				continue
			}
			rows = append(rows, newFinalRow(t.Name, "multi-task prior", priorG,
				fmt.Sprintf("meta-training %s (amortised)", reports.FormatDuration(ck.TrainSec)), ck.TrainSec))
			if t.Related != "" {
				r := tuned[t.Related]
				rows = append(rows, newFinalRow(t.Name, "tuned on a related source ("+t.Related+")", r.geno,
					"adaptation "+reports.FormatDuration(r.res.TrainSec), r.res.TrainSec))
			}
			r := tuned[t.Name]
			rows = append(rows, newFinalRow(t.Name, "tuned on the target", r.geno,
				"adaptation "+reports.FormatDuration(r.res.TrainSec), r.res.TrainSec))
			for _, b := range cfg.Final.Baselines {
				g, err := genotype.Load(b)
				if err != nil {
					return nil, fmt.Errorf("final.baselines: %w", err)
				}
				rows = append(rows, newFinalRow(t.Name, g.Name, g, "published search (not run here)", 0))
			}
		}
		f := cfg.Final
		err = parallel.For(len(rows), cfg.Workers, func(i int) error {
			row := rows[i]
			d := byName[row.Target]
			opt := multitask.FinalOptions{Net: search.FinalConfig{Cells: f.Cells, Channels: f.Channels, Classes: 10, InChannels: 3,
				StemStride: f.StemStride, Reductions: f.Reductions, Auxiliary: f.Auxiliary, DropPath: f.DropPath},
				Epochs: f.Epochs, Batch: f.Batch, LR: f.LR, Momentum: f.Momentum, WeightDecay: f.WeightDecay, Clip: f.Clip, EvalBatch: f.EvalBatch, Stop: stop}
			res, err := multitask.TrainFinal(row.g, d.finalTrain, d.test, opt, rand.New(rand.NewPCG(seedOf(cfg.Seed, row.Target+"/final"), 0x66696e)))
			if err != nil {
				return fmt.Errorf("%s, %s: %w", row.Target, row.Row, err)
			}
			row.Genotype, row.Params, row.TrainSec = row.g.String(), res.Params, res.TrainSec
			row.SetScore(res.N-res.Correct, res.N)
			logf(prog, "%s, %s: test error %.1f%% [%.1f, %.1f] (%d params, %.0f s)", row.Target, row.Row, 100*row.Error, 100*row.Lo, 100*row.Hi, res.Params, res.TrainSec)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	table := transferOf(cfg, data, views, rows, priorG).Markdown()
	if err := atomicfile.Write(filepath.Join(opt.Out, "table.md"), []byte(table)); err != nil {
		return nil, err
	}
	// Records.
	env := reports.NewEnv()
	env.GemmPath = gemm.Path()
	var recs []*reports.Record
	for _, r := range runs {
		recs = append(recs, adaptRecord(cfg, ck, net, byName[r.target], r, env, started))
	}
	for _, row := range rows {
		recs = append(recs, finalRecord(cfg, byName[row.Target], row, env, started))
	}
	all := map[string]any{
		"prior": cfg.Prior, "prior_genotype": priorG.String(), "prior_meta_train_sec": ck.TrainSec, "tau": adaptTau(cfg, ck), "prior_tau": ck.Tau,
		"relaxation": ck.Relax.Kind, "adapt_wall_sec": adaptWall, "wall_sec": time.Since(started).Seconds(),
		"cpu_sec": cpuSeconds() - cpu0, "figures": figs, "rows": rows, "config": cfg.Map(), "adaptations": adaptSummaries(runs),
	}
	if err := atomicfile.WriteJSON(filepath.Join(opt.Out, AdaptFile), all); err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if err := opt.finish(rec, filepath.Join(opt.Out, "records", rec.RunID+".json")); err != nil {
			return nil, err
		}
	}
	return recs[0], nil
}

func adaptSummaries(runs []*adaptRun) []map[string]any {
	var out []map[string]any
	for _, r := range runs {
		var acc []float64
		for _, p := range r.res.Curve {
			acc = append(acc, p.Accuracy)
		}
		out = append(out, map[string]any{"target": r.target, "frozen_arch": r.frozen, "scratch": r.scratch, "tau": r.tau, "accuracy_per_epoch": acc,
			"train_sec": r.res.TrainSec, "steps": r.res.Steps, "genotype": r.geno.String()})
	}
	return out
}

// view is the run as its table row and figures show it.
func (r *adaptRun) view() reports.Adaptation {
	v := reports.Adaptation{EpochCurve: reports.EpochCurve{Target: r.target, Arch: r.arch()}, TrainSec: r.res.TrainSec, Genotype: r.geno.String()}
	for _, p := range r.res.Curve {
		v.Epochs = append(v.Epochs, p.Epoch)
		v.Acc = append(v.Acc, p.Accuracy)
	}
	for _, s := range r.res.Snapshots {
		v.Weights = append(v.Weights, s.Weights)
		v.Logits = append(v.Logits, s.Arch)
	}
	return v
}

// transferOf is what table.md shows: the adaptations, the prior's genotype
// and the final networks of the targets with a table.
func transferOf(cfg *config.AdaptFile, data []*targetData, views []reports.Adaptation, rows []*finalRow, priorG *genotype.Genotype) *reports.Transfer {
	f := cfg.Final
	t := &reports.Transfer{Rule: cfg.Adapt.Rule, PriorGenotype: priorG.String(), Adaptations: views,
		Final: reports.FinalSetup{Cells: f.Cells, Channels: f.Channels, StemStride: f.StemStride, Epochs: f.Epochs, Batch: f.Batch, LR: f.LR}}
	for _, d := range data {
		if d.cfg.Table {
			t.Targets = append(t.Targets, reports.TransferTarget{Name: d.cfg.Name, TrainImages: d.finalTrain.N, TrainOf: d.trainTotal, Tests: d.test.N, Size: d.cfg.Size})
		}
	}
	for _, r := range rows {
		t.Rows = append(t.Rows, r.TransferRow)
	}
	return t
}

// datasetRec describes a target for records.
func datasetRec(d *targetData, split string) reports.Dataset {
	r := datasetOf(d.ds, split, 10)
	r.Image = fmt.Sprintf("3x%dx%d", d.cfg.Size, d.cfg.Size)
	return r
}

func adaptRecord(cfg *config.AdaptFile, ck *multitask.Checkpoint, net *multitask.Net, d *targetData, r *adaptRun, env reports.Env, started time.Time) *reports.Record {
	method := "base-" + ck.Relax.Kind + "-adapt"
	switch {
	case r.frozen:
		method += "-frozen-arch"
	case r.scratch:
		method = "darts-supernet-scratch"
	}
	last := r.res.Curve[len(r.res.Curve)-1]
	rec := &reports.Record{
		Schema: reports.SchemaVersion, RunID: reports.NewRunID("adapt", method+"-"+r.target, started, cfg.Seed),
		Kind: "adapt", Method: method, Model: fmt.Sprintf("multitask-net-L%d-C%d", net.Config().Cells, net.Config().Channels),
		Started: started.UTC(), Config: cfg.Map(), Seed: cfg.Seed,
		Dataset: datasetRec(d, fmt.Sprintf("%s: %d train images adapted, %d test images scored", d.cfg.Name, d.adaptTrain.N, d.test.N)),
		Proto:   reports.Protocol{Ways: 10, StepsTrain: r.res.Steps, InnerLR: cfg.Adapt.InnerLR, BNMode: "transductive", EvalEpisode: d.test.N},
		Summary: reports.Summary{Mean: last.Accuracy, CI95: reports.WilsonHalf(last.Accuracy, d.test.N), N: d.test.N},
		Target:  &reports.Target{Name: d.cfg.Name, Arch: r.arch()},
		Params:  net.ParamCount(), WallSec: r.res.TrainSec, TrainSec: r.res.TrainSec, Iters: r.res.Steps, Env: env,
		// per test image, 1 when classified correctly after the last epoch:
		// adapted and frozen runs of one seed score the same images, so
		// `metabench compare` pairs them image by image
		Episodes: r.res.Correct,
	}
	for _, p := range r.res.Curve {
		rec.Adapt = append(rec.Adapt, reports.Point{Step: p.Epoch, WallSec: p.TrainSec, Accuracy: p.Accuracy,
			CI95: reports.WilsonHalf(p.Accuracy, d.test.N), Loss: p.Loss})
	}
	rec.Extra = map[string]any{"genotype": r.geno.String(), "epochs": cfg.Adapt.Epochs, "prior": cfg.Prior, "tau": r.tau, "clip_arch": cfg.Adapt.ClipArch, "noise": cfg.Adapt.Noise, "schedule": cfg.Adapt.Schedule, "x_axis": "adaptation epochs (Step)",
		"choices": []string{
			"SPEC 3.6: inner optimiser of variant B (SGD momentum, weight decay on weights, clip) for adapt.epochs passes, at adapt.tau (0: the prior's final temperature), learning rates " + cfg.Adapt.Schedule,
			"adapt.noise " + cfg.Adapt.Noise + ": none trains every step on the noise-free softmax(alpha/tau), the network that is scored; gumbel trains on one Gumbel sample per step (docs/DECISIONS.md R17)",
			"test accuracy with noise-free softmax(alpha/tau) architecture weights and batch statistics per evaluation batch",
			"grey images replicated to RGB and resized to the target size (the head of that size)",
			"genotype: highest-probability architecture of softmax(alpha) after adaptation (SPEC 4.1), " + cfg.Adapt.Rule + " rule",
		}}
	return rec
}

func finalRecord(cfg *config.AdaptFile, d *targetData, row *finalRow, env reports.Env, started time.Time) *reports.Record {
	f := cfg.Final
	acc := 1 - row.Error
	rec := &reports.Record{
		Schema: reports.SchemaVersion, RunID: reports.NewRunID("adapt", "final-"+d.cfg.Name+"-"+row.g.Name, started, cfg.Seed),
		Kind: "adapt", Method: "final-network", Model: fmt.Sprintf("genotype:%s-L%d-C%d", row.g.Name, f.Cells, f.Channels),
		Started: started.UTC(), Config: cfg.Map(), Seed: cfg.Seed,
		Dataset: datasetRec(d, fmt.Sprintf("%s: %d train images, %d test images", d.cfg.Name, d.finalTrain.N, d.test.N)),
		Proto:   reports.Protocol{Ways: 10, BNMode: "transductive", EvalEpisode: row.N},
		Summary: reports.Summary{Mean: acc, CI95: reports.WilsonHalf(acc, row.N), N: row.N},
		Target:  &reports.Target{Name: d.cfg.Name, Row: row.Row},
		Params:  row.Params, WallSec: row.TrainSec, TrainSec: row.TrainSec, Env: env,
	}
	rec.Extra = map[string]any{"genotype": row.Genotype, "test_error": row.Error,
		"error_ci95_wilson": []float64{row.Lo, row.Hi}, "cost": row.Cost, "cost_sec": row.CostSec,
		"scaled_down": fmt.Sprintf("%d cells, C=%d, stem stride %d, %d epochs on %d images (paper: 20 cells, C=40, 600 epochs on 50k)", f.Cells, f.Channels, f.StemStride, f.Epochs, d.finalTrain.N)}
	return rec
}

// adaptTau is the temperature of the adaptation: adapt.tau, else the
// prior's final one.
func adaptTau(cfg *config.AdaptFile, ck *multitask.Checkpoint) float64 {
	if cfg.Adapt.Tau > 0 {
		return cfg.Adapt.Tau
	}
	return ck.Tau
}
