package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/multitask"
	"github.com/metabench/metabench/reports"
)

const adaptUsage = `usage: metabench adapt CONFIG.yaml --prior DIR --out DIR [--set key=value ...] [--store PATH] [--label NAME] [--quiet]
       metabench adapt --prior DIR --data PATH --out DIR [--size N] [--epochs N] [--train-images N] [--test-images N] [--freeze]

Adapts a multi-task prior (the folder of ` + "`metabench metatrain`" + `) to unseen
10-class datasets (SPEC 3.6): the weights and the architecture logits of the
head for the dataset's image size, the shared cells and the classifier are
trained together for adapt.epochs passes over a seeded subset of the
training images (with adapt.frozen also with the logits frozen, the paper's
ablation; with adapt.scratch also the same super-network from scratch,
DARTS's softmax at temperature 1: Figure 4's baseline), and scored on the
test images after every pass (a target's test_subset: validation scores
held-out training images instead, for choosing settings). The genotype of
highest probability is decoded from each adapted α, and the prior's own from
Θ. Unless final.skip, the final network of each genotype (the prior's, the
one tuned on targets[i].related, the one tuned on the target, and the
final.baselines such as darts-v2) is trained on the target and its test error
reported with a 95% Wilson interval: the shape of the paper's Tables 1-2.
Grey datasets (MNIST, Fashion-MNIST) are replicated to three channels and
resized to the target size, so they use the RGB head of that size.

DIR receives table.md (the tables), adaptation.png/svg (Figure 4),
pca_weights.png/svg and pca_arch.png/svg (Figure 3), genotypes/*.yaml,
adapt.json (everything in one file) and records/*.json (one
reports.Record per adaptation and per final network, also saved to the
results store). The second form adapts to one dataset (no final networks;
its defaults: 32 pixels, 4 epochs, 500 training and 500 test images).

flags:
`

func cmdAdapt(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("adapt")
	prior := fs.String("prior", "", "the prior: the metatrain run `DIR` holding "+multitask.CheckpointFile+" (required unless the file names prior)")
	out := fs.String("out", "", "output `DIR` (required)")
	data := fs.String("data", "", "single target dataset `PATH` (instead of an adapt file)")
	size := fs.Int("size", 32, "image size of --data (selects the head)")
	epochs := fs.Int("epochs", 4, "adaptation epochs with --data")
	trainN := fs.Int("train-images", 500, "training images of --data used for adaptation (0 = all)")
	testN := fs.Int("test-images", 500, "test images of --data (0 = all)")
	freeze := fs.Bool("freeze", false, "with --data: also adapt with the architecture logits frozen")
	var sets setFlags
	fs.Var(&sets, "set", "override `key=value` of the adapt file (repeatable)")
	quiet := fs.Bool("quiet", false, "no progress lines")
	prof := fs.String("cpuprofile", "", "write a pprof CPU profile of the run to `FILE`")
	sf := AddStoreFlags(fs)
	usage := flagUsage(adaptUsage, fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return misuse(stderr, "adapt", usage, err)
	}
	if *out == "" {
		return misuse(stderr, "adapt", usage, errors.New("--out DIR is required"))
	}
	var cfg *config.AdaptFile
	switch {
	case len(pos) == 1 && *data == "":
		if cfg, err = config.LoadAdapt(pos[0], sets); err != nil {
			return fail(stderr, "adapt", err)
		}
	case len(pos) == 0 && *data != "":
		if cfg, err = config.SingleTarget(*data, *size, *epochs, *trainN, *testN, *freeze, sets); err != nil {
			return fail(stderr, "adapt", err)
		}
	default:
		return misuse(stderr, "adapt", usage, errors.New("give either one adapt file or --data PATH"))
	}
	if *prior != "" {
		cfg.Prior = *prior
	}
	if cfg.Prior == "" {
		return misuse(stderr, "adapt", usage, errors.New("--prior DIR is required"))
	}
	ea := experimentArgs{Out: *out, Quiet: *quiet, Store: sf, CPUProfile: *prof}
	started := time.Now()
	rec, code := experimentRun("adapt", ea, stderr, func(ctx context.Context, opt experiment.Options) (*reports.Record, error) {
		return experiment.Adapt(ctx, cfg, opt)
	})
	if rec == nil {
		return code
	}
	table, err := os.ReadFile(filepath.Join(*out, "table.md"))
	if err != nil {
		return fail(stderr, "adapt", err)
	}
	fmt.Fprintf(stdout, "%s\nrun folder: %s (%s wall); records in %s\n", table, *out,
		reports.FormatDuration(time.Since(started).Seconds()), filepath.Join(*out, "records"))
	return 0
}
