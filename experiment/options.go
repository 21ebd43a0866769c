package experiment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/metabench/metabench/reports"
)

// Options are what a caller decides about one run, as opposed to what the
// experiment file decides.
type Options struct {
	// Out is the run folder: checkpoint, record.json and the run's other
	// outputs. Required.
	Out string
	// Resume continues the run whose checkpoint is in Out; without it a
	// checkpoint already in Out is an error.
	Resume bool
	// Label is recorded with every record of the run.
	Label string
	// Progress receives the run's progress; nil runs silently.
	Progress Progress
	// Save, when set, receives every record the run produces, after its JSON
	// is written in Out and before the entry point returns (Adapt produces
	// one per adaptation and per final network, the others one). An error
	// fails the run. The command line stores records through it.
	Save func(*reports.Record) error
	// StopAfter > 0 interrupts the run after that many iterations of this
	// invocation exactly as a cancelled context does: a checkpoint is
	// written and ErrInterrupted returned (tests, and callers that slice a
	// long run).
	StopAfter int
	// Suite, when set, names the suite step of every record of the run
	// (reports.Record.Suite).
	Suite *reports.SuiteID
}

// ErrInterrupted is returned (wrapped) when a run stops on a cancelled
// context or Options.StopAfter after writing its checkpoint; Resume
// continues it.
var ErrInterrupted = errors.New("interrupted")

// ErrCheckpointExists is returned (wrapped) when Options.Out already holds
// the kind's checkpoint and Options.Resume is off; ErrNoCheckpoint when
// Options.Resume is on and it holds none. Errors of this package name the
// options and the experiment file's keys, not a command line's flags: a
// command line adds its flag where it wraps them.
var (
	ErrCheckpointExists = errors.New("holds a checkpoint already")
	ErrNoCheckpoint     = errors.New("no checkpoint to resume")
)

// Progress is how a run reports what it is doing; nothing in this package
// prints. The command line fills it with a progress bar.
type Progress interface {
	// Start announces a loop of total iterations (-1 when only a wall-clock
	// budget bounds it), done of which are already done (a resumed run).
	Start(name string, done, total int)
	// Step reports the iterations done and a one-line status.
	Step(done int, status string)
	// End closes the loop started last.
	End()
	// Log reports a stage of a run that has no iterations.
	Log(msg string)
}

// recordFile is the record's file name in a run folder.
const recordFile = "record.json"

// RecordFile returns the path of the record a run writes in folder out.
func RecordFile(out string) string { return filepath.Join(out, recordFile) }

// finish adds the options' label and suite step to rec, writes it as JSON
// to path (none when path is empty) and hands it to opt.Save.
func (opt *Options) finish(rec *reports.Record, path string) error {
	if opt.Label != "" {
		rec.Label = opt.Label
	}
	if opt.Suite != nil {
		id := *opt.Suite
		rec.Suite = &id
	}
	if path != "" {
		if err := reports.WriteJSON(path, rec); err != nil {
			return err
		}
	}
	if opt.Save != nil {
		if err := opt.Save(rec); err != nil {
			return fmt.Errorf("saving record %s: %w", rec.RunID, err)
		}
	}
	return nil
}

// errNoRunFolder is the error of a run without Options.Out.
var errNoRunFolder = errors.New("no run folder (Options.Out)")

// prepareOut creates opt.Out and checks the checkpoint ckFile in it against
// opt.Resume. It returns the checkpoint's path.
func (opt *Options) prepareOut(ckFile, what string) (string, error) {
	if opt.Out == "" {
		return "", errNoRunFolder
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return "", fmt.Errorf("run folder: %w", err)
	}
	ckPath := filepath.Join(opt.Out, ckFile)
	_, statErr := os.Stat(ckPath)
	haveCk := statErr == nil
	if opt.Resume && !haveCk {
		return "", fmt.Errorf("%s: %w", ckPath, ErrNoCheckpoint)
	}
	if !opt.Resume && haveCk {
		return "", fmt.Errorf("run folder %s %w: resume the %s, or choose another folder", opt.Out, ErrCheckpointExists, what)
	}
	return ckPath, nil
}

// guard runs f and turns a panic of the engine (a bug, not bad input:
// inputs are validated first) into an error, so a command ends with its
// one-line message and a suite goes on with its other units.
func guard[R any](f func() (R, error)) (r R, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero R
			r, err = zero, fmt.Errorf("internal error (please report): %v", p)
		}
	}()
	return f()
}

// silent is the Progress of a run without one.
type silent struct{}

func (silent) Start(string, int, int) {}
func (silent) Step(int, string)       {}
func (silent) End()                   {}
func (silent) Log(string)             {}

func progressOf(opt *Options) Progress {
	if opt.Progress == nil {
		return silent{}
	}
	return opt.Progress
}
