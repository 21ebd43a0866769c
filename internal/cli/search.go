package cli

import (
	"errors"
	"io"
)

// cmdSearch is a placeholder until its issue lands. (to be replaced)
func cmdSearch(args []string, stdout, stderr io.Writer) int {
	return fail(stderr, "search", errors.New("not implemented yet"))
}
