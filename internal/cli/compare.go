package cli

import (
	"errors"
	"io"
)

// cmdCompare is a placeholder until its issue lands. (to be replaced)
func cmdCompare(args []string, stdout, stderr io.Writer) int {
	return fail(stderr, "compare", errors.New("not implemented yet"))
}
