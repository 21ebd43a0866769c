package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
)

const metatrainUsage = `usage: metabench metatrain CONFIG.yaml --out DIR [--set key=value ...] [--resume] [--store PATH] [--label NAME] [--quiet]

Multi-task meta-training of the BASE meta-network (variant B, SPEC 1.6.1 and
3.4) from a metatrain file (see benchmarks/metatrain-base-*.yaml): 10-class
tasks are drawn from the mixture of sources (each at its image size, each
size with its own head, the cells shared), adapted in parallel from Θ, and Θ
moves by β times the mean adapted difference (head tensors averaged over the
tasks that used the head). It runs metatrain.iterations meta-iterations or
metatrain.budget of wall clock, whichever comes first. DIR receives
metatrain-checkpoint.gob (written atomically every checkpoint_every, on
Ctrl-C and at the end; --resume continues it bit for bit), genotype.yaml
(the prior's own genotype: softmax of Θ's α, BASE rule), arch.json and
record.json (also saved to the results store). Adapt the prior with
` + "`metabench adapt CONFIG.yaml --prior DIR --out RUN`" + `.

flags:
`

func cmdMetatrain(args []string, stdout, stderr io.Writer) int {
	rec, ea, code := runKind(experiment.KindMetatrain, metatrainUsage, "output `DIR` (required)", "meta-training", args, stderr)
	if rec == nil {
		return code
	}
	fmt.Fprintf(stdout, "%s: %d meta-iterations (%s); last query accuracy %.1f%%; prior genotype %s -> %s\n",
		rec.Method, rec.Iters, reports.FormatDuration(rec.TrainSeconds()), 100*rec.Summary.Mean,
		rec.Extra["genotype"], filepath.Join(ea.Out, "genotype.yaml"))
	return 0
}
