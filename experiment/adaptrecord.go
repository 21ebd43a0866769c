package experiment

import (
	"fmt"
	"time"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/multitask"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search/genotype"
)

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

// adaptTablesOf is what table.md shows: the adaptations, the prior's genotype
// and the final networks of the targets with a table.
func adaptTablesOf(cfg *config.AdaptFile, data []*targetData, views []reports.Adaptation, rows []*finalRow, priorG *genotype.Genotype) *reports.AdaptTables {
	f := cfg.Final
	t := &reports.AdaptTables{Rule: cfg.Adapt.Rule, PriorGenotype: priorG.String(), Adaptations: views,
		Final: reports.FinalSetup{Cells: f.Cells, Channels: f.Channels, StemStride: f.StemStride, Epochs: f.Epochs, Batch: f.Batch, LR: f.LR}}
	for _, d := range data {
		if d.cfg.Table {
			t.Targets = append(t.Targets, reports.FinalTarget{Name: d.cfg.Name, TrainImages: d.finalTrain.N, TrainOf: d.trainTotal, Tests: d.test.N, Size: d.cfg.Size})
		}
	}
	for _, r := range rows {
		t.Rows = append(t.Rows, r.FinalRow)
	}
	return t
}

// datasetRec describes a target for records.
func datasetRec(d *targetData, split string) reports.Dataset {
	r := datasetOf(d.ds, split, 10)
	r.Image = fmt.Sprintf("3x%dx%d", d.cfg.Size, d.cfg.Size)
	return r
}

// adaptRecord is the record of adaptation r.
func adaptRecord(cfg *config.AdaptFile, ck *multitask.Checkpoint, net *multitask.Net, d *targetData, r *adaptRun, started time.Time) *reports.Record {
	method := "base-" + ck.Relax.Kind + "-adapt"
	switch {
	case r.frozen:
		method += "-frozen-arch"
	case r.scratch:
		method = "darts-supernet-scratch"
	}
	last := r.res.Curve[len(r.res.Curve)-1]
	rec := newRecord(KindAdapt, method, method+"-"+r.target, fmt.Sprintf("multitask-net-L%d-C%d", net.Config().Cells, net.Config().Channels), started, cfg.Map(), cfg.Seed)
	rec.Dataset = datasetRec(d, fmt.Sprintf("%s: %d train images adapted, %d test images scored", d.cfg.Name, d.adaptTrain.N, d.test.N))
	rec.Proto = reports.Protocol{Ways: 10, StepsTrain: r.res.Steps, InnerLR: cfg.Adapt.InnerLR, BNMode: "transductive", EvalEpisode: d.test.N}
	rec.Summary = reports.Summary{Mean: last.Accuracy, CI95: reports.WilsonHalf(last.Accuracy, d.test.N), N: d.test.N}
	rec.Target = &reports.Target{Name: d.cfg.Name, Arch: r.arch()}
	rec.Params, rec.WallSec, rec.TrainSec, rec.Iters = net.ParamCount(), r.res.TrainSec, r.res.TrainSec, r.res.Steps
	// per test image, 1 when classified correctly after the last epoch:
	// adapted and frozen runs of one seed score the same images, so
	// `metabench compare` pairs them image by image
	rec.Episodes = r.res.Correct
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

// finalRecord is the record of the final network of row.
func finalRecord(cfg *config.AdaptFile, d *targetData, row *finalRow, started time.Time) *reports.Record {
	f := cfg.Final
	acc := 1 - row.Error
	rec := newRecord(KindAdapt, "final-network", "final-"+d.cfg.Name+"-"+row.g.Name, fmt.Sprintf("genotype:%s-L%d-C%d", row.g.Name, f.Cells, f.Channels), started, cfg.Map(), cfg.Seed)
	rec.Dataset = datasetRec(d, fmt.Sprintf("%s: %d train images, %d test images", d.cfg.Name, d.finalTrain.N, d.test.N))
	rec.Proto = reports.Protocol{Ways: 10, BNMode: "transductive", EvalEpisode: row.N}
	rec.Summary = reports.Summary{Mean: acc, CI95: reports.WilsonHalf(acc, row.N), N: row.N}
	rec.Target = &reports.Target{Name: d.cfg.Name, Row: row.Row}
	rec.Params, rec.WallSec, rec.TrainSec = row.Params, row.TrainSec, row.TrainSec
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
