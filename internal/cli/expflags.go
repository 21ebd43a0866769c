package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
)

// setFlags collects repeated --set key=value flags.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// experimentArgs are the flags shared by the commands that run an
// experiment file (train, search, metatrain):
//
//	CMD FILE.yaml --out DIR [--set k=v ...] [--resume] [--quiet] [--store PATH] [--label NAME] [--cpuprofile FILE]
type experimentArgs struct {
	File       string
	Out        string
	Sets       []string
	Resume     bool
	Quiet      bool
	Store      *StoreFlags
	CPUProfile string // pprof CPU profile of the whole run ("" for none)
}

// startProfile starts a CPU profile into path when path is set and returns
// the function that stops it and closes the file. With Go's asynchronous
// preemption on, a large share of the samples of this program's SIMD and
// assembly loops is charged to runtime.asyncPreempt (and, in cgo builds, to
// libc) although the CPU time is the same (docs/PERFORMANCE.md, "How to
// measure"), so it says on stderr how to turn it off for the profile.
func startProfile(path string, stderr io.Writer) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	if !asyncPreemptOff(os.Getenv("GODEBUG")) {
		fmt.Fprintln(stderr, "note: --cpuprofile with asynchronous preemption on charges many samples to runtime.asyncPreempt; run with GODEBUG=asyncpreemptoff=1 for a truthful profile")
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile %s: %w", path, err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// asyncPreemptOff says whether a GODEBUG value turns asynchronous preemption
// off (its last asyncpreemptoff setting wins, as in the runtime).
func asyncPreemptOff(godebug string) bool {
	off := false
	for _, kv := range strings.Split(godebug, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(kv), "asyncpreemptoff="); ok {
			off = v == "1"
		}
	}
	return off
}

// parseExperimentArgs parses args for command cmd; what describes what
// --resume continues and outHelp what --out receives. On a usage error it
// prints the usage and returns the exit code (2, or 0 for -h) with ok false.
func parseExperimentArgs(cmd, usageText, outHelp, what string, args []string, stderr io.Writer) (a experimentArgs, code int, ok bool) {
	fs := newFlagSet(cmd)
	out := fs.String("out", "", outHelp)
	var sets setFlags
	fs.Var(&sets, "set", "override `key=value` of the experiment file (repeatable)")
	resume := fs.Bool("resume", false, "continue the "+what+" whose checkpoint is in --out")
	quiet := fs.Bool("quiet", false, "no progress bar")
	prof := fs.String("cpuprofile", "", "write a pprof CPU profile of the run to `FILE`")
	sf := AddStoreFlags(fs)
	usage := flagUsage(usageText, fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return a, misuse(stderr, cmd, usage, err), false
	}
	if len(pos) != 1 {
		return a, misuse(stderr, cmd, usage, fmt.Errorf("want one experiment file, got %d arguments", len(pos))), false
	}
	if *out == "" {
		return a, misuse(stderr, cmd, usage, errors.New("--out DIR is required")), false
	}
	return experimentArgs{File: pos[0], Out: *out, Sets: sets, Resume: *resume, Quiet: *quiet, Store: sf, CPUProfile: *prof}, 0, true
}

// runKind is what the commands of the kinds that run from an experiment
// file and resume (train, search, metatrain) do: parse the experiment
// flags, load the file with the kind's loader and run it (experimentRun).
// It returns the record with the flags, or a nil record and the exit code.
func runKind(name, usageText, outHelp, what string, args []string, stderr io.Writer) (*reports.Record, experimentArgs, int) {
	k, err := experiment.LookupKind(name)
	if err != nil {
		return nil, experimentArgs{}, fail(stderr, name, err)
	}
	ea, code, ok := parseExperimentArgs(name, usageText, outHelp, what, args, stderr)
	if !ok {
		return nil, ea, code
	}
	f, err := k.Load(ea.File, ea.Sets)
	if err != nil {
		return nil, ea, fail(stderr, name, err)
	}
	rec, code := experimentRun(name, ea, stderr, func(ctx context.Context, opt experiment.Options) (*reports.Record, error) {
		rec, err := k.Run(ctx, f, opt)
		return rec, resumeFlag(err)
	})
	return rec, ea, code
}

// resumeFlag names --resume in the errors of a run that has the flag: the
// library's errors say "resume" (Options.Resume), not the flag.
func resumeFlag(err error) error {
	switch {
	case errors.Is(err, experiment.ErrNoCheckpoint):
		return fmt.Errorf("--resume: %w", err)
	case errors.Is(err, experiment.ErrCheckpointExists), errors.Is(err, experiment.ErrInterrupted):
		return fmt.Errorf("%w (--resume)", err)
	}
	return err
}

// experimentRun is what every experiment command does around its entry
// point: a CPU profile when asked, a context cancelled by Ctrl-C or
// SIGTERM, the progress bar, and every record saved to the results store.
// It returns the primary record, or the exit code after printing the
// one-line error.
func experimentRun(cmd string, ea experimentArgs, stderr io.Writer,
	run func(ctx context.Context, opt experiment.Options) (*reports.Record, error)) (*reports.Record, int) {
	stopProf, err := startProfile(ea.CPUProfile, stderr)
	if err != nil {
		return nil, fail(stderr, cmd, err)
	}
	defer stopProf()
	ctx, stop := signalContext()
	defer stop()
	opt := experiment.Options{Out: ea.Out, Resume: ea.Resume, Label: ea.Store.Label, Save: ea.Store.saver()}
	if p := newProgress(stderr, ea.Quiet); p != nil {
		opt.Progress = p
	}
	rec, err := run(ctx, opt)
	if err != nil {
		return nil, fail(stderr, cmd, err)
	}
	return rec, 0
}
