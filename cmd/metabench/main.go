// Command metabench is the command-line front end of the metabench harness.
package main

import (
	"os"

	"github.com/metabench/metabench/internal/cli"
)

func main() { os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr)) }
