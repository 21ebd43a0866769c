package experiment

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/datasets"
	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/internal/atomicfile"
	"github.com/metabench/metabench/internal/gemm"
	"github.com/metabench/metabench/multitask"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/search/genotype"
)

// metatrainSettings maps the file to the multitask settings.
func metatrainSettings(c *config.MetatrainFile) multitask.Settings {
	m := c.Metatrain
	return multitask.Settings{
		Inner: multitask.Inner{Relax: search.Relaxation{Kind: m.Relaxation, Hard: m.Hard}, Tau: m.TauMax,
			EtaW: m.InnerLR, EtaA: m.InnerLRArch, Momentum: m.Momentum, WeightDecay: m.WeightDecay, Clip: m.Clip, Batch: m.Batch},
		TauMax: m.TauMax, TauMin: m.TauMin, InnerSteps: m.InnerSteps, MetaBatch: m.MetaBatch,
		Iterations: m.Iterations, Beta: m.Beta, BetaFinal: m.BetaFinal, Workers: c.Workers, EvalSamples: m.EvalSamples,
	}
}

func metaNetConfig(n config.MetaNetwork) multitask.NetConfig {
	nc := multitask.NetConfig{Cells: n.Cells, Channels: n.Channels, Classes: 10, Reductions: n.Reductions}
	for _, h := range n.Heads {
		nc.Heads = append(nc.Heads, multitask.HeadConfig{Size: h.Size, Stride: h.Stride})
	}
	return nc
}

// taskImages converts a materialised task to RGB multitask images (grey
// images are replicated to three channels).
func taskImages(t *episodes.Task) multitask.Images {
	return multitask.Images{N: t.N, C: 3, H: t.H, W: t.W, Y: t.Labels(), X: toRGB(t.X, t.N, t.C, t.H*t.W)}
}

// toRGB copies N images of c channels (1 or 3) and hw pixels to 3 channels.
func toRGB(x []float32, n, c, hw int) []float32 {
	if c == 3 {
		return append([]float32(nil), x...)
	}
	out := make([]float32, n*3*hw)
	for i := 0; i < n; i++ {
		src := x[i*c*hw : i*c*hw+hw]
		for ch := 0; ch < 3; ch++ {
			copy(out[(i*3+ch)*hw:(i*3+ch+1)*hw], src)
		}
	}
	return out
}

// metatrainData opens the sources and returns the task stream.
func metatrainData(cfg *config.MetatrainFile) (*episodes.Stream, []*datasets.Dataset, error) {
	m := cfg.Metatrain
	var comps []episodes.Component
	var dss []*datasets.Dataset
	for i, s := range cfg.Sources {
		ds, err := openData(s.Path, s.Subset, s.Size, fmt.Sprintf("sources[%d].path", i))
		if err != nil {
			return nil, nil, err
		}
		c, h, w := ds.ImageShape()
		if (c != 1 && c != 3) || h != s.Size || w != s.Size {
			return nil, nil, fmt.Errorf("sources[%d]: %s holds %dx%dx%d images, want 1 or 3 channels at %d", i, s.Path, c, h, w, s.Size)
		}
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("%s@%d", filepath.Base(s.Path), s.Size)
		}
		comps = append(comps, episodes.Component{Name: name, Support: ds, Size: s.Size, Weight: s.Weight})
		dss = append(dss, ds)
	}
	st, err := episodes.NewStream(episodes.Spec{Ways: 10, Shots: m.Shots, Queries: m.Queries}, uint64(cfg.Seed), comps...)
	if err != nil {
		return nil, nil, fmt.Errorf("sources: %w", err)
	}
	return st, dss, nil
}

// Metatrain meta-trains the multi-task BASE meta-network (variant B, SPEC
// 1.6.1 and 3.4) in opt.Out, or resumes the run there: 10-class tasks are
// drawn from the mixture of sources (each at its image size, each size with
// its own head, the cells shared), adapted in parallel from Θ, and Θ moves by
// β times the mean adapted difference. It writes metatrain-checkpoint.gob,
// genotype.yaml (the prior's own genotype), arch.json and record.json, and
// returns the record.
func Metatrain(ctx context.Context, cfg *config.MetatrainFile, opt Options) (*reports.Record, error) {
	return guard(func() (*reports.Record, error) { return metatrain(ctx, cfg, &opt) })
}

