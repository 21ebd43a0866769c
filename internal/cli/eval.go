package cli

import (
	"errors"
	"io"
)

// cmdEval is a placeholder until its issue lands. (to be replaced)
func cmdEval(args []string, stdout, stderr io.Writer) int {
	return fail(stderr, "eval", errors.New("not implemented yet"))
}
