package cli

import (
	"errors"
	"io"
)

// cmdTrain is a placeholder until its issue lands. (to be replaced)
func cmdTrain(args []string, stdout, stderr io.Writer) int {
	return fail(stderr, "train", errors.New("not implemented yet"))
}
