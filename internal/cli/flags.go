package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
)

// StoreEnv is the environment variable that names the default results
// store (store.EnvVar; the deploy manifests set it).
const StoreEnv = store.EnvVar

// StoreFlags are the --store and --label flags shared by train, eval and
// search.
type StoreFlags struct {
	Path  string // --store; empty means "resolve with store.ResolvePath"
	Label string // --label
}

// AddStoreFlags registers --store and --label on fs.
func AddStoreFlags(fs *flag.FlagSet) *StoreFlags {
	f := &StoreFlags{}
	fs.StringVar(&f.Path, "store", "", "results store: a SQLite file `PATH` or a postgres:// DSN (default: $"+StoreEnv+", then the experiment file's store, then "+store.DefaultPath+")")
	fs.StringVar(&f.Label, "label", "", "label `NAME` recorded with the run (compare and report select runs by it)")
	return f
}

// Save labels rec with --label (when given and rec has none) and writes it to
// the resolved store in one transaction, returning the store path (a DSN's
// password masked: it is printed). train, eval and search call it once per
// run, after writing the record's JSON.
func (f *StoreFlags) Save(rec *reports.Record, experimentStore string) (string, error) {
	if f.Label != "" && rec.Label == "" {
		rec.Label = f.Label
	}
	path := store.ResolvePath(f.Path, experimentStore)
	err := store.SaveRecord(path, rec)
	return store.Redact(path), err
}

// saver returns the experiment.Options.Save of a command: each record to
// the resolved store (the experiment file's `store`, read from the record's
// config, ranks after --store and $METABENCH_STORE), one transaction each.
func (f *StoreFlags) saver() func(*reports.Record) error {
	return func(rec *reports.Record) error {
		experimentStore, _ := rec.Config["store"].(string)
		if path, err := f.Save(rec, experimentStore); err != nil {
			return fmt.Errorf("results store %s: %w", path, err)
		}
		return nil
	}
}

// openExistingStore opens a store for reading (store.OpenForReading): a
// report or a comparison on a missing file (or a database without a store)
// is a mistake, not a new store.
func openExistingStore(path string) (*store.Store, error) {
	s, err := store.OpenForReading(path)
	return s, missingStoreHint(err)
}

// missingStoreHint adds to the error of a missing store file where stores
// come from.
func missingStoreHint(err error) error {
	if errors.Is(err, store.ErrMissing) {
		return fmt.Errorf("%w (train, eval and search write it; see --store and $%s)", err, StoreEnv)
	}
	return err
}

// parseFlagsOnly parses args into fs, silencing the flag package's own output,
// and refuses positional arguments.
func parseFlagsOnly(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// flagUsage returns the usage text of fs after head.
func flagUsage(head string, fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString(head)
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return b.String()
}

// misuse prints the one-line usage error of cmd and returns 2; -h prints the
// usage text and returns 0.
func misuse(stderr io.Writer, cmd, usage string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, usage)
		return 0
	}
	fmt.Fprintf(stderr, "metabench %s: %v (run `metabench %s -h`)\n", cmd, err, cmd)
	return 2
}

// newFlagSet is a silent flag set: errors are reported by the command, in
// one line.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseArgs parses flags that may come before or after positional
// arguments and returns the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
