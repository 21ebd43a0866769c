package experiment

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/internal/atomicfile"
	"github.com/metabench/metabench/internal/checkpoint"
	"github.com/metabench/metabench/maml"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/search/genotype"
)

// searchSettings maps the search section to the search package's settings.
func searchSettings(c *config.SearchFile) search.Settings {
	s := c.Search
	return search.Settings{
		Variant: s.Variant, Relax: search.Relaxation{Kind: s.Relaxation, Hard: s.Hard},
		TauMax: s.TauMax, TauMin: s.TauMin, InnerSteps: s.InnerSteps, EtaW: s.InnerLR, EtaA: s.InnerLRArch,
		MetaBatch: s.MetaBatch, Iterations: s.Iterations,
		MetaLR: s.MetaLR, ArchLR: s.ArchLR, ArchSchedule: s.ArchLRSchedule, ArchBeta1: s.ArchBeta1, ArchWD: s.ArchWeightDecay, Clip: s.Clip,
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
	t := maml.EpisodeTask(s.Source(), &ep)
	return search.Batch[float32]{X: t.XS, Y: t.YS}, search.Batch[float32]{X: t.XQ, Y: t.YQ}
}

// Search runs a BASE architecture search from a search experiment file in
// opt.Out, or resumes the one there: the search network is meta-trained on
// episodes of the meta-training classes for search.iterations
// meta-iterations or search.budget, whichever comes first, then the
// architecture is decoded (search.derive). It writes
// search-checkpoint.gob, genotype.yaml and genotype.json (the derived
// cells), arch.json (the decoded probability tables), train.yaml (the
// file's experiment keys with model.name set to the derived genotype) and
// record.json, and returns the record.
func Search(ctx context.Context, cfg *config.SearchFile, opt Options) (*reports.Record, error) {
	return guard(func() (*reports.Record, error) { return runSearch(ctx, cfg, &opt) })
}

func runSearch(ctx context.Context, cfg *config.SearchFile, opt *Options) (*reports.Record, error) {
	s, err := runToEnd(ctx, KindSearch, opt, func(r *resumable) (*searchRun, error) { return newSearchRun(r, cfg) })
	if err != nil {
		return nil, err
	}
	progressOf(opt).Log(fmt.Sprintf("%s: deriving the genotype", s.method))
	t0 := time.Now()
	tau := s.sr.Tau(max(s.hdr.Iter-1, 0))
	name := s.method
	if opt.Label != "" {
		name = opt.Label
	}
	der, err := s.sr.Derive(name, s.rule, cfg.Search.Derive.Tasks, tau, func(i int) (search.Batch[float32], error) {
		s, _ := episodeBatch(s.deriveS, i)
		return s, nil
	})
	if err != nil {
		return nil, fmt.Errorf("deriving the genotype: %w", err)
	}
	deriveSec := time.Since(t0).Seconds()
	if err := writeSearchOutputs(opt.Out, cfg, s.sr, der); err != nil {
		return nil, err
	}
	rec := s.record(der)
	rec.Extra["derive_sec"] = deriveSec
	rec.Extra["tau_final"] = tau
	return s.finish(rec)
}

// searchRun is a search's own part: its data, search network and searcher,
// and what its loop measures (resumable does the rest).
type searchRun struct {
	*resumable
	cfg             *config.SearchFile
	data            *expData
	trainS, deriveS *episodes.Sampler
	net             *search.SearchNet
	sr              *search.Searcher
	rule            genotype.Rule
	method          string
	ck              *search.Checkpoint // the state saved: Θ, the optimisers, the last point's logits
	means           stretch[string]    // the training statistics since the last curve point
	last            search.IterStats
}

// newSearchRun opens the file's data and builds the search network and
// the searcher.
func newSearchRun(r *resumable, cfg *config.SearchFile) (*searchRun, error) {
	sc := cfg.Search
	data, err := openExperimentData(&cfg.Config)
	if err != nil {
		return nil, err
	}
	s := &searchRun{resumable: r, cfg: cfg, data: data, method: searchMethod(sc)}
	spec := episodes.Spec{Ways: cfg.Ways, Shots: cfg.Shots, Queries: cfg.Queries}
	if s.trainS, err = episodes.NewSampler(data.train, data.trainClasses, spec, uint64(cfg.Seed)); err != nil {
		return nil, fmt.Errorf("ways/shots/queries: training classes: %w", err)
	}
	if s.deriveS, err = episodes.NewSampler(data.train, data.trainClasses, spec, uint64(cfg.Seed)^0x64657269); err != nil {
		return nil, fmt.Errorf("derivation episodes: %w", err)
	}
	s.net, err = search.NewSearchNet(search.SearchNetConfig{
		Cells: sc.Network.Cells, Channels: sc.Network.Channels, Classes: cfg.Ways, InChannels: data.C,
		StemStride: sc.Network.StemStride, Reductions: sc.Network.Reductions, Ops: sc.Network.Ops})
	if err != nil {
		return nil, fmt.Errorf("search.network: %w", err)
	}
	if err := s.net.CheckInput(data.H); err != nil {
		return nil, fmt.Errorf("search.network: %w", err)
	}
	fc := sc.Final
	if _, err := search.NewModelFromName[float32](fmt.Sprintf("genotype:darts-v2,cells=%d,channels=%d,stem_stride=%d", fc.Cells, fc.Channels, fc.StemStride), fc.Channels, data.C, data.H, cfg.Ways); err != nil {
		return nil, fmt.Errorf("search.final: %w", err)
	}
	K := sc.MetaBatch
	tasks := func(iter, k int) (search.Batch[float32], search.Batch[float32], error) {
		s, q := episodeBatch(s.trainS, iter*K+k)
		return s, q, nil
	}
	if s.sr, err = search.NewSearcher(s.net, searchSettings(cfg), cfg.Seed, tasks); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	cfgYAML, err := yamlOf(cfg)
	if err != nil {
		return nil, err
	}
	s.ck = &search.Checkpoint{ConfigYAML: cfgYAML}
	if s.rule, err = genotype.ParseRule(sc.Derive.Rule); err != nil {
		return nil, fmt.Errorf("search.derive.rule: %w", err)
	}
	return s, nil
}

// restore loads a checkpoint of the same seed and network.
func (s *searchRun) restore(h checkpoint.Header, st *checkpoint.State) error {
	old, err := search.CheckpointOf(h, st)
	if err != nil {
		return err
	}
	if err := old.Restore(s.sr); err != nil {
		return err
	}
	s.ck.ArchPrev = old.ArchPrev
	return nil
}

// capture is the search's state: Θ, the optimisers' and the logits of the
// last curve point.
func (s *searchRun) capture() (*checkpoint.State, error) {
	s.ck.Capture(s.sr)
	_, st, err := s.ck.State()
	return st, err
}

// loop is the search loop: a curve point (the mean training statistics and
// the architecture's) every 1% of the iterations and at the end.
func (s *searchRun) loop() *loop {
	sc := s.cfg.Search
	every := max(1, sc.Iterations/100)
	var l *loop
	l = &loop{Limit: sc.Iterations, Budget: sc.Budget.Duration, CheckpointEvery: s.cfg.Checkpoint.Duration, Name: s.method, Unit: "iteration",
		Step: func(iter int) (string, error) {
			st, err := s.sr.Step(iter)
			if err != nil {
				return "", fmt.Errorf("search: %w", err)
			}
			s.last = st
			s.means.add("loss", st.QueryLoss, 1)
			s.means.add("acc", st.QueryAcc, 1)
			return fmt.Sprintf("%s loss %.3f acc %5.1f%% tau %.2f", s.method, st.QueryLoss, 100*st.QueryAcc, st.Tau), nil
		},
		After: func() (bool, error) {
			if !pointDue(s.hdr.Iter, every, l) {
				return false, nil
			}
			arch, cur, err := search.ArchStats(s.sr.Net, s.sr.Theta, s.rule, s.ck.ArchPrev)
			if err != nil {
				return false, fmt.Errorf("search: architecture at iteration %d: %w", s.hdr.Iter, err)
			}
			s.ck.ArchPrev = cur
			m := s.means.take()
			s.add(search.CurvePoint{QueryLoss: m["loss"], QueryAcc: m["acc"], Tau: s.last.Tau, Arch: arch}.Point())
			return false, nil
		},
	}
	return l
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
	if err := atomicfile.Write(gPath, y); err != nil {
		return err
	}
	j, err := der.Genotype.JSON()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, "genotype.json"), append(j, '\n')); err != nil {
		return err
	}
	pn, pr := search.ArchTables(sr.Net, sr.Theta)
	arch := map[string]any{
		"ops": sr.Net.Config().Ops, "rule": cfg.Search.Derive.Rule, "tasks_averaged": der.Tasks,
		"decoded_normal": der.Normal, "decoded_reduce": der.Reduce,
		"prior_logits_normal": pn, "prior_logits_reduce": pr,
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, "arch.json"), arch); err != nil {
		return err
	}
	// Paths in train.yaml are relative to its folder (config.Load resolves
	// them so): the genotype is "genotype.yaml" beside it, and a run folder
	// committed under docs/records names no machine path.
	train, err := cfg.FinalTrain(gPath).RelativeTo(dir)
	if err != nil {
		return fmt.Errorf("train.yaml: %w", err)
	}
	ty, err := train.YAML()
	if err != nil {
		return err
	}
	head := fmt.Sprintf("# Meta-training of the final network of the genotype derived by `metabench search`\n# (%s). Run: metabench train PATH/train.yaml --out RUN (paths below are\n# relative to this file's folder).\n",
		der.Genotype)
	return atomicfile.Write(filepath.Join(dir, "train.yaml"), append([]byte(head), ty...))
}

