package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/maml"
)

// exportUsage is the part of `metabench episodes -h` about --experiment.
const exportUsage = `
With --experiment FILE.yaml [--set key=value ...] --out DATA.npz it exports
instead the data of an experiment file, for an outside implementation (the
PyTorch reference scripts/maml_reference.py) to train and test on exactly
what "metabench train" does: a NumPy .npz (written atomically) with the
training images as metabench feeds them (uint8 [N,C,H,W], float = pixel/255)
and their base classes, the training classes (4*c+r with rotations), the
fixed test episodes of the file (eval.seed, eval.episodes) as base image
indices with rotation codes in label order, rendered check images of the
rotation convention, and the protocol as JSON (member "protocol"). With
--params RUNDIR it adds the parameters of that run's checkpoint (float32
"param.NAME" arrays in metabench's layout), from which the reference can
start or which it can evaluate. The sampling flags above do not apply then.
`

// exportFlags are the episodes flags of an experiment export.
type exportFlags struct {
	experiment, out, params *string
	sets                    setFlags
}

// addExportFlags adds --experiment, --set and --out to the episodes flags.
func addExportFlags(fs *flag.FlagSet) *exportFlags {
	f := &exportFlags{
		experiment: fs.String("experiment", "", "export the data of experiment `FILE.yaml` to --out instead of printing episodes"),
		out:        fs.String("out", "", "with --experiment: the .npz `PATH` to write"),
		params:     fs.String("params", "", "with --experiment: add the parameters of the checkpoint in run folder `DIR`"),
	}
	fs.Var(&f.sets, "set", "with --experiment: override `key=value` of the file (repeatable)")
	return f
}

// exportCheck reports a usage error of the export flags: --set or --out
// without --experiment, sampling flags with it, or no --out.
func (f *exportFlags) exportCheck(fs *flag.FlagSet) error {
	var sampling []string
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "experiment", "set", "out", "params":
		default:
			sampling = append(sampling, "--"+fl.Name)
		}
	})
	switch {
	case *f.experiment == "" && (len(f.sets) > 0 || *f.out != "" || *f.params != ""):
		return errors.New("--set, --out and --params go with --experiment")
	case *f.experiment == "":
		return nil
	case len(sampling) > 0:
		return fmt.Errorf("--experiment takes its protocol from the file: %v do not apply (use --set)", sampling)
	case *f.out == "":
		return errors.New("--experiment needs --out DATA.npz")
	}
	return writableFolder(filepath.Dir(*f.out))
}

// writableFolder checks that a file can be created in dir.
func writableFolder(dir string) error {
	f, err := os.CreateTemp(dir, ".metabench-probe-*")
	if err != nil {
		return fmt.Errorf("--out: cannot write in %s: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// runExport exports the experiment's data; usage errors (the file, its
// keys) exit 2, failures to open the data or write the archive exit 1.
func (f *exportFlags) runExport(stdout, stderr io.Writer) int {
	cfg, err := experiment.LoadTrain(*f.experiment, f.sets)
	if err != nil {
		return misuse(stderr, "episodes", "", err)
	}
	x, err := experiment.ExportData(cfg)
	if err != nil {
		return fail(stderr, "episodes", fmt.Errorf("%s: %w", *f.experiment, err))
	}
	x.Protocol.Experiment = *f.experiment
	if *f.params != "" {
		ck, err := maml.LoadCheckpoint(filepath.Join(*f.params, maml.CheckpointFile))
		if err != nil {
			return fail(stderr, "episodes", fmt.Errorf("--params: %w", err))
		}
		if err := x.AddParams(ck); err != nil {
			return fail(stderr, "episodes", fmt.Errorf("--params %s: %w", *f.params, err))
		}
	}
	if err := x.WriteNpz(*f.out); err != nil {
		return fail(stderr, "episodes", err)
	}
	p := x.Protocol
	fmt.Fprintf(stdout, "%s: %d images %dx%dx%d, %d training classes (rotations %v), %d test episodes %d-way %d-shot %d queries (eval seed %d) of %s\n",
		*f.out, x.N, x.C, x.H, x.W, len(x.TrainClasses), p.Rotations, p.EvalEpisodes, p.EvalWays, p.EvalShots, p.EvalQueries, p.EvalSeed, *f.experiment)
	return 0
}
