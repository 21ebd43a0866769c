package cli

import (
	"errors"
	"io"
)

// cmdRun is a placeholder until its issue lands. (to be replaced)
func cmdRun(args []string, stdout, stderr io.Writer) int {
	return fail(stderr, "run", errors.New("not implemented yet"))
}
