// Command metabench is the command-line front end of the metabench harness.
package main

import (
	"os"
	"runtime/debug"

	"github.com/metabench/metabench/internal/cli"
)

// gcPercent is the collector's target when GOGC is not set: the tapes of a
// second-order search hold about 1.9 GB live, and Go's default (100) lets the
// heap reach twice that before collecting; 50 keeps the peak near PyTorch's
// at no measurable cost in time (docs/DECISIONS.md R18).
const gcPercent = 50

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr))
}