func metatrain(ctx context.Context, cfg *config.MetatrainFile, opt *Options) (*reports.Record, error) {
	mc := cfg.Metatrain
	started := time.Now()
	cpu0 := cpuSeconds()
	ckPath, err := opt.prepareOut(multitask.CheckpointFile, "meta-training")
	if err != nil {
		return nil, err
	}
	stream, dss, err := metatrainData(cfg)
	if err != nil {
		return nil, err
	}
	net, err := multitask.NewNet(metaNetConfig(cfg.Network))
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	K := mc.MetaBatch
	tasks := func(iter, k int) (*multitask.Task, error) {
		t := stream.Task(iter*K + k)
		var st, qt episodes.Task
		stream.Materialize(&st, &qt, &t)
		size := stream.Components()[t.Component].Size
		return &multitask.Task{Size: size, Support: taskImages(&st), Query: taskImages(&qt)}, nil
	}
	tr, err := multitask.NewTrainer(net, metatrainSettings(cfg), cfg.Seed, tasks)
	if err != nil {
		return nil, fmt.Errorf("metatrain: %w", err)
	}
	cfgYAML, err := cfg.YAML()
	if err != nil {
		return nil, fmt.Errorf("config: encoding: %w", err)
	}
	ck := &multitask.Checkpoint{ConfigYAML: cfgYAML}
	if opt.Resume {
		old, err := multitask.LoadCheckpoint(ckPath)
		if err != nil {
			return nil, fmt.Errorf("--resume: %w", err)
		}
		if err := old.Restore(tr); err != nil {
			return nil, fmt.Errorf("--resume: %s: %w", ckPath, err)
		}
		ck.Iter, ck.TrainSec, ck.Curve = old.Iter, old.TrainSec, old.Curve
	}
	method := "base-" + mc.Relaxation + "-multitask"
	curveEvery := max(1, mc.Iterations/50)
	var pt multitask.CurvePoint
	var last multitask.IterStats
	headSum, headN := map[int]float64{}, map[int]int{}
	nPt := 0
	var l *loop
	l = &loop{Iter: &ck.Iter, TrainSec: &ck.TrainSec, Limit: mc.Iterations, Budget: mc.Budget.Duration,
		CheckpointEvery: cfg.Checkpoint.Duration, Name: method, Unit: "meta-iteration",
		Save: func(done bool) error {
			ck.Capture(tr)
			ck.Done = done
			return multitask.SaveCheckpoint(ckPath, ck)
		},
		Step: func(iter int) (string, error) {
			st, err := tr.Step(iter)
			if err != nil {
				return "", fmt.Errorf("metatrain: %w", err)
			}
			last = st
			return fmt.Sprintf("%s loss %.3f acc %5.1f%% tau %.2f beta %.2f", method, st.Loss, 100*st.QueryAcc, st.Tau, st.Beta), nil
		},
		After: func() (bool, error) {
			st := last
			pt.Loss += st.Loss
			pt.QueryAcc += st.QueryAcc
			for sz, a := range st.HeadAcc {
				headSum[sz] += a * float64(st.HeadTasks[sz])
				headN[sz] += st.HeadTasks[sz]
			}
			nPt++
			if nPt == curveEvery || !l.more() {
				p := multitask.CurvePoint{Iter: ck.Iter, TrainSec: ck.TrainSec, Loss: pt.Loss / float64(nPt),
					QueryAcc: pt.QueryAcc / float64(nPt), Tau: st.Tau, Beta: st.Beta, HeadAcc: map[int]float64{}}
				for sz, s := range headSum {
					p.HeadAcc[sz] = s / float64(headN[sz])
				}
				ck.Curve = append(ck.Curve, p)
				pt, nPt = multitask.CurvePoint{}, 0
				headSum, headN = map[int]float64{}, map[int]int{}
			}
			return false, nil
		},
	}
	if err := l.run(ctx, opt); err != nil {
		return nil, err
	}
	g, err := net.Genotype("multitask-prior", tr.Theta, genotype.RuleBASE)
	if err != nil {
		return nil, fmt.Errorf("deriving the prior's genotype: %w", err)
	}
	if err := writeGenotypeFiles(opt.Out, "genotype", g); err != nil {
		return nil, err
	}
	pn, pr := net.ArchTables(tr.Theta)
	if err := atomicfile.WriteJSON(filepath.Join(opt.Out, "arch.json"), map[string]any{
		"ops": net.Ops(), "rule": "base", "prior_logits_normal": pn, "prior_logits_reduce": pr,
		"prior_probs_normal": genotype.Softmax(pn), "prior_probs_reduce": genotype.Softmax(pr),
	}); err != nil {
		return nil, err
	}
	rec := metatrainRecord(cfg, net, dss, ck, g, started)
	rec.WallSec = time.Since(started).Seconds()
	rec.CPUSec = cpuSeconds() - cpu0
	if err := opt.finish(rec, RecordFile(opt.Out)); err != nil {
		return nil, err
	}
	return rec, nil
}