// record is the search's record with the genotype it derived.
func (s *searchRun) record(der *search.Derived) *reports.Record {
	cfg, data, sc := s.cfg, s.data, s.cfg.Search
	nc := s.net.Config()
	rec := s.resumable.record(s.method, fmt.Sprintf("search-net-L%d-C%d", nc.Cells, nc.Channels), cfg.Map(), cfg.Seed)
	rec.Dataset = datasetOf(data.ds, data.split+":train", len(data.trainClasses))
	rec.Proto = reports.Protocol{
		Ways: cfg.Ways, Shots: cfg.Shots, Queries: cfg.Queries, StepsTrain: sc.InnerSteps,
		InnerLR: sc.InnerLR, BNMode: "transductive", Rotations: cfg.Data.Rotations,
	}
	rec.Params = s.net.Layout().Count() + 2*14*s.net.NumOps()
	var iters []int
	var arch []search.ArchPoint
	var archCurve []map[string]any
	for _, g := range s.curve {
		p := search.CurvePointOf(g)
		if p.Arch.Genotype == "" {
			continue // a point of a checkpoint written before the diagnostics existed
		}
		iters, arch = append(iters, p.Iter), append(arch, p.Arch)
		archCurve = append(archCurve, map[string]any{"iter": p.Iter, "entropy_normal": p.Arch.EntropyNormal,
			"entropy_reduce": p.Arch.EntropyReduce, "max_dalpha": p.Arch.MaxDelta, "genotype": p.Arch.Genotype})
	}
	rec.Extra = map[string]any{
		"genotype": der.Genotype.String(), "genotype_file": "genotype.yaml",
		"variant": sc.Variant, "relaxation": sc.Relaxation, "hard": sc.Hard, "derive_rule": sc.Derive.Rule,
		"derive_tasks": sc.Derive.Tasks, "meta_batch": sc.MetaBatch, "inner_lr_arch": sc.InnerLRArch,
		"train_classes": len(data.trainClasses), "split": data.split,
		"choices": searchChoices(sc),
	}
	if len(arch) > 0 {
		conv := search.DefaultConvergence()
		ok, from := conv.Converged(iters, arch)
		rec.Extra["arch_curve"] = archCurve
		rec.Extra["converged"] = ok
		rec.Extra["stable_from"] = from
		rec.Extra["convergence_rule"] = conv.Rule()
	}
	return rec
}

// searchChoices lists the settings SPEC leaves open and what this run used.
func searchChoices(s config.Search) []string {
	c := []string{
		"A15: inner loop on the support set, outer loss on the query set with fresh Gumbel noise",
		"A4: lambda_KL = 0, deterministic weights (sigma = 0)",
		"A8: one Gumbel sample per cell type per forward pass, shared by every cell and image; tau linear over search.iterations",
		"A9: alpha adapted in the inner loop with inner_lr_arch",
		"A5: outer Adam on weights (meta_lr) and on alpha (arch_lr, betas (arch_beta1, 0.999), L2 arch_weight_decay); element-wise clip",
		"A16: genotype from softmax(alpha^T) averaged over derive.tasks adapted meta-train tasks (0 = the prior)",
		"search network BN affine=false everywhere (stem included); PyTorch default init",
		fmt.Sprintf("fd radius numerator %g (0 = DARTS 0.01)", s.FDEps),
	}
	if s.ArchLRSchedule == search.ScheduleCosine {
		c = append(c, "arch_lr cosine-annealed over search.iterations: arch_lr*(1+cos(pi*i/iterations))/2 at iteration i")
	}
	return c
}
