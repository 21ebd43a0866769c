package cli

import (
	"errors"
	"io"
)

// cmdAdapt is a placeholder until its issue lands. (to be replaced)
func cmdAdapt(args []string, stdout, stderr io.Writer) int {
	return fail(stderr, "adapt", errors.New("not implemented yet"))
}
