package cli

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCommittedRecordsNameNoMachinePath: no JSON file under docs/records
// (records, cross-validation summaries, the reference's results) holds a
// string that is an absolute path: committed files must read the same on
// every machine (store export --portable; scripts/maml_reference.py writes
// its paths relative).
func TestCommittedRecordsNameNoMachinePath(t *testing.T) {
	root := filepath.Join("..", "..", "docs", "records")
	var bad []string
	var walk func(file, key string, v any)
	walk = func(file, key string, v any) {
		switch x := v.(type) {
		case string:
			if strings.HasPrefix(x, "/") && len(x) > 1 && !strings.ContainsAny(x[1:2], " /") {
				bad = append(bad, fmt.Sprintf("%s: %s = %q", file, key, x))
			}
		case []any:
			for i, e := range x {
				walk(file, fmt.Sprintf("%s[%d]", key, i), e)
			}
		case map[string]any:
			for k, e := range x {
				walk(file, key+"."+k, e)
			}
		}
	}
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		n++
		walk(path, "", v)
		return nil
	})
	require.NoError(t, err)
	require.Positive(t, n, "no JSON files under docs/records")
	require.Empty(t, bad, "absolute paths in committed files")
}
