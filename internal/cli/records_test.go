package cli

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestCommittedRecordsNameNoMachinePath: no JSON or YAML file under
// docs/records (records, cross-validation summaries, the reference's
// results, a search's train.yaml and genotype.yaml) holds a string that is
// an absolute path, bare or after a prefix (genotype:/x/g.yaml, idx:/x),
// and no YAML comment names one: committed files must read the same on
// every machine (store export --portable; a search writes train.yaml's
// paths relative to its folder; scripts/maml_reference.py writes its paths
// relative).
func TestCommittedRecordsNameNoMachinePath(t *testing.T) {
	root := filepath.Join("..", "..", "docs", "records")
	var bad []string
	var walk func(file, key string, v any)
	walk = func(file, key string, v any) {
		switch x := v.(type) {
		case string:
			if absPathLike(x) {
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
		ext := filepath.Ext(path)
		if err != nil || d.IsDir() || ext != ".json" && ext != ".yaml" && ext != ".yml" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var v any
		if ext == ".json" {
			err = json.Unmarshal(b, &v)
		} else {
			err = yaml.Unmarshal(b, &v)
			for i, line := range strings.Split(string(b), "\n") {
				if _, c, ok := strings.Cut(line, "#"); ok && commentPath.MatchString(c) {
					bad = append(bad, fmt.Sprintf("%s:%d: comment %q", path, i+1, c))
				}
			}
		}
		if err != nil {
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

// commentPath matches an absolute path of two or more parts in free text.
var commentPath = regexp.MustCompile(`(^|[\s"'(=:])/[A-Za-z0-9._-]+/[A-Za-z0-9._-]`)

// absPathLike reports whether s is an absolute path, bare or after a
// "word:" prefix (genotype:/x/g.yaml, idx:/data).
func absPathLike(s string) bool {
	abs := func(p string) bool {
		return strings.HasPrefix(p, "/") && len(p) > 1 && !strings.ContainsAny(p[1:2], " /")
	}
	if abs(s) {
		return true
	}
	if i := strings.Index(s, ":"); i > 0 && !strings.ContainsAny(s[:i], " /") {
		return abs(s[i+1:])
	}
	return false
}

func TestAbsPathLike(t *testing.T) {
	for s, want := range map[string]bool{
		"/work/x": true, "genotype:/tmp/g.yaml,cells=5": true, "idx:/data/mnist": true,
		"genotype:genotype.yaml,cells=5": false, "a/b": false, "/": false, "w/o": false, "ratio: 1/2": false,
	} {
		require.Equal(t, want, absPathLike(s), s)
	}
	require.True(t, commentPath.MatchString(" Run: metabench train /tmp/x/train.yaml"))
	require.False(t, commentPath.MatchString(" paths below are relative, N R N/R"))
}
