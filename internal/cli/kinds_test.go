package cli

import (
	"testing"

	"github.com/metabench/metabench/experiment"
)

// TestEveryKindHasACommand: each kind of run of the experiment registry is
// a command of the same name.
func TestEveryKindHasACommand(t *testing.T) {
	cmds := commands()
	for _, k := range experiment.Kinds() {
		if _, ok := cmds[k.Name]; !ok {
			t.Errorf("kind %s has no command", k.Name)
		}
	}
}
