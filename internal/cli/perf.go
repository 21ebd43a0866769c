package cli

import (
	"errors"
	"io"
)

// cmdPerf is a placeholder until its issue lands. (to be replaced)
func cmdPerf(args []string, stdout, stderr io.Writer) int {
	return fail(stderr, "perf", errors.New("not implemented yet"))
}
