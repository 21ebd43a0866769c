package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/metabench/metabench/store"
)

const storeUsage = `usage: metabench store copy --from STORE --to STORE
       metabench store export --from STORE --to DIR [--label L] [--portable]

copy puts every record of one results store into another: SQLite files and
postgres:// DSNs alike (SQLite to PostgreSQL and back). It is idempotent: a
record already in the destination is skipped, so a second copy, or one
repeated after an interruption, adds nothing twice. The source must exist;
the destination is created when missing.

export writes the records (with --label, that label's only) as one JSON
file per run, DIR/<run id>.json, each written atomically: the folder that
report --records reads (docs/records keeps a suite's records so).
--portable replaces every absolute file path in the records by its last
element, so that they name nothing of this machine and can be committed.

`

func cmdStore(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, storeUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] != "copy" && args[0] != "export" {
		return misuse(stderr, "store", storeUsage, fmt.Errorf("unknown subcommand %q (want copy or export)", args[0]))
	}
	fs := flag.NewFlagSet("store "+args[0], flag.ContinueOnError)
	from := fs.String("from", "", "source store: a SQLite `PATH` or a postgres:// DSN")
	to := fs.String("to", "", "destination: a store (copy: a SQLite `PATH` or a postgres:// DSN) or a folder (export)")
	label := fs.String("label", "", "export: only the records of `LABEL`")
	portable := fs.Bool("portable", false, "export: absolute paths in the records become their last element")
	usage := flagUsage(storeUsage, fs)
	if err := parseFlagsOnly(fs, args[1:]); err != nil {
		return misuse(stderr, "store", usage, err)
	}
	if *from == "" || *to == "" {
		return misuse(stderr, "store", usage, fmt.Errorf("%s needs --from and --to", args[0]))
	}
	if args[0] == "export" {
		src, err := openExistingStore(*from)
		if err != nil {
			return fail(stderr, "store export", err)
		}
		defer src.Close()
		n, err := store.Export(context.Background(), src, store.Filter{Label: *label}, *to, *portable)
		if err != nil {
			return fail(stderr, "store export", err)
		}
		fmt.Fprintf(stdout, "exported %d records from %s to %s\n", n, store.Redact(*from), *to)
		return 0
	}
	if *label != "" || *portable {
		return misuse(stderr, "store", usage, errors.New("--label and --portable: export only"))
	}
	st, err := store.CopyPath(context.Background(), *from, *to)
	if err != nil {
		return fail(stderr, "store copy", missingStoreHint(err))
	}
	fmt.Fprintf(stdout, "copied %d records from %s to %s: %d new, %d already there\n",
		st.Read, store.Redact(*from), store.Redact(*to), st.Added, st.Read-st.Added)
	return 0
}
