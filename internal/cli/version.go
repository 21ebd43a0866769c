package cli

import (
	"fmt"
	"io"

	"github.com/metabench/metabench/internal/gemm"
	"github.com/metabench/metabench/reports"
)

const versionUsage = `usage: metabench version

Prints what this binary is, as its records' env will say: the module
version, the commit it was built from ("(modified)" when the tree held
uncommitted changes), the Go version, the OS and architecture, and the
matrix-product path it uses on this CPU. The commit comes from the build
information that ` + "`go build`" + ` stamps in a git checkout (` + "`make build`" + `);
` + "`go run`" + ` and test binaries carry none and print "unknown".
`

// cmdVersion prints the code's identity and the matrix path.
func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version")
	if err := parseFlagsOnly(fs, args); err != nil {
		return misuse(stderr, "version", flagUsage(versionUsage, fs), err)
	}
	env := reports.NewEnv()
	env.GemmPath = gemm.Path()
	fmt.Fprint(stdout, versionText(env))
	return 0
}

// versionText is the output of metabench version for env.
func versionText(env reports.Env) string {
	unknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	return fmt.Sprintf("metabench %s\ncommit:      %s\ngo:          %s\nplatform:    %s/%s\nmatrix path: %s\n",
		unknown(env.Module), unknown(env.Revision()), env.GoVersion, env.GOOS, env.GOARCH, unknown(env.GemmPath))
}
