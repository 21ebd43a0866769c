package experiment

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/datasets"
	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/internal/atomicfile"
	"github.com/metabench/metabench/internal/checkpoint"
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

// metatrainData is a meta-training run's data: the training task stream,
// the sources, and with eval.val_fraction the split of every source's
// classes and, with eval.val_tasks, the stream the validation tasks are the
// first tasks of.
type metatrainData struct {
	stream *episodes.Stream
	dss    []*datasets.Dataset
	splits []episodes.Split // per source; nil without eval.val_fraction
	split  string           // the split's description
	val    *episodes.Stream // nil without eval.val_tasks
}

// minSplitClasses is the fewest classes a source may keep on either side
// of the validation split: a task has 10 classes.
const minSplitClasses = 10

// openMetatrainData opens the sources and returns the task streams.
func openMetatrainData(cfg *config.MetatrainFile) (*metatrainData, error) {
	m, e := cfg.Metatrain, cfg.Eval
	d := &metatrainData{}
	var comps, valComps []episodes.Component
	for i, s := range cfg.Sources {
		ds, err := openData(s.Path, s.Subset, s.Size, fmt.Sprintf("sources[%d].path", i))
		if err != nil {
			return nil, err
		}
		c, h, w := ds.ImageShape()
		if (c != 1 && c != 3) || h != s.Size || w != s.Size {
			return nil, fmt.Errorf("sources[%d]: %s holds %dx%dx%d images, want 1 or 3 channels at %d", i, s.Path, c, h, w, s.Size)
		}
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("%s@%d", filepath.Base(s.Path), s.Size)
		}
		comp := episodes.Component{Name: name, Support: ds, Size: s.Size, Weight: s.Weight}
		d.dss = append(d.dss, ds)
		if e.ValFraction > 0 {
			// seeded by eval.seed, never the run's: every seed of a suite
			// holds out the same classes, and the same groups of sources
			// that are one data set at several sizes
			sp, desc, err := episodes.SplitAuto(ds.ClassGroups, ds.NumClasses(), e.ValFraction, 0, uint64(e.Seed), 0)
			if err != nil {
				return nil, fmt.Errorf("eval.val_fraction: sources[%d] (%s): %w", i, name, err)
			}
			if len(sp.Train) < minSplitClasses || len(sp.Val) < minSplitClasses {
				return nil, fmt.Errorf("eval.val_fraction: sources[%d] (%s): %g of %d classes leaves %d for meta-training and %d for validation, want at least %d on either side",
					i, name, e.ValFraction, ds.NumClasses(), len(sp.Train), len(sp.Val), minSplitClasses)
			}
			d.splits, d.split = append(d.splits, sp), desc
			vc := comp
			comp.Classes, vc.Classes = sp.Train, sp.Val
			valComps = append(valComps, vc)
		}
		comps = append(comps, comp)
	}
	spec := episodes.Spec{Ways: 10, Shots: m.Shots, Queries: m.Queries}
	var err error
	if d.stream, err = episodes.NewStream(spec, uint64(cfg.Seed), comps...); err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	if e.ValTasks > 0 {
		if d.val, err = episodes.NewStream(spec, uint64(e.Seed)+1, valComps...); err != nil {
			return nil, fmt.Errorf("eval.val_fraction: validation classes: %w", err)
		}
	}
	return d, nil
}

// streamTask materialises task i of a stream as a multitask task.
func streamTask(s *episodes.Stream, i int) *multitask.Task {
	t := s.Task(i)
	var st, qt episodes.Task
	s.Materialize(&st, &qt, &t)
	return &multitask.Task{Size: s.Components()[t.Component].Size, Support: taskImages(&st), Query: taskImages(&qt)}
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
	m, err := runToEnd(ctx, KindMetatrain, opt, func(r *resumable) (*metatrainRun, error) { return newMetatrainRun(r, cfg) })
	if err != nil {
		return nil, err
	}
	g, err := m.net.Genotype("multitask-prior", m.tr.Theta, genotype.RuleBASE)
	if err != nil {
		return nil, fmt.Errorf("deriving the prior's genotype: %w", err)
	}
	if err := writeGenotypeFiles(opt.Out, "genotype", g); err != nil {
		return nil, err
	}
	pn, pr := m.net.ArchTables(m.tr.Theta)
	if err := atomicfile.WriteJSON(filepath.Join(opt.Out, "arch.json"), map[string]any{
		"ops": m.net.Ops(), "rule": "base", "prior_logits_normal": pn, "prior_logits_reduce": pr,
		"prior_probs_normal": genotype.Softmax(pn), "prior_probs_reduce": genotype.Softmax(pr),
	}); err != nil {
		return nil, err
	}
	return m.finish(m.record(g))
}

