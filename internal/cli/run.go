package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/reports"
)

const runUsage = `usage: metabench run [--methods maml,fomaml,reptile,protonets] [--budget 60s] [--episodes 100] [--filters 64] [--meta-batch 8]
       [--out DIR] [--store PATH] [--label NAME] [--quiet]

The main job (make run): on the embedded Omniglot background set, split by
alphabet, a short meta-training of each method on 5-way 1-shot tasks (the
standard protocol except for the training budget, the meta-batch, one query
image per class at meta-training time and an outer learning rate of 3e-3,
which suit a short budget), evaluation on fixed test episodes from held-back
alphabets, and a table of method, protocol, accuracy ± 95% CI, training time
and the published number. Every run writes its checkpoint and record.json
under --out and its record to the results store.

flags:
`

// runPreset is the short-training configuration of one method in `run`.
func runPreset(method string, budget time.Duration, episodes, filters, metaBatch int) (*config.Config, error) {
	c := config.Default()
	c.Method = method
	c.Budget = config.Duration{Duration: budget}
	c.Iterations = 0
	c.Model.Filters = filters
	c.MetaBatch = metaBatch
	c.Eval.Episodes = episodes
	c.Eval.ValEpisodes = 0
	c.Checkpoint = config.Duration{Duration: time.Minute}
	// Tuned for short budgets (the method's own hyperparameters): one query
	// image per class at meta-training time, as in Finn et al.'s Omniglot
	// code, and a larger outer learning rate.
	c.Queries = 1
	c.MetaLR = 0.003
	if method == "reptile" {
		// Nichol et al. 2018, Omniglot 5-way: Adam (β1 = 0) at 1e-3, 5 inner
		// steps on minibatches of 10 of the task's examples, meta step 1 -> 0.
		c.InnerLR, c.InnerSteps, c.TestSteps = 0.001, 5, 50
		c.Queries = 9
		c.MetaBatch = max(metaBatch, 5)
		c.Reptile = config.Reptile{InnerOptimizer: "adam", InnerBatch: 10, UseQuery: true, MetaStep: 1, MetaStepFinal: 1, CarryAdam: true}
	}
	if method == "protonets" {
		c.Queries = 5 // Snell et al.'s query images per class; no inner loop
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := mamlFlagSet("run")
	methods := fs.String("methods", "maml,fomaml,reptile,protonets", "comma-separated `LIST` of methods")
	budget := fs.Duration("budget", 60*time.Second, "training wall clock per method")
	episodes := fs.Int("episodes", 100, "test episodes per method (the standard protocol uses 600)")
	filters := fs.Int("filters", 64, "conv4 filters (64 is the Omniglot standard)")
	metaBatch := fs.Int("meta-batch", 8, "tasks per meta-iteration (the paper uses 32)")
	out := fs.String("out", "", "output `DIR` (default: a new folder under the system temp folder)")
	quiet := fs.Bool("quiet", false, "no progress bars")
	sf := AddStoreFlags(fs)
	usage := flagUsage(runUsage, fs)
	pos, err := mamlParseArgs(fs, args)
	if err != nil {
		return mamlUsageError(stderr, "run", usage, err)
	}
	if len(pos) > 0 {
		return mamlUsageError(stderr, "run", usage, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	switch {
	case *budget <= 0:
		return fail(stderr, "run", fmt.Errorf("--budget %v: must be positive", *budget))
	case *episodes < 1:
		return fail(stderr, "run", fmt.Errorf("--episodes %d: must be at least 1", *episodes))
	case *filters < 1:
		return fail(stderr, "run", fmt.Errorf("--filters %d: must be at least 1", *filters))
	case *metaBatch < 1:
		return fail(stderr, "run", fmt.Errorf("--meta-batch %d: must be at least 1", *metaBatch))
	}
	var cfgs []*config.Config
	for _, m := range strings.Split(*methods, ",") {
		m = strings.TrimSpace(m)
		c, err := runPreset(m, *budget, *episodes, *filters, *metaBatch)
		if err == nil {
			_, err = loadMethod(m)
		}
		if err != nil {
			return fail(stderr, "run", fmt.Errorf("--methods %s: %w", m, err))
		}
		cfgs = append(cfgs, c)
	}
	dir := *out
	if dir == "" {
		dir, err = os.MkdirTemp("", "metabench-run-")
		if err != nil {
			return fail(stderr, "run", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stderr, "metabench run: %d methods on the embedded Omniglot (5-way 1-shot, %v of training each); runs in %s\n", len(cfgs), *budget, dir)
	var recs []*reports.Record
	for _, c := range cfgs {
		job := trainJob{Cfg: c, Out: filepath.Join(dir, c.Method), Label: sf.Label}
		if !*quiet {
			job.Progress = stderr
		}
		rec, err := trainExperiment(ctx, job)
		if err != nil {
			return fail(stderr, "run", fmt.Errorf("%s: %w", c.Method, err))
		}
		if path, err := sf.Save(rec, ""); err != nil {
			return fail(stderr, "run", fmt.Errorf("results store %s: %w", path, err))
		}
		recs = append(recs, rec)
	}
	if err := renderRunTable(stdout, recs); err != nil {
		return fail(stderr, "run", err)
	}
	testClasses := 0
	if len(recs) > 0 {
		testClasses = recs[0].Dataset.Classes
	}
	fmt.Fprintf(stdout, "Trained on the embedded Omniglot background alphabets minus held-back ones (rotations as extra classes):\n"+
		"conv4 with %d filters, meta-batch %d (reptile at least 5), %v of training per method. Tested on %d episodes of\n"+
		"%d characters from held-back alphabets, never seen in training. The published numbers come from hours of\n"+
		"training: see benchmarks/*.yaml for the full protocols. Records and checkpoints: %s\n",
		*filters, *metaBatch, *budget, *episodes, testClasses, dir)
	return 0
}

func loadMethod(name string) (string, error) {
	c := config.Default()
	c.Method = name
	if _, err := loadExperimentMethod(&c); err != nil {
		return "", err
	}
	return name, nil
}

// renderRunTable writes the results table of `run`.
func renderRunTable(w io.Writer, recs []*reports.Record) error {
	t := tablewriter.NewWriter(w)
	t.Header("method", "protocol", "accuracy (%)", "training", "iterations", "published (%)")
	for _, r := range recs {
		paper := "-"
		if ref, ok := reports.LookupReference(r); ok {
			paper = ref.String()
		}
		if err := t.Append([]string{
			r.Method,
			reports.ProtocolString(r.Proto),
			fmt.Sprintf("%.2f ± %.2f", 100*r.Summary.Mean, 100*r.Summary.CI95),
			reports.FormatDuration(trainSeconds(r)),
			fmt.Sprint(r.Iters),
			paper,
		}); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}
