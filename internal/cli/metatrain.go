package cli

import (
	"errors"
	"io"
)

// cmdMetatrain is a placeholder until its issue lands. (to be replaced)
func cmdMetatrain(args []string, stdout, stderr io.Writer) int {
	return fail(stderr, "metatrain", errors.New("not implemented yet"))
}
