package cli

import (
	"errors"
	"io"
)

// cmdParams is a placeholder until its issue lands. (to be replaced)
func cmdParams(args []string, stdout, stderr io.Writer) int {
	return fail(stderr, "params", errors.New("not implemented yet"))
}
