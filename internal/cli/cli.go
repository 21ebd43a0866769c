// Package cli implements the metabench subcommands. main is one line that
// calls Run; tests drive the real command line through Run with buffers.
//
// Conventions shared by every subcommand (one file per subcommand):
//   - flags are parsed with a flag.FlagSet in ContinueOnError mode whose output
//     goes to stderr; a usage error returns exit code 2;
//   - a failure returns exit code 1 after printing exactly one line
//     "metabench <cmd>: <what failed, naming the file or flag>" to stderr;
//   - no subcommand calls os.Exit or panics on bad input;
//   - the work is done by plain functions in the domain packages that return
//     data; only the subcommand writes to stdout or to files.
package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// command is one subcommand: its one-line summary and its entry point.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"episodes":  {"sample N-way K-shot episodes and print them as JSON lines, or export an experiment's data", cmdEpisodes},
		"vsref":     {"metabench MAML against a reference implementation at equal numbers of tasks", cmdVsRef},
		"datasets":  {"inspect datasets: `datasets info PATH`", cmdDatasets},
		"train":     {"meta-train a model from an experiment file", cmdTrain},
		"eval":      {"evaluate a checkpoint on fixed test episodes", cmdEval},
		"perf":      {"run the standard performance workloads", cmdPerf},
		"search":    {"run an architecture search from an experiment file", cmdSearch},
		"params":    {"print the parameter count of a network built from a genotype", cmdParams},
		"report":    {"tables and plots from the results store", cmdReport},
		"compare":   {"paired run-against-run regression check", cmdCompare},
		"run":       {"the main job: train, evaluate and tabulate on the embedded data", cmdRun},
		"metatrain": {"multi-task meta-training of the search network over 10-class task streams", cmdMetatrain},
		"adapt":     {"adapt a multi-task prior to an unseen dataset, derive and train genotypes", cmdAdapt},
		"suite":     {"run a suite of experiments (seeds, shards, resume) and its table or nightly check", cmdSuite},
		"store":     {"results-store maintenance: `store copy --from A --to B`", cmdStore},
		"publish":   {"the nightly dashboard: a static site of accuracy over nights per unit", cmdPublish},
		"version":   {"print the module version, commit, Go version, platform and matrix path", cmdVersion},
	}
}

// Run executes the metabench command line and returns the process exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" {
		args[0] = "version"
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "metabench: unknown command %q (run `metabench help`)\n", args[0])
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: metabench <command> [flags]\n\ncommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprint(w, b.String())
}

// fail prints the one-line error of a subcommand and returns exit code 1.
func fail(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "metabench %s: %v\n", cmd, err)
	return 1
}
