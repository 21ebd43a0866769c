package cli

import (
	"errors"
	"io"
)

// cmdReport is a placeholder until its issue lands. (to be replaced)
func cmdReport(args []string, stdout, stderr io.Writer) int {
	return fail(stderr, "report", errors.New("not implemented yet"))
}
