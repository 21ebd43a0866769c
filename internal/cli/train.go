package cli

import (
	"fmt"
	"io"

	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
)

const trainUsage = `usage: metabench train CONFIG.yaml --out DIR [--set key=value ...] [--resume] [--store PATH] [--label NAME] [--quiet]

Meta-trains a model from an experiment file (see benchmarks/*.yaml). Training
stops after "iterations" meta-iterations or "budget" of training wall clock,
whichever comes first. DIR receives checkpoint.gob (written atomically every
"checkpoint_every", after each validation, on Ctrl-C and at the end) and
record.json (the run's reports.Record, also saved to the results store).
--resume continues the run in DIR and ends with exactly the parameters of an
uninterrupted run. --set overrides any key of the file (dotted path, e.g.
--set eval.episodes=100 --set budget=10m).

flags:
`

func cmdTrain(args []string, stdout, stderr io.Writer) int {
	rec, ea, code := runKind(experiment.KindTrain, trainUsage, "output `DIR` for the checkpoint and record.json (required)", "run", args, stderr)
	if rec == nil {
		return code
	}
	iv := reports.EpisodeInterval(rec)
	on := "test episodes (this trained model)"
	if rec.NoTest() {
		on = "VALIDATION episodes, the last validation point (eval.episodes 0: a tuning run, no test evaluation)"
	}
	fmt.Fprintf(stdout, "%s %s: %.2f%% [%.2f, %.2f] on %d %s after %d iterations (%s of training); %s\n",
		rec.Method, reports.ProtocolString(rec.Proto), 100*rec.Summary.Mean, 100*iv.Lo, 100*iv.Hi, rec.Summary.N, on,
		rec.Iters, reports.FormatDuration(rec.TrainSeconds()), experiment.RecordFile(ea.Out))
	if g, ok := rec.Extra["mat_gflop_per_iter"].(float64); ok && rec.TrainSeconds() > 0 {
		sec := rec.TrainSeconds()
		mb, _ := rec.Extra["meta_batch"].(int)
		fmt.Fprintf(stdout, "throughput: %.2f iterations/s (%.1f tasks/s), %.1f GFLOP/s of matrix products (%.3f GFLOP per iteration)\n",
			float64(rec.Iters)/sec, float64(rec.Iters*mb)/sec, g*float64(rec.Iters)/sec, g)
	}
	return 0
}
