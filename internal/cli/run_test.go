package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestRunCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := t.TempDir()
	code, stdout, stderr := mamlRunCLI("run", "--budget", "300ms", "--episodes", "3", "--filters", "4", "--meta-batch", "1",
		"--out", filepath.Join(dir, "runs"), "--store", filepath.Join(dir, "r.db"), "--quiet", "--suite", "../../"+DefaultRunSuite)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"maml", "fomaml", "reptile", "protonets", "Finn et al. 2017", "Nichol et al. 2018", "Snell et al. 2017", "5w1s", "±", "(reference)", " p="} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(strings.ToLower(stdout), "vs maml") {
		t.Errorf("table lacks the column of paired differences from MAML:\n%s", stdout)
	}
	code, _, stderr = mamlRunCLI("run", "--methods", "maml,nope", "--store", filepath.Join(dir, "r.db"), "--suite", "../../"+DefaultRunSuite)
	mamlCheckOneLine(t, code, 1, stderr, "nope")
}
