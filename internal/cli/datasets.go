package cli

import (
	"errors"
	"io"
)

// cmdDatasets is a placeholder until its issue lands. (to be replaced)
func cmdDatasets(args []string, stdout, stderr io.Writer) int {
	return fail(stderr, "datasets", errors.New("not implemented yet"))
}
