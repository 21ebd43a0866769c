package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
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
	rec, ea, code := runKind(experiment.KindSearch, searchUsage, "output `DIR` (required)", "search", args, stderr)
	if rec == nil {
		return code
	}
	fmt.Fprintf(stdout, "%s: %d iterations (%s of search); genotype %s -> %s\n",
		rec.Method, rec.Iters, reports.FormatDuration(rec.TrainSeconds()), rec.Extra["genotype"],
		filepath.Join(ea.Out, "genotype.yaml"))
	return 0
}