// metatrainRun is a meta-training run's own part: its task stream, network
// and trainer, and what its loop measures (resumable does the rest).
type metatrainRun struct {
	*resumable
	cfg    *config.MetatrainFile
	data   *metatrainData
	dss    []*datasets.Dataset
	net    *multitask.Net
	tr     *multitask.Trainer
	method string
	ck     *multitask.Checkpoint // the state saved: Θ, the network, the temperature
	means  stretch[string]       // the training statistics since the last curve point
	heads  stretch[int]          // the query accuracy per head (image size), weighted by its tasks
	last   multitask.IterStats
	val    *multitask.Validation // nil without eval.val_tasks
}

// newMetatrainRun opens the sources and builds the network and the trainer.
func newMetatrainRun(r *resumable, cfg *config.MetatrainFile) (*metatrainRun, error) {
	data, err := openMetatrainData(cfg)
	if err != nil {
		return nil, err
	}
	m := &metatrainRun{resumable: r, cfg: cfg, data: data, dss: data.dss, method: "base-" + cfg.Metatrain.Relaxation + "-multitask"}
	if m.net, err = multitask.NewNet(metaNetConfig(cfg.Network)); err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	K := cfg.Metatrain.MetaBatch
	tasks := func(iter, k int) (*multitask.Task, error) { return streamTask(data.stream, iter*K+k), nil }
	if data.val != nil {
		m.val = &multitask.Validation{Tasks: cfg.Eval.ValTasks, Seed: cfg.Eval.Seed,
			Task: func(j int) (*multitask.Task, error) { return streamTask(data.val, j), nil }}
	}
	if m.tr, err = multitask.NewTrainer(m.net, metatrainSettings(cfg), cfg.Seed, tasks); err != nil {
		return nil, fmt.Errorf("metatrain: %w", err)
	}
	cfgYAML, err := cfg.YAML()
	if err != nil {
		return nil, fmt.Errorf("config: encoding: %w", err)
	}
	m.ck = &multitask.Checkpoint{ConfigYAML: cfgYAML}
	return m, nil
}

// restore loads a checkpoint of the same seed and network.
func (m *metatrainRun) restore(h checkpoint.Header, st *checkpoint.State) error {
	old, err := multitask.CheckpointOf(h, st)
	if err != nil {
		return err
	}
	return old.Restore(m.tr)
}

// capture is the run's state: Θ, the network's configuration and the
// temperature of the last meta-iteration done.
func (m *metatrainRun) capture() (*checkpoint.State, error) {
	m.ck.Iter = m.hdr.Iter
	m.ck.Capture(m.tr)
	_, st, err := m.ck.State()
	return st, err
}

// loop is the meta-training loop: a curve point (the mean training
// statistics, per head too) every 2% of the iterations and at the end, and
// with eval.val_tasks a validation point (validate) every
// eval.every_iterations and at the end, each followed by a checkpoint.
func (m *metatrainRun) loop() *loop {
	mc := m.cfg.Metatrain
	every := max(1, mc.Iterations/50)
	valEvery := m.cfg.Eval.EveryIters
	var l *loop
	l = &loop{Limit: mc.Iterations, Budget: mc.Budget.Duration, CheckpointEvery: m.cfg.Checkpoint.Duration, Name: m.method, Unit: "meta-iteration",
		Step: func(iter int) (string, error) {
			st, err := m.tr.Step(iter)
			if err != nil {
				return "", fmt.Errorf("metatrain: %w", err)
			}
			m.last = st
			m.means.add("loss", st.Loss, 1)
			m.means.add("acc", st.QueryAcc, 1)
			for sz, a := range st.HeadAcc {
				m.heads.add(sz, a, float64(st.HeadTasks[sz]))
			}
			return fmt.Sprintf("%s loss %.3f acc %5.1f%% tau %.2f beta %.2f", m.method, st.Loss, 100*st.QueryAcc, st.Tau, st.Beta), nil
		},
		After: func() (bool, error) {
			if pointDue(m.hdr.Iter, every, l) {
				mean := m.means.take()
				m.add(multitask.CurvePoint{Loss: mean["loss"], QueryAcc: mean["acc"], Tau: m.last.Tau, Beta: m.last.Beta, HeadAcc: m.heads.take()}.Point())
			}
			if m.val == nil || !((valEvery > 0 && m.hdr.Iter%valEvery == 0) || !l.more()) {
				return false, nil
			}
			return true, m.validate()
		},
	}
	return l
}

