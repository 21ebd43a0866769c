package cli

import (
	"errors"
	"io"
)

// cmdEpisodes is a placeholder until its issue lands. (to be replaced)
func cmdEpisodes(args []string, stdout, stderr io.Writer) int {
	return fail(stderr, "episodes", errors.New("not implemented yet"))
}
