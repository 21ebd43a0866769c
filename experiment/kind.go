package experiment

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/internal/checkpoint"
	"github.com/metabench/metabench/maml"
	"github.com/metabench/metabench/multitask"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search"
)

// The names of the kinds of run (Kind.Name), for callers that treat one
// kind apart (a suite's adapt unit names its prior, a train unit may come
// from a search unit).
const (
	KindTrain     = "train"
	KindEval      = "eval"
	KindSearch    = "search"
	KindMetatrain = "metatrain"
	KindAdapt     = "adapt"
)

// Kind is one kind of run: its name, how its experiment file loads, how it
// runs, and its checkpoint. The command line (its commands and `report
// --kind`), suites (their units' kinds) and records read the kinds from
// the registry (Kinds, LookupKind) instead of listing them.
type Kind struct {
	// Name names the kind everywhere: its command, a suite unit's kind,
	// its records' Kind and its checkpoint's header (checkpoint.Format.Kind).
	Name string
	// What a run of the kind is in messages ("training").
	What string
	// format is the kind's checkpoint file; nil for a kind without one.
	format *checkpoint.Format
	// load reads an experiment file of the kind with overrides; nil for a
	// kind that has none (eval takes its settings from flags).
	load func(path string, sets []string) (File, error)
	// run runs what load returned.
	run func(ctx context.Context, f File, opt *Options) (*reports.Record, error)
}

// File is an experiment file as its kind's Load returns it and its Run
// takes it: *config.Config (train), *config.SearchFile,
// *config.MetatrainFile, *config.AdaptFile, or an EvalConfig.
type File any

// newKind is the Kind of a run over files of type F.
func newKind[F any](name, what string, format *checkpoint.Format, load func(string, []string) (F, error),
	run func(context.Context, F, *Options) (*reports.Record, error)) *Kind {
	k := &Kind{Name: name, What: what, format: format}
	if load != nil {
		k.load = func(path string, sets []string) (File, error) { return load(path, sets) }
	}
	k.run = func(ctx context.Context, f File, opt *Options) (*reports.Record, error) {
		cf, ok := f.(F)
		if !ok {
			return nil, fmt.Errorf("%s: runs a %T, not a %T", name, cf, f)
		}
		return run(ctx, cf, opt)
	}
	return k
}

// kinds is the registry: every kind of run, in the order messages list
// them. It is filled once, by init below, and only read afterwards
// (docs/DECISIONS.md R31); the kinds' run functions read it, so it cannot
// be a variable's initialiser.
var kinds []*Kind

func init() {
	trainCk, searchCk, metatrainCk := maml.CheckpointFormat(), search.CheckpointFormat(), multitask.CheckpointFormat()
	kinds = []*Kind{
		newKind(KindTrain, "training", &trainCk, LoadTrain, func(ctx context.Context, c *config.Config, opt *Options) (*reports.Record, error) {
			return train(ctx, c, opt, nil)
		}),
		newKind[EvalConfig](KindEval, "evaluation", nil, nil, eval),
		newKind(KindSearch, "search", &searchCk, config.LoadSearch, runSearch),
		newKind(KindMetatrain, "meta-training", &metatrainCk, config.LoadMetatrain, metatrain),
		newKind(KindAdapt, "adaptation", nil, config.LoadAdapt, adapt),
	}
	for _, k := range kinds {
		if k.format != nil && k.format.Kind != k.Name {
			panic(fmt.Sprintf("experiment: kind %s writes %s checkpoints", k.Name, k.format.Kind))
		}
	}
}

// Kinds returns every kind of run, in the registry's order.
func Kinds() []*Kind { return append([]*Kind(nil), kinds...) }

// FileKinds returns the kinds that run from an experiment file (a suite
// unit's kinds).
func FileKinds() []*Kind {
	var out []*Kind
	for _, k := range kinds {
		if k.load != nil {
			out = append(out, k)
		}
	}
	return out
}

// LookupKind returns the kind called name; the error lists the kinds.
func LookupKind(name string) (*Kind, error) {
	for _, k := range kinds {
		if k.Name == name {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%q: want %s", name, KindNames(kinds))
}

// kindNamed is the registered kind called name (a name of this package's
// constants).
func kindNamed(name string) *Kind {
	k, err := LookupKind(name)
	if err != nil {
		panic("experiment: unregistered kind " + err.Error())
	}
	return k
}

// KindNames lists the names of ks for a message: "train, search or adapt".
func KindNames(ks []*Kind) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.Name
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// HasFile reports whether the kind runs from an experiment file.
func (k *Kind) HasFile() bool { return k.load != nil }

// CheckpointFile is the file name of the kind's checkpoint in a run folder
// ("" for a kind without one).
func (k *Kind) CheckpointFile() string {
	if k.format == nil {
		return ""
	}
	return k.format.File
}

// Load reads an experiment file of the kind with overrides (the key=value
// of --set).
func (k *Kind) Load(path string, sets []string) (File, error) {
	if k.load == nil {
		return nil, fmt.Errorf("%s: a run of this kind has no experiment file", k.Name)
	}
	return k.load(path, sets)
}

// Run runs f, an experiment file of the kind (Load), with opt.
func (k *Kind) Run(ctx context.Context, f File, opt Options) (*reports.Record, error) {
	return guard(func() (*reports.Record, error) { return k.run(ctx, f, &opt) })
}

// HasCheckpoint reports whether run folder dir holds the checkpoint of a
// kind.
func HasCheckpoint(dir string) bool {
	for _, k := range kinds {
		if f := k.CheckpointFile(); f != "" && exists(filepath.Join(dir, f)) {
			return true
		}
	}
	return false
}

// CheckpointStatus is what the checkpoint of a run folder says of its run,
// read from its header alone (its tensors are not decoded).
type CheckpointStatus struct {
	Kind string // the run kind whose checkpoint file it is
	// Header is false for a checkpoint written before checkpoints had a
	// header: only Kind is known.
	Header   bool
	Iter     int     // iterations done
	TrainSec float64 // training wall clock spent
	Done     bool    // the run reached its end (its record may be missing)
}

// ReadCheckpointStatus reads the header of run folder dir's checkpoint (of
// any kind, HasCheckpoint); ok is false when dir holds none.
func ReadCheckpointStatus(dir string) (st CheckpointStatus, ok bool, err error) {
	for _, k := range kinds {
		f := k.CheckpointFile()
		if f == "" || !exists(filepath.Join(dir, f)) {
			continue
		}
		h, err := checkpoint.ReadHeader(filepath.Join(dir, f))
		switch {
		case errors.Is(err, checkpoint.ErrNoEnvelope):
			return CheckpointStatus{Kind: k.Name}, true, nil
		case err != nil:
			return CheckpointStatus{}, true, err
		}
		return CheckpointStatus{Kind: k.Name, Header: true, Iter: h.Iter, TrainSec: h.TrainSec, Done: h.Done}, true, nil
	}
	return CheckpointStatus{}, false, nil
}

// LoadTrain reads an experiment file of a training run with overrides and
// checks its method against the registry (the train kind's Load).
func LoadTrain(path string, sets []string) (*config.Config, error) {
	cfg, err := config.Load(path, sets)
	if err != nil {
		return nil, err
	}
	if _, err := CheckMethod(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}