// validate adds a validation point: the current Θ adapted to the fixed
// validation tasks with the inner loop of the last meta-iteration done
// (its temperature), their mean query accuracy and its 95% half-width.
func (m *metatrainRun) validate() error {
	iter := m.hdr.Iter - 1
	accs, err := m.tr.Validate(iter, *m.val)
	if err != nil {
		return fmt.Errorf("metatrain: after meta-iteration %d: %w", m.hdr.Iter, err)
	}
	sum := reports.Summarize(accs)
	m.add(multitask.ValPoint{Acc: sum.Mean, CI95: sum.CI95, Tau: m.tr.Settings.Tau(iter)}.Point())
	return nil
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

// record is the run's record with the prior's genotype g. Its summary is
// the mean held-out accuracy of the adapted task copies over the last curve
// point (monitoring, not a test result).
func (m *metatrainRun) record(g *genotype.Genotype) *reports.Record {
	cfg, dss, mc := m.cfg, m.dss, m.cfg.Metatrain
	nc := m.net.Config()
	rec := m.resumable.record(m.method, fmt.Sprintf("multitask-net-L%d-C%d", nc.Cells, nc.Channels), cfg.Map(), cfg.Seed)
	rec.Dataset = datasetOf(dss[0], "all classes", dss[0].NumClasses())
	rec.Proto = reports.Protocol{Ways: 10, Shots: mc.Shots, Queries: mc.Queries, StepsTrain: mc.InnerSteps,
		InnerLR: mc.InnerLR, BNMode: "transductive"}
	rec.Params = m.net.ParamCount()
	headAcc := map[string]float64{}
	if p, ok := m.lastPointOf(false); ok {
		rec.Summary = reports.Summary{Mean: p.Acc, N: 1}
		for k, a := range multitask.CurvePointOf(p).HeadAcc {
			headAcc[fmt.Sprint(k)] = a
		}
	}
	var srcs []string
	for i, s := range cfg.Sources {
		srcs = append(srcs, fmt.Sprintf("%s (%s @%d, weight %g, %d classes)", s.Name, s.Path, s.Size, s.Weight, dss[i].NumClasses()))
	}
	var heads []string
	for _, h := range nc.Heads {
		heads = append(heads, fmt.Sprintf("%d px: stride %d", h.Size, h.Stride))
	}
	rec.Extra = map[string]any{
		"genotype": g.String(), "genotype_file": "genotype.yaml", "tau_final": m.ck.Tau,
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
	if e := cfg.Eval; e.ValFraction > 0 {
		var train, val []int
		for _, sp := range m.data.splits {
			train, val = append(train, len(sp.Train)), append(val, len(sp.Val))
		}
		rec.Dataset.Split, rec.Dataset.Classes = m.data.split+":train", train[0]
		rec.Extra["split"], rec.Extra["train_classes"], rec.Extra["val_classes"] = m.data.split, train, val
		if m.val != nil {
			rec.Extra["val_tasks"], rec.Extra["val_every_iterations"] = e.ValTasks, e.EveryIters
			rec.Extra["curve_validation"] = "points marked validation: the mean query accuracy of the fixed validation tasks (held-out classes) adapted from the prior with the training inner loop at the temperature of the last meta-iteration done; the other points are training statistics"
			if p, ok := m.lastPointOf(true); ok {
				rec.Extra["last_val_acc"] = p.Acc
			}
		}
	}
	return rec
}