// writeGenotypeFiles writes dir/base.yaml and dir/base.json.
func writeGenotypeFiles(dir, base string, g *genotype.Genotype) error {
	y, err := g.YAML()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, base+".yaml"), y); err != nil {
		return err
	}
	j, err := g.JSON()
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, base+".json"), append(j, '\n'))
}

// metatrainRecord is the reports.Record of a meta-training run. Its summary
// is the mean held-out accuracy of the adapted task copies over the last
// curve point (monitoring, not a test result).
func metatrainRecord(cfg *config.MetatrainFile, net *multitask.Net, dss []*datasets.Dataset, ck *multitask.Checkpoint, g *genotype.Genotype, started time.Time) *reports.Record {
	env := reports.NewEnv()
	env.GemmPath = gemm.Path()
	mc := cfg.Metatrain
	method := "base-" + mc.Relaxation + "-multitask"
	nc := net.Config()
	rec := &reports.Record{
		Schema: reports.SchemaVersion, RunID: reports.NewRunID("metatrain", method, started, cfg.Seed),
		Kind: "metatrain", Method: method, Model: fmt.Sprintf("multitask-net-L%d-C%d", nc.Cells, nc.Channels),
		Started: started.UTC(), Config: cfg.Map(), Seed: cfg.Seed,
		Dataset: datasetOf(dss[0], "all classes", dss[0].NumClasses()),
		Proto: reports.Protocol{Ways: 10, Shots: mc.Shots, Queries: mc.Queries, StepsTrain: mc.InnerSteps,
			InnerLR: mc.InnerLR, BNMode: "transductive"},
		Params: net.ParamCount(), TrainSec: ck.TrainSec, Iters: ck.Iter, Env: env,
	}
	for _, p := range ck.Curve {
		rec.Curve = append(rec.Curve, reports.Point{Iter: p.Iter, WallSec: p.TrainSec, Accuracy: p.QueryAcc, Loss: p.Loss})
	}
	if n := len(ck.Curve); n > 0 {
		rec.Summary = reports.Summary{Mean: ck.Curve[n-1].QueryAcc, N: 1}
	}
	var srcs []string
	for i, s := range cfg.Sources {
		srcs = append(srcs, fmt.Sprintf("%s (%s @%d, weight %g, %d classes)", s.Name, s.Path, s.Size, s.Weight, dss[i].NumClasses()))
	}
	var heads []string
	for _, h := range nc.Heads {
		heads = append(heads, fmt.Sprintf("%d px: stride %d", h.Size, h.Stride))
	}
	headAcc := map[string]float64{}
	if n := len(ck.Curve); n > 0 {
		keys := make([]int, 0)
		for k := range ck.Curve[n-1].HeadAcc {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		for _, k := range keys {
			headAcc[fmt.Sprint(k)] = ck.Curve[n-1].HeadAcc[k]
		}
	}
	rec.Extra = map[string]any{
		"genotype": g.String(), "genotype_file": "genotype.yaml", "tau_final": ck.Tau,
		"relaxation": mc.Relaxation, "sources": srcs, "heads": heads, "meta_batch": mc.MetaBatch,
		"last_query_acc_per_head": headAcc,
		"choices": []string{
			"A5/A11: variant B, theta <- theta + beta mean_k(psi_k - theta); beta linear beta -> beta_final; head tensors averaged over the tasks that used the head",
			"A10: T = inner_steps SGD steps per task on minibatches of the task's shots*10 training images (fresh permutation per pass)",
			"inner SGD (SPEC 3.4/6.3): momentum and weight decay on weights, same momentum and no decay on alpha, global-norm clip of the weight gradients; state fresh per task",
			"A4: lambda_KL = 0, deterministic weights",
			"A8: one Gumbel sample per cell type per inner step, shared by every cell and image; tau linear over iterations; evaluation uses the noise-free softmax(alpha/tau)",
			"A12: every head outputs 3C channels, s0 = s1 = head output; strides 4/8 add stride-2 conv-BN(affine=false)-ReLU blocks before the stride-2 stem (the SPEC 224 head is stride 8)",
			"grey sources are replicated to three channels (one RGB head per size)",
			"classifier shared across tasks; task labels 0..9 in the stream's random class order",
		},
	}
	return rec
}
